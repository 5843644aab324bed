"""Drives photosd with the third-party Synology client `synology-api` (N4S4, from PyPI), used as published:
its Photos class logs in (DSM 7 style, password encrypted over plain HTTP), reads the user, lists and looks up
folders, lists albums, lists and gets items, and downloads a thumbnail. Prints one JSON object with what it got.

Usage: synology_api_photos.py PORT USER PASSWORD FOLDER_PATH THUMB_OUT
"""
import json
import sys

from synology_api.photos import Photos

port, user, password, folder_path, thumb_out = sys.argv[1:6]
photos = Photos("127.0.0.1", port, user, password, secure=False, cert_verify=False, dsm_version=7, debug=False)
me = photos.get_userinfo()
root_folders = photos.list_folders(0)
folder = photos.lookup_folder(folder_path)
albums = photos.list_albums()
items = photos.list_item_in_folders(folder_id=folder["id"], additional=["thumbnail", "resolution", "exif"])
first = items["data"]["list"][0]
item = photos.get_item_info(first["id"], additional=["resolution"])
thumbnail = photos.get_thumbnail(first["id"], size="m", dest_path=thumb_out)
photos.logout()
print(json.dumps({
    "me": me,
    "root_folders": root_folders,
    "folder": folder,
    "albums": albums,
    "items": items,
    "item": item,
    "thumbnail": thumbnail,
}))

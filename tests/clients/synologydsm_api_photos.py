"""Drives photosd with Home Assistant's Synology library `py-synologydsm-api` (from PyPI), used as published: it
logs in (SYNO.API.Info, SYNO.API.Auth, then SYNO.DSM.Info as it does on a real DSM), then through its Photos
class lists the albums and an album's items (Personal Space), searches, lists the Shared Space, and downloads a
thumbnail and the original of one item of each space. Prints one JSON object with what it got; the bytes it
downloaded go to OUT_DIR as <space>.thumb.jpg and <space>.original.

Usage: synologydsm_api_photos.py PORT USER PASSWORD KEYWORD OUT_DIR
"""
import asyncio
import json
import os
import sys

import aiohttp
from synology_dsm import SynologyDSM


async def main(port, user, password, keyword, out_dir):
    async with aiohttp.ClientSession() as session:
        dsm = SynologyDSM(session, "127.0.0.1", port, user, password, use_https=False, timeout=30)
        logged_in = await dsm.login()
        info = dsm.information
        albums = await dsm.photos.get_albums()
        album_items = await dsm.photos.get_items_from_album(albums[0]) if albums else []
        found = await dsm.photos.get_items_from_search(keyword)
        shared = await dsm.photos.get_items_from_shared_space()
        downloaded = {}
        for space, item in (("personal", album_items[0]), ("shared", shared[0])):
            thumb = await dsm.photos.download_item_thumbnail(item)
            original = await dsm.photos.download_item(item)
            for kind, data in (("thumb.jpg", thumb), ("original", original)):
                with open(os.path.join(out_dir, f"{space}.{kind}"), "wb") as f:
                    f.write(data)
            downloaded[space] = {"file_name": item.file_name, "thumbnail_size": item.thumbnail_size}
        await dsm.logout()
        item = lambda i: {"id": i.item_id, "file_name": i.file_name, "is_shared": i.is_shared}
        print(json.dumps({
            "logged_in": logged_in,
            "information": {"model": info.model, "ram": info.ram, "uptime": info.uptime,
                            "version": info.version, "version_string": info.version_string,
                            "awesome_version": str(info.awesome_version)},
            "albums": [{"id": a.album_id, "name": a.name, "item_count": a.item_count} for a in albums],
            "album_items": [item(i) for i in album_items],
            "found": [item(i) for i in found],
            "shared": [item(i) for i in shared],
            "downloaded": downloaded,
        }))


asyncio.run(main(*sys.argv[1:6]))

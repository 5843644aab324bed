//! Files through the web API: downloads (one original with Range, several or a folder as a streamed ZIP),
//! video streaming with seeking, and uploads (multipart, duplicate rules, owner, cut-off uploads leave nothing).

use std::io::Read;
use std::os::unix::fs::MetadataExt;

use photosd_tests::api_library::{list, logged_in, setup};
use photosd_tests::{corpus, error_code, sample_jpeg, wait_for};
use serde_json::Value;

fn body(response: ureq::Response) -> Vec<u8> {
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).unwrap();
    bytes
}

fn id_of(api: &photosd_tests::Api, name: &str) -> i64 {
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")]);
    list(&items).iter().find(|i| i["filename"] == name).unwrap_or_else(|| panic!("{name} listed"))["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn downloads_originals_ranges_and_zips() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let canon = id_of(&api, "Canon_40D.jpg");
    let original = std::fs::read(s.lib.photos().join("trip/Canon_40D.jpg")).unwrap();

    let one = api.get_raw("SYNO.Foto.Download", "download", 2, &[("item_id", &format!("[{canon}]"))], &[]);
    assert_eq!(one.status(), 200);
    assert!(one.header("content-disposition").unwrap().contains("filename=\"Canon_40D.jpg\""));
    assert_eq!(body(one), original, "the original, byte for byte");

    let part = api.get_raw(
        "SYNO.Foto.Download",
        "download",
        1,
        &[("unit_id", &format!("[{canon}]"))],
        &[("Range", "bytes=100-1099")],
    );
    assert_eq!(part.status(), 206);
    assert_eq!(part.header("content-range").unwrap(), format!("bytes 100-1099/{}", original.len()));
    assert_eq!(body(part), original[100..1100]);
    let past = api.get_raw(
        "SYNO.Foto.Download",
        "download",
        2,
        &[("item_id", &format!("[{canon}]"))],
        &[("Range", "bytes=99999999-")],
    );
    assert_eq!(past.status(), 416);

    let nikon = id_of(&api, "Nikon_D70.jpg");
    let zip_path = s.lib.dir.path().join("two.zip");
    let two = api.get_raw("SYNO.Foto.Download", "download", 2, &[("item_id", &format!("[{canon},{nikon}]"))], &[]);
    assert_eq!(two.header("content-type"), Some("application/zip"));
    std::fs::write(&zip_path, body(two)).unwrap();
    let test = std::process::Command::new("unzip").arg("-t").arg(&zip_path).output().unwrap();
    assert!(test.status.success(), "{}", String::from_utf8_lossy(&test.stdout));
    let names = std::process::Command::new("zipinfo").arg("-1").arg(&zip_path).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout).lines().collect::<Vec<_>>(), ["Canon_40D.jpg", "Nikon_D70.jpg"]);

    let folders = api.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let trip = list(&folders)[0]["id"].as_i64().unwrap();
    let folder_zip = s.lib.dir.path().join("trip.zip");
    let whole = api.get_raw("SYNO.Foto.Download", "download", 2, &[("folder_id", &format!("[{trip}]"))], &[]);
    assert!(whole.header("content-disposition").unwrap().contains("trip.zip"));
    std::fs::write(&folder_zip, body(whole)).unwrap();
    let out = s.lib.dir.path().join("unzipped");
    let unzip = std::process::Command::new("unzip").arg("-q").arg(&folder_zip).arg("-d").arg(&out).output().unwrap();
    assert!(unzip.status.success());
    assert_eq!(std::fs::read(out.join("trip/Canon_40D.jpg")).unwrap(), original);
    assert_eq!(std::fs::read_dir(out.join("trip")).unwrap().count(), 3);

    let bob = logged_in(&s, &s.bob);
    assert_eq!(error_code(&bob.call("SYNO.Foto.Download", "download", 2, &[("item_id", &format!("[{canon}]"))])), 642);
    assert_eq!(error_code(&bob.call("SYNO.Foto.Download", "download", 2, &[("folder_id", &format!("[{trip}]"))])), 642);
}

#[test]
fn videos_stream_with_seeking() {
    let s = setup();
    std::fs::copy(corpus().join("video/jcodec/orientation.mp4"), s.lib.photos().join("clip.mp4")).unwrap();
    wait_for("the video to be indexed", 30, || {
        s.lib
            .db()
            .query_row("SELECT count(*) FROM item WHERE filename = 'clip.mp4' AND video_state = 'original'", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_or(0)
            == 1
    });
    let api = logged_in(&s, &s.alice);
    let id = id_of(&api, "clip.mp4").to_string();
    let original = std::fs::read(s.lib.photos().join("clip.mp4")).unwrap();
    let seek = api.get_raw(
        "SYNO.Foto.Streaming",
        "streaming",
        2,
        &[("id", &id), ("quality", "\"medium\"")],
        &[("Range", "bytes=2000-")],
    );
    assert_eq!(seek.status(), 206);
    assert_eq!(seek.header("accept-ranges"), Some("bytes"));
    assert_eq!(body(seek), original[2000..], "a player seeking into the file gets the rest of it");
    let photo = id_of(&api, "Canon_40D.jpg").to_string();
    assert_eq!(error_code(&api.call("SYNO.Foto.Streaming", "streaming", 2, &[("id", &photo)])), 642);
}

#[test]
fn uploads_land_whole_owned_by_the_user_and_indexed() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let answer = api.upload(
        "upload",
        &[("name", "\"holiday.jpg\""), ("duplicate", "\"rename\""), ("mtime", "1600000000")],
        "holiday.jpg",
        &jpeg,
    );
    assert_eq!(answer["success"], true, "{answer}");
    let id = answer["data"]["id"].as_i64().expect("the new item's id");
    let got = api.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{id}]"))]);
    assert_eq!(list(&got)[0]["filename"], "holiday.jpg");
    let now = std::process::Command::new("date").args(["-u", "+%Y/%m"]).output().unwrap();
    let folder = s.lib.photos().join("PhotoLibrary").join(String::from_utf8_lossy(&now.stdout).trim());
    let stored = folder.join("holiday.jpg");
    assert_eq!(std::fs::read(&stored).unwrap(), jpeg);
    let meta = std::fs::metadata(&stored).unwrap();
    assert_eq!((meta.uid(), meta.mtime()), (s.alice.uid, 1_600_000_000), "owned by alice, with the client's time");
    // The daemon was started as root, and is not root any more.
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.daemon.pid())).unwrap();
    let uids: Vec<u32> = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(|u| u.parse().unwrap())
        .collect();
    let service = nix::unistd::User::from_name("photosd").unwrap().expect("tests/setup.sh creates the photosd user");
    assert_eq!(uids, [service.uid.as_raw(); 4], "real, effective, saved and file-system uid are photosd's");

    let again = api.upload("upload", &[("name", "\"holiday.jpg\""), ("duplicate", "\"rename\"")], "holiday.jpg", &jpeg);
    assert_eq!(again["data"]["action"], "rename");
    assert!(folder.join("holiday (2).jpg").exists());
    let ignored =
        api.upload("upload", &[("name", "\"holiday.jpg\""), ("duplicate", "\"ignore\"")], "holiday.jpg", b"not this");
    assert_eq!(ignored["data"]["action"], "ignore");
    assert_eq!(ignored["data"]["id"], id);
    assert_eq!(std::fs::read(&stored).unwrap(), jpeg, "ignore leaves the existing file alone");
    // Overwrite replaces the file, and the original it replaced is in the recycle bin, at its path (issue 13).
    let newer = std::fs::read(photosd_tests::corpus().join("camera_jpeg/exif-samples/Nikon_D70.jpg")).unwrap();
    let first = api.upload("upload", &[("name", "\"portrait.jpg\"")], "portrait.jpg", &jpeg);
    assert_eq!(first["success"], true, "{first}");
    let replaced =
        api.upload("upload", &[("name", "\"portrait.jpg\""), ("duplicate", "\"overwrite\"")], "portrait.jpg", &newer);
    assert_eq!(replaced["success"], true, "{replaced}");
    assert_eq!(std::fs::read(folder.join("portrait.jpg")).unwrap(), newer);
    let month = String::from_utf8_lossy(&now.stdout).trim().to_string();
    let binned =
        s.lib.photos().parent().unwrap().join("#recycle/Photos/PhotoLibrary").join(&month).join("portrait.jpg");
    assert_eq!(std::fs::read(&binned).unwrap(), jpeg, "the overwritten original is restorable from the bin");

    let folders = api.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let trip = list(&folders).iter().find(|f| f["name"] == "/trip").unwrap()["id"].as_i64().unwrap().to_string();
    let into =
        api.upload("upload_to_folder", &[("target_folder_id", &trip), ("duplicate", "\"ignore\"")], "extra.jpg", &jpeg);
    assert_eq!(into["success"], true, "{into}");
    assert!(s.lib.photos().join("trip/extra.jpg").exists());

    let bob = logged_in(&s, &s.bob);
    let foreign = bob.upload("upload_to_folder", &[("target_folder_id", &trip)], "intruder.jpg", &jpeg);
    assert_eq!(error_code(&foreign), 642);
    for bad in ["../../escape.jpg", "notes.txt", ".hidden.jpg"] {
        let refused = api.upload("upload", &[("name", &format!("\"{bad}\""))], "x.jpg", &jpeg);
        assert_eq!(error_code(&refused), 114, "{bad}");
    }
    assert!(!s.lib.dir.path().join("escape.jpg").exists() && !s.lib.dir.path().join("homes/escape.jpg").exists());
    let items: i64 =
        s.lib.db().query_row("SELECT count(*) FROM item WHERE filename LIKE 'holiday%'", [], |r| r.get(0)).unwrap();
    assert_eq!(items, 2, "two uploads stored, the ignored one not");

    // A backup client asks what is there before sending: by content hash, or by name and size.
    let pentax = std::fs::read(s.lib.photos_of(s.bob.name).join("Pentax_K10D.jpg")).unwrap();
    let files = serde_json::json!([
        { "name": "holiday.jpg", "size": jpeg.len() },
        { "name": "IMG_0001.jpg", "size": jpeg.len(), "hash": blake3::hash(&jpeg).to_hex().to_string() },
        { "name": "holiday.jpg", "size": 12 },
        { "name": "Pentax_K10D.jpg", "size": pentax.len(), "hash": blake3::hash(&pentax).to_hex().to_string() },
    ]);
    let checked = api.call("SYNO.Foto.Upload.Item", "backup_check", 1, &[("files", &files.to_string())]);
    let answers: Vec<(bool, &Value)> = list(&checked).iter().map(|a| (a["exists"] == true, &a["id"])).collect();
    assert_eq!(answers[0], (true, &Value::from(id)), "same name and size: {checked}");
    assert!(answers[1].0, "same content under another name");
    assert_eq!(answers[2], (false, &Value::Null), "same name, other size");
    assert_eq!(answers[3], (false, &Value::Null), "bob's photo is not in alice's space");
    let unknown = bob.call("SYNO.Foto.Upload.Item", "backup_check", 1, &[("files", &files.to_string())]);
    assert_eq!(list(&unknown)[3]["exists"], true, "but it is in bob's");
    assert_eq!(error_code(&api.call("SYNO.Foto.Upload.Item", "backup_check", 1, &[])), 114);
}

#[test]
fn a_cut_off_upload_leaves_no_file_behind() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let stream = api.half_upload("cut.jpg", &jpeg);
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(stream);
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let leftovers: Vec<String> = photosd_tests::files_under(&s.lib.photos())
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("cut") || p.to_string_lossy().ends_with(".part"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The daemon is still fine.
    let me: Value = api.call("SYNO.Foto.UserInfo", "me", 1, &[]);
    assert_eq!(me["success"], true);
}

/// The temp file of an upload cut off by a killed daemon is removed at the next start; a recent one (an upload
/// that may still be running) is left alone.
#[test]
fn a_killed_daemons_upload_leftovers_go_at_the_next_start() {
    let s = setup();
    let (stale, fresh) = (
        s.lib.photos().join("trip/.photosd-upload-0123456789abcdef.part"),
        s.lib.photos().join(".photosd-upload-fedcba9876543210.part"),
    );
    std::fs::write(&stale, b"half a photo").unwrap();
    std::fs::write(&fresh, b"a photo on its way").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(two_hours_ago).unwrap();
    let photosd_tests::api_library::Setup { lib, daemon, .. } = s;
    daemon.kill();
    let again = photosd_tests::Daemon::launch(
        &lib,
        std::path::Path::new(""),
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", photosd_tests::api_library::GROUP)],
    );
    wait_for("the interrupted upload's temp file to go", 30, || !stale.exists());
    assert!(again.log_text().contains("removed an interrupted upload"));
    assert!(fresh.exists(), "a recent temp file may belong to a running upload");
}

//! The web API against the real daemon on a free port, with real system accounts (made with useradd, checked
//! through PAM): the catalogue and its error codes, logins, sessions and SynoTokens, browsing folders and
//! items, thumbnails, and the rule that one user never reaches another's Personal Space.

use photosd_tests::api_library::{list, logged_in, setup};
use photosd_tests::{error_code, Api};
use serde_json::Value;

#[test]
fn the_catalogue_answers_info_and_refuses_what_it_does_not_hold() {
    let s = setup();
    let api = Api::new(&s.daemon.base_url());
    let info = api.call("SYNO.API.Info", "query", 1, &[("query", "SYNO.API.Auth,SYNO.Foto.")]);
    assert_eq!(info["data"]["SYNO.API.Auth"]["maxVersion"], 7);
    assert_eq!(info["data"]["SYNO.Foto.Browse.Item"]["maxVersion"], 5);
    assert_eq!(info["data"]["SYNO.Foto.Browse.Item"]["path"], "entry.cgi");
    assert_eq!(info["data"]["SYNO.Foto.Browse.Item"]["requestFormat"], "JSON");
    assert!(info["data"].get("SYNO.FotoTeam.Browse.Item").is_none(), "only what was asked for");
    assert_eq!(error_code(&api.call("SYNO.Foto.NoSuchThing", "list", 1, &[])), 102);
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Item", "list", 9, &[])), 104);
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Item", "frobnicate", 1, &[])), 103);
    assert_eq!(error_code(&api.call("", "list", 1, &[])), 101);
    assert_eq!(error_code(&api.call("SYNO.DSM.Info", "getinfo", 2, &[])), 119, "DSM.Info needs a session");
    let mut alice = logged_in(&s, &s.alice);
    // What DSM says of itself, asked with the session alone (a read needs no SynoToken).
    let token = alice.token.take();
    let dsm = alice.call("SYNO.DSM.Info", "getinfo", 2, &[]);
    alice.token = token;
    assert_eq!(dsm["data"]["model"], "photosd", "{dsm}");
    assert!(dsm["data"]["version_string"].as_str().unwrap().starts_with("DSM 7.2.1-"), "{dsm}");
    assert!(dsm["data"]["ram"].as_u64().unwrap() > 0 && dsm["data"]["uptime"].as_u64().unwrap() > 0, "{dsm}");
    assert_eq!(dsm["data"]["serial"], "", "no serial number is made up");
    assert_eq!(error_code(&alice.call("SYNO.Foto.Browse.Item", "list", 1, &[])), 114, "limit is required");
    assert_eq!(error_code(&alice.call("SYNO.Foto.Browse.Item", "get", 1, &[])), 114, "id is required");
    assert_eq!(error_code(&alice.call("SYNO.Foto.Browse.Item", "list", 1, &[("limit", "many")])), 114);
    // The same API answers under /webapi/ (clients that log in at the DSM root).
    let root = ureq::get(&format!(
        "{}/webapi/query.cgi?api=SYNO.API.Info&version=1&method=query&query=all",
        s.daemon.base_url()
    ))
    .call()
    .unwrap()
    .into_string()
    .map(|t| serde_json::from_str::<Value>(&t).unwrap())
    .unwrap();
    assert!(root["data"].as_object().unwrap().len() > 60);
}

#[test]
fn logins_sessions_and_tokens() {
    let s = setup();
    let base = s.daemon.base_url();
    let mut api = Api::new(&base);
    assert_eq!(error_code(&api.login(s.alice.name, "wrong")), 400);
    assert_eq!(error_code(&api.login("pdt-nobody", "x")), 400, "an unknown account looks like a wrong password");
    assert_eq!(error_code(&api.login(s.carol.name, s.carol.password)), 402, "not in the Photos group");
    assert_eq!(error_code(&api.call("SYNO.Foto.UserInfo", "me", 1, &[])), 119, "no session");

    let login = api.login(s.alice.name, s.alice.password);
    assert_eq!(login["success"], true, "{login}");
    let me = api.call("SYNO.Foto.UserInfo", "me", 1, &[]);
    assert_eq!(me["data"]["name"], s.alice.name);
    assert_eq!(me["data"]["uid"], s.alice.uid);

    // The cookie alone identifies the session too (the browser's way).
    let sid = api.sid.clone().unwrap();
    let by_cookie = ureq::get(&format!("{base}/photo/webapi/entry.cgi?api=SYNO.Foto.UserInfo&version=1&method=me"))
        .set("Cookie", &format!("photosd_id={sid}"))
        .call()
        .unwrap()
        .into_string()
        .map(|t| serde_json::from_str::<Value>(&t).unwrap())
        .unwrap();
    assert_eq!(by_cookie["data"]["name"], s.alice.name);

    // Calls that change something need the SynoToken.
    let create = [("target_id", "0"), ("name", "\"New folder\"")];
    let token = api.token.take();
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Folder", "create", 1, &create)), 119, "no token");
    api.token = Some("0".repeat(24));
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Folder", "create", 1, &create)), 119, "wrong token");
    api.token = token;
    let created = api.call("SYNO.Foto.Browse.Folder", "create", 1, &create);
    assert_eq!(created["data"]["folder"]["name"], "/New folder", "{created}");
    let made = s.lib.photos().join("New folder");
    assert!(made.is_dir());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&made).unwrap().uid(), s.alice.uid, "owned by the user who made it");
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Folder", "create", 1, &create)), 641, "exists");
    let escape = [("target_id", "0"), ("name", "\"../../etc\"")];
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Folder", "create", 1, &escape)), 114);

    // A session idle past the timeout answers 106, then is gone (119).
    s.lib.db().execute("UPDATE session SET last_seen = last_seen - 2 * 86400", []).unwrap();
    assert_eq!(error_code(&api.call("SYNO.Foto.UserInfo", "me", 1, &[])), 106);
    assert_eq!(error_code(&api.call("SYNO.Foto.UserInfo", "me", 1, &[])), 119);

    // Logout ends the session.
    api.login(s.alice.name, s.alice.password);
    let logout = api.call("SYNO.API.Auth", "logout", 7, &[]);
    assert_eq!(logout["success"], true);
    assert_eq!(error_code(&api.call("SYNO.Foto.UserInfo", "me", 1, &[])), 119);
}

#[test]
fn repeated_failures_lock_the_account_and_address_out() {
    let s = setup();
    let mut api = Api::new(&s.daemon.base_url());
    for _ in 0..5 {
        assert_eq!(error_code(&api.login(s.bob.name, "guess")), 400);
    }
    assert_eq!(error_code(&api.login(s.bob.name, s.bob.password)), 407, "blocked even with the right password");
    assert_eq!(error_code(&api.login(s.alice.name, s.alice.password)), 407, "the address is blocked too");
}

#[test]
fn browsing_folders_and_items() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let root = api.call("SYNO.Foto.Browse.Folder", "get", 2, &[("id", "0")]);
    let root_id = root["data"]["folder"]["id"].as_i64().unwrap();
    assert_eq!(root["data"]["folder"]["name"], "/");
    assert_eq!(root["data"]["folder"]["parent"], root_id, "the root is its own parent");
    let count = api.call("SYNO.Foto.Browse.Folder", "count", 2, &[("id", "0")]);
    assert_eq!(count["data"]["count"], 1);
    let folders = api.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "100"), ("offset", "0")]);
    let trip = &list(&folders)[0];
    assert_eq!(trip["name"], "/trip");
    assert_eq!(trip["parent"], root_id);
    let trip_id = trip["id"].as_i64().unwrap().to_string();
    let parents = api.call("SYNO.Foto.Browse.Folder", "list_parents", 2, &[("id", &trip_id)]);
    let names: Vec<&str> = list(&parents).iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["/", "/trip"]);

    let items = api.call(
        "SYNO.Foto.Browse.Item",
        "list",
        5,
        &[
            ("folder_id", &trip_id),
            ("limit", "100"),
            ("sort_by", "\"takentime\""),
            ("sort_direction", "\"desc\""),
            ("additional", "[\"thumbnail\", \"resolution\", \"exif\", \"orientation\", \"tag\", \"rating\"]"),
        ],
    );
    let items = list(&items);
    let names: Vec<&str> = items.iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["Canon_40D.jpg", "Nikon_D70.jpg", "Fujifilm_FinePix6900ZOOM.jpg"], "newest first");
    let canon = &items[0];
    assert_eq!(canon["time"], 1212162961, "2008-05-30 15:56:01 as the camera's clock showed it");
    assert_eq!(canon["type"], "photo");
    assert_eq!(canon["owner_user_id"], s.alice.uid);
    assert_eq!(canon["additional"]["resolution"]["width"], 100);
    assert_eq!(canon["additional"]["exif"]["camera"], "Canon EOS 40D");
    assert_eq!(canon["additional"]["exif"]["iso"], "100");
    assert_eq!(canon["additional"]["thumbnail"]["sm"], "ready");
    assert_eq!(canon["additional"]["thumbnail"]["unit_id"], canon["id"]);
    assert!(canon["additional"]["thumbnail"]["cache_key"].as_str().unwrap().starts_with(&format!("{}_", canon["id"])));

    let by_name = api.call(
        "SYNO.Foto.Browse.Item",
        "list",
        5,
        &[("folder_id", &trip_id), ("limit", "2"), ("offset", "1"), ("sort_by", "filename"), ("sort_direction", "asc")],
    );
    let names: Vec<&str> = list(&by_name).iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["Fujifilm_FinePix6900ZOOM.jpg", "Nikon_D70.jpg"], "by name, second page of two");

    // Time range over the whole space: only the 2008 photos.
    let range =
        api.call("SYNO.Foto.Browse.Item", "count", 5, &[("start_time", "1199145600"), ("end_time", "1230768000")]);
    assert_eq!(range["data"]["count"], 2);
    let all = api.call("SYNO.Foto.Browse.Item", "count", 5, &[]);
    assert_eq!(all["data"]["count"], 4, "bob's photo is not counted");
    let videos = api.call("SYNO.Foto.Browse.Item", "count", 5, &[("type", "\"video\"")]);
    assert_eq!(videos["data"]["count"], 0);

    let id = canon["id"].as_i64().unwrap();
    let got = api.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{id}]")), ("additional", "[\"exif\"]")]);
    assert_eq!(list(&got)[0]["filename"], "Canon_40D.jpg");
    assert_eq!(list(&got)[0]["additional"]["exif"]["aperture"], "F7.1");
}

#[test]
fn one_user_never_reaches_another_users_items() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let bob = logged_in(&s, &s.bob);
    let items = alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10")]);
    let alice_item = list(&items)[0]["id"].as_i64().unwrap().to_string();
    let folders = alice.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let alice_folder = list(&folders)[0]["id"].as_i64().unwrap().to_string();

    let got = bob.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{alice_item}]"))]);
    assert!(list(&got).is_empty(), "bob gets nothing for alice's item id");
    assert_eq!(error_code(&bob.call("SYNO.Foto.Thumbnail", "get", 2, &[("id", &alice_item), ("size", "sm")])), 642);
    assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Folder", "get", 2, &[("id", &alice_folder)])), 642);
    assert_eq!(
        error_code(&bob.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", &alice_folder), ("limit", "5")])),
        642
    );
    assert_eq!(
        error_code(&bob.call("SYNO.Foto.Browse.Item", "list", 5, &[("folder_id", &alice_folder), ("limit", "5")])),
        642
    );
    let by_path = bob.call("SYNO.Foto.Browse.Folder", "get", 2, &[("name", "\"/trip\"")]);
    assert_eq!(error_code(&by_path), 642, "bob has no /trip of his own");
    let create = [("target_id", alice_folder.as_str()), ("name", "\"mine\"")];
    assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Folder", "create", 1, &create)), 642);
    assert!(!s.lib.photos().join("trip/mine").exists());

    let own = bob.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10")]);
    let names: Vec<&str> = list(&own).iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["Pentax_K10D.jpg"], "bob sees exactly his own photo");
}

#[test]
fn thumbnails_come_with_etags_and_cache_lifetimes() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "1"), ("additional", "[\"thumbnail\"]")]);
    let item = &list(&items)[0];
    let (id, key) =
        (item["id"].as_i64().unwrap().to_string(), item["additional"]["thumbnail"]["cache_key"].as_str().unwrap());
    let response = api.get_raw(
        "SYNO.Foto.Thumbnail",
        "get",
        2,
        &[("id", &id), ("size", "\"m\""), ("cache_key", &format!("\"{key}\"")), ("type", "\"unit\"")],
        &[],
    );
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("image/jpeg"));
    assert!(response.header("cache-control").unwrap().contains("immutable"));
    let etag = response.header("etag").unwrap().to_string();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
    let thumb = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!(thumb.width().min(thumb.height()).min(320), thumb.width().min(thumb.height()), "m is at most 320 px");

    let again =
        api.get_raw("SYNO.Foto.Thumbnail", "get", 2, &[("id", &id), ("size", "m")], &[("If-None-Match", &etag)]);
    assert_eq!(again.status(), 304);
    let stale =
        api.get_raw("SYNO.Foto.Thumbnail", "get", 2, &[("id", &id), ("size", "m"), ("cache_key", "\"1_1\"")], &[]);
    assert_eq!(stale.header("cache-control"), Some("private, no-cache"), "an old cache_key is not cached for a year");
    assert_eq!(error_code(&api.call("SYNO.Foto.Thumbnail", "get", 2, &[("id", &id), ("size", "huge")])), 114);
}

/// The PyPI package `synology-api` (N4S4), as published, against photosd: it logs in the DSM 7 way (UIConfig,
/// then the password RSA/AES-encrypted over plain HTTP), reads the user, finds /trip, lists albums and items,
/// gets an item and downloads its thumbnail.
#[test]
fn the_synology_api_client_from_pypi_works() {
    let s = setup();
    let python = photosd_tests::workspace().join("target/pyenv/bin/python");
    assert!(python.exists(), "tests/setup.sh installs the client into target/pyenv");
    let script = photosd_tests::workspace().join("tests/clients/synology_api_photos.py");
    let port = s.daemon.base_url().rsplit(':').next().unwrap().to_string();
    let thumb = s.lib.dir.path().join("thumb.jpg");
    let out = std::process::Command::new(python)
        .arg(script)
        .args([&port, s.alice.name, s.alice.password, "/trip"])
        .arg(&thumb)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(out.stdout.rsplit(|b| *b == b'\n').find(|l| !l.is_empty()).unwrap())
        .expect("the script prints JSON");
    assert_eq!(got["me"]["data"]["name"], s.alice.name);
    let root: Vec<&str> = list(&got["root_folders"]).iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(root, ["/trip"]);
    assert_eq!(got["folder"]["name"], "/trip");
    assert_eq!(list(&got["albums"]).len(), 0, "no albums yet");
    let mut names: Vec<&str> = list(&got["items"]).iter().map(|i| i["filename"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Canon_40D.jpg", "Fujifilm_FinePix6900ZOOM.jpg", "Nikon_D70.jpg"]);
    let first = &list(&got["items"])[0];
    assert_eq!(list(&got["item"])[0]["id"], first["id"]);
    assert!(list(&got["item"])[0]["additional"]["resolution"]["width"].as_i64().unwrap() > 0);
    assert_eq!(got["thumbnail"], thumb.display().to_string(), "the thumbnail was saved");
    let image = image::open(&thumb).expect("a real JPEG");
    let short = image.width().min(image.height());
    assert!(short > 0 && short <= 320);
}

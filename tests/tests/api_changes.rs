//! Browsing aggregates and changes through the web API: the timeline, recently added, tags, search and its
//! facets, indexing progress; editing description, rating and date (kept across a re-index), renaming,
//! moving, and deleting into the recycle bin, for items and folders, and never on another user's items.

use photosd_tests::api_library::{list, logged_in, setup, Setup};
use photosd_tests::{error_code, wait_for, Api};
use serde_json::Value;

fn id_of(api: &Api, name: &str) -> i64 {
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")]);
    list(&items).iter().find(|i| i["filename"] == name).unwrap_or_else(|| panic!("{name} listed"))["id"]
        .as_i64()
        .unwrap()
}

fn names(envelope: &Value) -> Vec<String> {
    let mut names: Vec<String> = list(envelope).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

#[test]
fn timeline_tags_search_and_facets() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let timeline = api.call("SYNO.Foto.Browse.Timeline", "get", 5, &[("timeline_group_unit", "\"day\"")]);
    let days: Vec<(i64, i64, i64, i64)> = timeline["data"]["section"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["list"].as_array().unwrap().clone())
        .map(|d| {
            (
                d["year"].as_i64().unwrap(),
                d["month"].as_i64().unwrap(),
                d["day"].as_i64().unwrap(),
                d["item_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [(2008, 5, 30, 1), (2008, 3, 15, 1), (2007, 6, 15, 1), (2001, 2, 19, 1)],
        "newest first, one per day"
    );
    let months = api.call("SYNO.Foto.Browse.Timeline", "get", 5, &[("timeline_group_unit", "\"month\"")]);
    assert_eq!(months["data"]["section"][0]["list"][0]["month"], 5);

    let recent = api.call("SYNO.Foto.Browse.RecentlyAdded", "list", 5, &[("limit", "10")]);
    assert_eq!(list(&recent).len(), 4);

    let tag = api.call("SYNO.Foto.Browse.GeneralTag", "create", 1, &[("name", "\"Iceland\"")]);
    let tag_id = tag["data"]["tag"]["id"].as_i64().unwrap().to_string();
    let canon = id_of(&api, "Canon_40D.jpg");
    let tagged = api.call(
        "SYNO.Foto.Browse.Item",
        "add_tag",
        5,
        &[("id", &format!("[{canon}]")), ("tag", &format!("[{tag_id}]"))],
    );
    assert_eq!(tagged["success"], true, "{tagged}");
    let tags = api.call("SYNO.Foto.Browse.GeneralTag", "list", 1, &[("limit", "100")]);
    let iceland = list(&tags).iter().find(|t| t["name"] == "Iceland").expect("the tag is listed");
    assert_eq!(iceland["item_count"], 1);
    let by_tag = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10"), ("general_tag_id", &tag_id)]);
    assert_eq!(names(&by_tag), ["Canon_40D.jpg"]);

    // Search finds file names, tags and folder names.
    let found = api.call("SYNO.Foto.Search.Search", "list_item", 6, &[("keyword", "\"iceland\""), ("limit", "10")]);
    assert_eq!(names(&found), ["Canon_40D.jpg"]);
    let in_trip = api.call("SYNO.Foto.Search.Search", "count_item", 6, &[("keyword", "\"trip\"")]);
    assert_eq!(in_trip["data"]["count"], 3);
    let by_name = api.call("SYNO.Foto.Search.Search", "list_item", 6, &[("keyword", "\"nikon\""), ("limit", "10")]);
    assert_eq!(names(&by_name), ["Nikon_D70.jpg"]);
    let suggest = api.call("SYNO.Foto.Search.Search", "suggest", 6, &[("keyword", "\"ice\"")]);
    assert_eq!(list(&suggest)[0]["name"], "Iceland");

    // Facets come back with ids that filter.
    let facets = api.call("SYNO.Foto.Search.Filter", "list", 2, &[]);
    let cameras = facets["data"]["camera"].as_array().unwrap();
    assert!(cameras.iter().any(|c| c["name"] == "Canon Canon EOS 40D"), "{cameras:?}");
    let canon_camera = cameras.iter().find(|c| c["name"] == "Canon Canon EOS 40D").unwrap()["id"].to_string();
    let filtered = api.call(
        "SYNO.Foto.Browse.Item",
        "list_with_filter",
        5,
        &[("limit", "10"), ("camera", &format!("[{canon_camera}]"))],
    );
    assert_eq!(names(&filtered), ["Canon_40D.jpg"]);
    assert_eq!(facets["data"]["time"].as_array().unwrap().len(), 4, "four months with photos");

    let index = api.call("SYNO.Foto.Index", "get", 1, &[]);
    assert_eq!(index["data"]["basic"], 0, "nothing left to index");
    let tasks = api.call("SYNO.Foto.BackgroundTask.Info", "list_user_task", 1, &[]);
    assert_eq!(tasks["data"]["list"].as_array().unwrap().len(), 0, "no work running");

    // bob sees neither alice's tag nor her photos through search.
    let bob = logged_in(&s, &s.bob);
    assert!(list(&bob.call("SYNO.Foto.Browse.GeneralTag", "list", 1, &[("limit", "100")])).is_empty());
    assert!(
        list(&bob.call("SYNO.Foto.Search.Search", "list_item", 6, &[("keyword", "\"jpg\""), ("limit", "10")])).len()
            == 1
    );
}

#[test]
fn edits_renames_moves_and_deletes() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let canon = id_of(&api, "Canon_40D.jpg");
    let ids = format!("[{canon}]");
    let set = api.call(
        "SYNO.Foto.Browse.Item",
        "set",
        5,
        &[("id", &ids), ("rating", "4"), ("description", "\"Aurora\""), ("time", "1700000000")],
    );
    assert_eq!(set["success"], true, "{set}");
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Item", "set", 5, &[("id", &ids), ("rating", "9")])), 114);

    // A re-index of the file (its content changes) keeps the edits.
    let path = s.lib.photos().join("trip/Canon_40D.jpg");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\0");
    std::fs::write(&path, &bytes).unwrap();
    wait_for("the re-read", 20, || {
        s.lib.db().query_row("SELECT size FROM item WHERE id = ?1", [canon], |r| r.get::<_, i64>(0)).unwrap()
            == bytes.len() as i64
    });
    let got =
        api.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &ids), ("additional", "[\"rating\", \"description\"]")]);
    let item = &list(&got)[0];
    assert_eq!(
        (item["additional"]["rating"].as_i64(), item["additional"]["description"].as_str(), item["time"].as_i64()),
        (Some(4), Some("Aurora"), Some(1700000000))
    );

    // Rename and move keep the id.
    let renamed = api.call("SYNO.Foto.Browse.Item", "rename", 5, &[("id", &ids), ("name", "\"aurora.jpg\"")]);
    assert_eq!(renamed["success"], true, "{renamed}");
    assert!(s.lib.photos().join("trip/aurora.jpg").exists());
    let root = api.call("SYNO.Foto.Browse.Folder", "get", 2, &[("id", "0")])["data"]["folder"]["id"].to_string();
    let moved = api.call("SYNO.Foto.Browse.Item", "move", 5, &[("id", &ids), ("target_folder_id", &root)]);
    assert_eq!(moved["success"], true, "{moved}");
    assert!(s.lib.photos().join("aurora.jpg").exists());
    assert_eq!(id_of(&api, "aurora.jpg"), canon);
    let clash = api.call("SYNO.Foto.Browse.Item", "rename", 5, &[("id", &ids), ("name", "\"Sony_HDR-HC3.jpg\"")]);
    assert_eq!(error_code(&clash), 641, "a rename never replaces a file");

    // bob can change none of it.
    let bob = logged_in(&s, &s.bob);
    for (method, extra) in [("set", ("rating", "1")), ("rename", ("name", "\"x.jpg\"")), ("delete", ("x", "1"))] {
        assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Item", method, 5, &[("id", &ids), extra])), 642, "{method}");
    }

    // Delete moves the file into the home's recycle bin.
    let deleted = api.call("SYNO.Foto.Browse.Item", "delete", 5, &[("id", &ids)]);
    assert_eq!(deleted["success"], true, "{deleted}");
    assert!(!s.lib.photos().join("aurora.jpg").exists());
    let binned = s.lib.photos().parent().unwrap().join("#recycle/Photos/aurora.jpg");
    assert_eq!(std::fs::read(&binned).unwrap(), bytes, "the original, intact, in the recycle bin");
    assert_eq!(list(&api.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &ids)])).len(), 0);

    // Folders: rename, then delete into the bin with everything in them.
    let folders = api.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let trip = list(&folders)[0]["id"].to_string();
    let renamed = api.call("SYNO.Foto.Browse.Folder", "rename", 2, &[("id", &trip), ("name", "\"Holiday\"")]);
    assert_eq!(renamed["data"]["folder"]["name"], "/Holiday", "{renamed}");
    assert!(s.lib.photos().join("Holiday/Nikon_D70.jpg").exists());
    let gone = api.call("SYNO.Foto.Browse.Folder", "delete", 2, &[("id", &format!("[{trip}]"))]);
    assert_eq!(gone["success"], true, "{gone}");
    assert!(s.lib.photos().parent().unwrap().join("#recycle/Photos/Holiday/Nikon_D70.jpg").exists());
    let left = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10")]);
    assert_eq!(names(&left), ["Sony_HDR-HC3.jpg"]);
    assert_eq!(error_code(&api.call("SYNO.Foto.Browse.Folder", "delete", 2, &[("id", "[0]")])), 105, "the root stays");
}

#[test]
fn copies_are_new_items_and_exif_reads_back() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let nikon = id_of(&api, "Nikon_D70.jpg");
    let exif = api.call("SYNO.Foto.Browse.Item", "get_exif", 5, &[("id", &format!("[{nikon}]"))]);
    assert_eq!(exif["data"]["exif"]["Make"], "NIKON CORPORATION", "{exif}");
    let root = api.call("SYNO.Foto.Browse.Folder", "get", 2, &[("id", "0")])["data"]["folder"]["id"].to_string();
    let copied =
        api.call("SYNO.Foto.Browse.Item", "copy", 5, &[("id", &format!("[{nikon}]")), ("target_folder_id", &root)]);
    let copy = &copied["data"]["list"][0];
    assert_eq!(copy["filename"], "Nikon_D70.jpg", "{copied}");
    assert_ne!(copy["id"].as_i64().unwrap(), nikon, "a copy is an item of its own");
    let original = std::fs::read(s.lib.photos().join("trip/Nikon_D70.jpg")).unwrap();
    assert_eq!(std::fs::read(s.lib.photos().join("Nikon_D70.jpg")).unwrap(), original);
    let again =
        api.call("SYNO.Foto.Browse.Item", "copy", 5, &[("id", &format!("[{nikon}]")), ("target_folder_id", &root)]);
    assert_eq!(again["data"]["list"][0]["filename"], "Nikon_D70 (2).jpg", "a copy never replaces a file");
}

/// Edits go to an XMP sidecar beside the original (which stays byte for byte the same), follow renames, and
/// come back when the library is indexed again from nothing.
#[test]
fn edits_live_in_xmp_sidecars_and_survive_a_fresh_index() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let nikon = id_of(&api, "Nikon_D70.jpg");
    let ids = format!("[{nikon}]");
    let original = std::fs::read(s.lib.photos().join("trip/Nikon_D70.jpg")).unwrap();
    api.call(
        "SYNO.Foto.Browse.Item",
        "set",
        5,
        &[("id", &ids), ("description", "\"Glacier walk\""), ("rating", "5"), ("time", "1500000000")],
    );
    let tag = api.call("SYNO.Foto.Browse.GeneralTag", "create", 1, &[("name", "\"Vatnajökull\"")]);
    let tag_id = tag["data"]["tag"]["id"].to_string();
    api.call("SYNO.Foto.Browse.Item", "add_tag", 5, &[("id", &ids), ("tag", &format!("[{tag_id}]"))]);
    let renamed = api.call("SYNO.Foto.Browse.Item", "rename", 5, &[("id", &ids), ("name", "\"glacier.jpg\"")]);
    assert_eq!(renamed["success"], true, "{renamed}");
    let sidecar = s.lib.photos().join("trip/glacier.jpg.xmp");
    let text = std::fs::read_to_string(&sidecar).expect("the sidecar followed the rename");
    assert!(
        text.contains("Glacier walk") && text.contains("Vatnajökull") && text.contains("xmp:Rating=\"5\""),
        "{text}"
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&sidecar).unwrap().uid(), s.alice.uid);
    assert_eq!(std::fs::read(s.lib.photos().join("trip/glacier.jpg")).unwrap(), original, "the original is untouched");

    // Forget the library entirely, and index again.
    let Setup { lib, daemon, .. } = s;
    daemon.stop();
    std::fs::remove_dir_all(lib.data()).unwrap();
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let out = photosd_tests::photosd(&lib.args("index", &pattern, &data));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (description, rating, taken, tags): (String, i64, i64, String) = lib
        .db()
        .query_row(
            "SELECT i.description, i.rating, i.taken_ts, group_concat(t.name) FROM item i
             JOIN item_tag it ON it.item_id = i.id JOIN tag t ON t.id = it.tag_id WHERE i.filename = 'glacier.jpg'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((description.as_str(), rating, taken), ("Glacier walk", 5, 1500000000));
    assert!(tags.contains("Vatnajökull"), "{tags}");
}

#[test]
fn a_reindex_reads_every_file_of_the_space_again() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let before: i64 = s.lib.db().query_row("SELECT max(indexed_at) FROM item", [], |r| r.get(0)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let asked = api.call("SYNO.Foto.Index", "reindex", 1, &[("type", "\"basic\"")]);
    assert_eq!(asked["success"], true, "{asked}");
    wait_for("alice's four files to be read again", 30, || {
        s.lib
            .db()
            .query_row("SELECT count(*) FROM item i JOIN space sp ON sp.id = i.space_id WHERE sp.owner_name = ?1 AND i.indexed_at > ?2", rusqlite::params![s.alice.name, before], |r| r.get::<_, i64>(0))
            .unwrap()
            == 4
    });
    let bob_untouched: i64 = s
        .lib
        .db()
        .query_row(
            "SELECT max(indexed_at) FROM item i JOIN space sp ON sp.id = i.space_id WHERE sp.owner_name = 'pdt-bob'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(bob_untouched <= before, "bob's space is not re-read");
    let bob = logged_in(&s, &s.bob);
    let index = bob.call("SYNO.Foto.Index", "get", 1, &[]);
    assert_eq!(index["success"], true);
}

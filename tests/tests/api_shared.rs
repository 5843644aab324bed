//! The Shared Space through `SYNO.FotoTeam.*`: every Photos user browses it by default, folder permissions
//! decide who sees, downloads, uploads and manages what, and its ids and the Personal Spaces' ids never cross
//! between the two API families.

use photosd_tests::api_library::{list, logged_in, setup_with_shared};
use photosd_tests::{error_code, sample_jpeg, test_user};

#[test]
fn everyone_browses_the_shared_space_and_only_admins_change_it() {
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shared.path().join("Family")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Family/reunion.jpg")).unwrap();
    let admins = "photosd-test-admins";
    let s = setup_with_shared(Some((shared.path(), admins)));
    let dave = test_user("pdt-dave", "dave-Pa55word", &[photosd_tests::api_library::GROUP, admins]);

    let alice = logged_in(&s, &s.alice);
    let items = alice.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "10")]);
    let names: Vec<&str> = list(&items).iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["reunion.jpg"]);
    assert_eq!(list(&items)[0]["owner_user_id"], 0, "the Shared Space belongs to no one");
    let shared_id = list(&items)[0]["id"].to_string();
    let bob = logged_in(&s, &s.bob);
    assert_eq!(list(&bob.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "10")])).len(), 1, "bob sees it too");
    let thumb = bob.get_raw("SYNO.FotoTeam.Thumbnail", "get", 2, &[("id", &shared_id), ("size", "sm")], &[]);
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));

    // The families do not mix: a shared id is not a personal one, and the reverse.
    assert!(list(&alice.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{shared_id}]"))])).is_empty());
    let personal = alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "1")]);
    let personal_id = list(&personal)[0]["id"].to_string();
    assert!(list(&alice.call("SYNO.FotoTeam.Browse.Item", "get", 5, &[("id", &format!("[{personal_id}]"))])).is_empty());

    // Only an administrator may change the Shared Space.
    let create = [("target_id", "0"), ("name", "\"Wedding\"")];
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &create)), 105);
    let mut admin = photosd_tests::Api::new(&s.daemon.base_url());
    assert_eq!(admin.login(dave.name, dave.password)["success"], true);
    let made = admin.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &create);
    assert_eq!(made["data"]["folder"]["name"], "/Wedding", "{made}");
    assert!(shared.path().join("Wedding").is_dir());
    let me = admin.call("SYNO.Foto.UserInfo", "me", 1, &[]);
    assert_eq!(me["data"]["is_admin"], true);
}

/// Folder permissions: what an administrator sets on a folder decides who sees it, downloads from it, uploads to
/// it and manages it; a folder someone may not see answers 642 by every road (id, name, item, thumbnail,
/// download, search, timeline), and its rules follow a rename.
#[test]
fn folder_permissions_decide_who_sees_and_changes_what() {
    let shared = tempfile::tempdir().unwrap();
    for (folder, name) in [("Family", "reunion.jpg"), ("Private", "secret.jpg"), ("Events", "party.jpg")] {
        std::fs::create_dir_all(shared.path().join(folder)).unwrap();
        std::fs::copy(sample_jpeg(), shared.path().join(folder).join(name)).unwrap();
    }
    let admins = "photosd-test-admins";
    let s = setup_with_shared(Some((shared.path(), admins)));
    let dave = test_user("pdt-dave", "dave-Pa55word", &[photosd_tests::api_library::GROUP, admins]);
    let (alice, bob, admin) = (logged_in(&s, &s.alice), logged_in(&s, &s.bob), logged_in(&s, &dave));
    let root = admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let folder_id = |name: &str| list(&root).iter().find(|f| f["name"] == name).unwrap()["id"].to_string();
    let (private, events) = (folder_id("/Private"), folder_id("/Events"));
    let item_named = |api: &photosd_tests::Api, name: &str| {
        let items = api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "100")]);
        list(&items).iter().find(|i| i["filename"] == name).map(|i| i["id"].to_string())
    };
    let secret = item_named(&admin, "secret.jpg").expect("the administrator sees everything");

    // Private: bob manages it, nobody else (but administrators) sees it. Events: Photos users upload there.
    let bob_manages = format!(
        r#"[{{"role":"none","member":{{"type":"everyone"}}}},{{"role":"manage","action":"update","member":{{"type":"user","id":{}}}}}]"#,
        s.bob.uid
    );
    let set = admin.call(
        "SYNO.FotoTeam.Sharing.FolderPermission",
        "update",
        1,
        &[("id", &private), ("permission", &bob_manages)],
    );
    assert_eq!(set["success"], true, "{set}");
    let gid = nix::unistd::Group::from_name(photosd_tests::api_library::GROUP).unwrap().unwrap().gid.as_raw();
    let group_uploads = format!(r#"[{{"role":"upload","member":{{"type":"group","id":{gid}}}}}]"#);
    let set = admin.call(
        "SYNO.FotoTeam.Sharing.FolderPermission",
        "update",
        1,
        &[("id", &events), ("permission", &group_uploads)],
    );
    assert_eq!(set["success"], true, "{set}");

    // alice: Private is gone by every road.
    let names = |api: &photosd_tests::Api| {
        let items = api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "100")]);
        let mut names: Vec<String> = list(&items).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&alice), ["party.jpg", "reunion.jpg"]);
    let count = alice.call("SYNO.FotoTeam.Browse.Item", "count", 5, &[]);
    assert_eq!(count["data"]["count"], 2);
    let folders = alice.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let folder_names: Vec<&str> = list(&folders).iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(folder_names, ["/Events", "/Family"]);
    assert_eq!(alice.call("SYNO.FotoTeam.Browse.Folder", "count", 2, &[("id", "0")])["data"]["count"], 2);
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("id", &private)])), 642);
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Private\"")])), 642);
    assert_eq!(
        error_code(&alice.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("folder_id", &private), ("limit", "9")])),
        642
    );
    assert!(list(&alice.call("SYNO.FotoTeam.Browse.Item", "get", 5, &[("id", &format!("[{secret}]"))])).is_empty());
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Thumbnail", "get", 2, &[("id", &secret), ("size", "sm")])), 642);
    let download = alice.get_raw("SYNO.FotoTeam.Download", "download", 2, &[("item_id", &format!("[{secret}]"))], &[]);
    assert_eq!(error_code(&serde_json::from_str(&download.into_string().unwrap()).unwrap()), 642);
    let search = alice.call("SYNO.FotoTeam.Search.Search", "count_item", 6, &[("keyword", "\"secret\"")]);
    assert_eq!(search["data"]["count"], 0);
    let timeline = alice.call("SYNO.FotoTeam.Browse.Timeline", "get", 5, &[("timeline_group_unit", "\"day\"")]);
    let total: i64 = timeline["data"]["section"][0]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["item_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2, "{timeline}");
    let rename = [("id", format!("[{secret}]")), ("name", "\"mine.jpg\"".to_string())];
    let rename: Vec<(&str, &str)> = rename.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Item", "rename", 5, &rename)), 642);
    assert_eq!(
        error_code(&alice.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &private)])),
        642
    );

    // alice uploads to Events (the group may), not to Family (everyone only downloads there): 105, seen but not hers.
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let upload_to = |folder: &str, name: &str| {
        alice.upload_to("SYNO.FotoTeam.Upload.Item", "upload_to_folder", &[("target_folder_id", folder)], name, &jpeg)
    };
    let up = upload_to(&events, "alice.jpg");
    assert_eq!(up["data"]["action"], "upload", "{up}");
    assert!(shared.path().join("Events/alice.jpg").is_file());
    let family = folder_id("/Family");
    let up = upload_to(&family, "a.jpg");
    assert_eq!(error_code(&up), 105);
    assert!(!shared.path().join("Family/a.jpg").exists());
    let up = upload_to(&private, "a.jpg");
    assert_eq!(error_code(&up), 642);
    assert_eq!(
        error_code(&alice.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &events)])),
        105
    );

    // A folder alice may not see, in Events where she may create folders: making one of its name answers 642
    // (as for any folder she cannot see), never 641, which would tell her it is there.
    let backstage = [("target_id", events.as_str()), ("name", "\"Backstage\"")];
    let made = admin.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &backstage);
    let backstage_id = made["data"]["folder"]["id"].to_string();
    // (An update keeps the rules it inherits: the group's upload is taken away by name.)
    let nobody = format!(
        r#"[{{"role":"none","member":{{"type":"everyone"}}}},{{"role":"none","member":{{"type":"group","id":{gid}}}}}]"#
    );
    let hidden = [("id", backstage_id.as_str()), ("permission", nobody.as_str())];
    assert_eq!(admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "update", 1, &hidden)["success"], true);
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &backstage)), 642);
    let visible = [("target_id", events.as_str()), ("name", "\"Backstage2\"")];
    assert_eq!(alice.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &visible)["success"], true);
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "create", 1, &visible)), 641, "her own: 641");

    // bob manages Private: he sees it, is told so, and renames in it.
    assert!(item_named(&bob, "secret.jpg").is_some());
    let folders = bob.call(
        "SYNO.FotoTeam.Browse.Folder",
        "list",
        2,
        &[("id", "0"), ("limit", "10"), ("additional", r#"["access_permission"]"#)],
    );
    let perms = |name: &str| {
        list(&folders).iter().find(|f| f["name"] == name).unwrap()["additional"]["access_permission"].clone()
    };
    assert_eq!(perms("/Private")["manage"], true);
    assert_eq!(perms("/Family")["download"], true);
    assert_eq!(perms("/Family")["upload"], false);
    assert_eq!(bob.call("SYNO.FotoTeam.Browse.Item", "rename", 5, &rename)["success"], true);
    assert!(shared.path().join("Private/mine.jpg").is_file());

    // The administrator reads the rules; renaming the folder carries them; inheriting again opens it to alice.
    let config = admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &private)]);
    assert_eq!(config["data"]["inherited"], false, "{config}");
    let rules = config["data"]["permission"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["role"] == "manage" && r["member"]["name"] == s.bob.name), "{config}");
    let renamed = admin.call("SYNO.FotoTeam.Browse.Folder", "rename", 2, &[("id", &private), ("name", "\"Hidden\"")]);
    assert_eq!(renamed["success"], true, "{renamed}");
    assert_eq!(names(&alice), ["alice.jpg", "party.jpg", "reunion.jpg"], "the rules went with the rename");
    let inherit =
        admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "set_config", 1, &[("id", &private), ("inherit", "true")]);
    assert_eq!(inherit["success"], true, "{inherit}");
    assert_eq!(names(&alice), ["alice.jpg", "mine.jpg", "party.jpg", "reunion.jpg"]);

    // The users and groups a rule can name.
    let members = admin.call("SYNO.Foto.Sharing.Misc", "list_user_group", 2, &[]);
    assert!(list(&members).iter().any(|m| m["type"] == "user" && m["id"] == s.alice.uid && m["name"] == s.alice.name));
    assert!(list(&members).iter().any(|m| m["type"] == "group" && m["id"] == gid));
    assert!(!list(&members).iter().any(|m| m["name"] == s.carol.name), "carol may not use Photos");
}

/// Gives a folder rules of its own that admit nobody but the Photos administrators.
fn only_administrators_see(admin: &photosd_tests::Api, folder_id: &str) {
    let nobody = r#"[{"role":"none","member":{"type":"everyone"}}]"#;
    let permission = [("id", folder_id), ("permission", nobody)];
    let set = admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "update", 1, &permission);
    assert_eq!(set["success"], true, "{set}");
}

/// A folder with rules of its own keeps them when it is renamed and moved on disk (over SMB, or with `mv`) while the
/// daemon runs, exactly as through the API: a user the rules do not admit still gets 642 on the folder and its
/// items, and sees no more of the Shared Space than before.
#[test]
fn folder_rules_follow_a_rename_and_a_move_made_on_disk() {
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shared.path().join("Family")).unwrap();
    std::fs::create_dir_all(shared.path().join("Archive")).unwrap();
    std::fs::create_dir_all(shared.path().join("Private/Deeper")).unwrap();
    for name in ["a.jpg", "b.jpg"] {
        std::fs::copy(sample_jpeg(), shared.path().join("Family").join(name)).unwrap();
    }
    for name in ["s1.jpg", "s2.jpg", "s3.jpg"] {
        std::fs::copy(sample_jpeg(), shared.path().join("Private").join(name)).unwrap();
    }
    std::fs::copy(sample_jpeg(), shared.path().join("Private/Deeper/s4.jpg")).unwrap();
    let admins = "photosd-test-admins";
    let s = setup_with_shared(Some((shared.path(), admins)));
    let dave = test_user("pdt-dave", "dave-Pa55word", &[photosd_tests::api_library::GROUP, admins]);
    let (alice, admin) = (logged_in(&s, &s.alice), logged_in(&s, &dave));
    let root = admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let private = list(&root).iter().find(|f| f["name"] == "/Private").expect("Private is indexed")["id"].to_string();
    only_administrators_see(&admin, &private);
    let visible = |api: &photosd_tests::Api| {
        let items = api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "100")]);
        assert_eq!(items["success"], true, "{items}");
        let mut names: Vec<String> = list(&items).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(visible(&alice), ["a.jpg", "b.jpg"]);
    let secret_ids: Vec<String> = {
        let items = admin.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "100")]);
        list(&items)
            .iter()
            .filter(|i| i["filename"].as_str().unwrap().starts_with('s'))
            .map(|i| i["id"].to_string())
            .collect()
    };
    assert_eq!(secret_ids.len(), 4);

    // Renamed on disk, then moved into another folder, while the daemon runs.
    let admin_sees_folder = |path: &str| {
        let name = format!("\"{path}\"");
        admin.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", &name)])["success"] == true
    };
    std::fs::rename(shared.path().join("Private"), shared.path().join("Renamed")).unwrap();
    photosd_tests::wait_for("the rename to be seen", 30, || admin_sees_folder("/Renamed/Deeper"));
    assert_eq!(visible(&alice), ["a.jpg", "b.jpg"], "the rules went with the rename");
    std::fs::rename(shared.path().join("Renamed"), shared.path().join("Archive/Moved")).unwrap();
    photosd_tests::wait_for("the move to be seen", 30, || admin_sees_folder("/Archive/Moved/Deeper"));
    assert_eq!(visible(&alice), ["a.jpg", "b.jpg"], "the rules went with the move");
    assert_eq!(alice.call("SYNO.FotoTeam.Browse.Item", "count", 5, &[])["data"]["count"], 2);

    // Every road to the folder and its items is as closed as before.
    let moved = admin.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Archive/Moved\"")]);
    let moved = moved["data"]["folder"]["id"].to_string();
    assert_eq!(moved, private, "the folder kept its id");
    assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("id", &moved)])), 642);
    assert_eq!(
        error_code(&alice.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Archive/Moved/Deeper\"")])),
        642
    );
    let archive = alice.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Archive\"")]);
    let archive = archive["data"]["folder"]["id"].to_string();
    let children = alice.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", &archive), ("limit", "10")]);
    assert!(list(&children).is_empty(), "{children}");
    for id in &secret_ids {
        assert!(list(&alice.call("SYNO.FotoTeam.Browse.Item", "get", 5, &[("id", &format!("[{id}]"))])).is_empty());
        assert_eq!(error_code(&alice.call("SYNO.FotoTeam.Thumbnail", "get", 2, &[("id", id), ("size", "sm")])), 642);
    }
    let config = admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &moved)]);
    assert_eq!(config["data"]["inherited"], false, "{config}");
}

/// The same while photosd is stopped: the reconcile scan at the next start recognises the renamed folder (its
/// inode, holding its files), which keeps its id, items and rules; a user the rules do not admit sees no more.
#[test]
fn folder_rules_follow_a_rename_made_while_photosd_was_stopped() {
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shared.path().join("Family")).unwrap();
    std::fs::create_dir_all(shared.path().join("Private/Deeper")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Family/a.jpg")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Private/s1.jpg")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Private/Deeper/s2.jpg")).unwrap();
    let admins = "photosd-test-admins";
    let s = setup_with_shared(Some((shared.path(), admins)));
    let dave = test_user("pdt-dave", "dave-Pa55word", &[photosd_tests::api_library::GROUP, admins]);
    let admin = logged_in(&s, &dave);
    let private = admin.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Private\"")]);
    let private = private["data"]["folder"]["id"].to_string();
    only_administrators_see(&admin, &private);
    let photosd_tests::api_library::Setup { lib, daemon, alice, .. } = s;
    assert!(daemon.stop().success());

    std::fs::rename(shared.path().join("Private"), shared.path().join("Renamed")).unwrap();
    let daemon = photosd_tests::Daemon::launch(
        &lib,
        shared.path(),
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", photosd_tests::api_library::GROUP), ("PHOTOSD_AUTH_ADMIN_GROUP", admins)],
    );
    let mut admin = photosd_tests::Api::new(&daemon.base_url());
    assert_eq!(admin.login(dave.name, dave.password)["success"], true);
    let mut alice_api = photosd_tests::Api::new(&daemon.base_url());
    assert_eq!(alice_api.login(alice.name, alice.password)["success"], true);
    let renamed = || admin.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("name", "\"/Renamed\"")]);
    photosd_tests::wait_for("the start-up scan to find the renamed folder", 30, || renamed()["success"] == true);
    let renamed = renamed();
    assert_eq!(renamed["data"]["folder"]["id"].to_string(), private, "the same folder: {renamed}");
    let config = admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &private)]);
    assert_eq!(config["data"]["inherited"], false, "its rules came along: {config}");
    let items = alice_api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("limit", "100")]);
    let names: Vec<&str> = list(&items).iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["a.jpg"], "{items}");
    assert_eq!(error_code(&alice_api.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("id", &private)])), 642);
    assert!(daemon.stop().success());
}

/// Home Assistant's Synology library (`py-synologydsm-api` from PyPI), as published: it logs in as on DSM
/// (asking `SYNO.DSM.Info` right after, which photosd answers on plain Linux), lists the albums and an album's
/// items of the Personal Space, searches it, lists the Shared Space, and downloads a thumbnail and the original
/// of an item of each space, byte for byte.
#[test]
fn home_assistants_synology_library_from_pypi_reaches_both_spaces() {
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shared.path().join("Family")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Family/reunion.jpg")).unwrap();
    let s = setup_with_shared(Some((shared.path(), "photosd-test-admins")));
    let alice = logged_in(&s, &s.alice);
    let items = alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10")]);
    let id_of = |name: &str| list(&items).iter().find(|i| i["filename"] == name).unwrap()["id"].to_string();
    let album_items = format!("[{},{}]", id_of("Canon_40D.jpg"), id_of("Nikon_D70.jpg"));
    let made = alice.call("SYNO.Foto.Browse.NormalAlbum", "create", 1, &[("name", "\"Trip\""), ("item", &album_items)]);
    assert_eq!(made["success"], true, "{made}");

    let python = photosd_tests::workspace().join("target/pyenv/bin/python");
    let script = photosd_tests::workspace().join("tests/clients/synologydsm_api_photos.py");
    let port = s.daemon.base_url().rsplit(':').next().unwrap().to_string();
    let out_dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(python)
        .arg(script)
        .args([&port, s.alice.name, s.alice.password, "Nikon"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value =
        serde_json::from_slice(out.stdout.rsplit(|b| *b == b'\n').find(|l| !l.is_empty()).unwrap()).unwrap();
    println!("py-synologydsm-api got: {got}");
    assert_eq!(got["logged_in"], true);
    assert_eq!(got["information"]["model"], "photosd");
    assert!(got["information"]["ram"].as_u64().unwrap() > 0);
    assert_eq!(got["information"]["awesome_version"], "7.2.1", "the version string parses as DSM's");
    let names = |key: &str| -> Vec<String> {
        let mut v: Vec<String> =
            got[key].as_array().unwrap().iter().map(|i| i["file_name"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(got["albums"][0]["name"], "Trip");
    assert_eq!(got["albums"][0]["item_count"], 2);
    assert_eq!(names("album_items"), ["Canon_40D.jpg", "Nikon_D70.jpg"]);
    assert_eq!(names("found"), ["Nikon_D70.jpg"]);
    assert_eq!(names("shared"), ["reunion.jpg"]);
    assert_eq!(got["shared"][0]["is_shared"], true);

    let personal = got["downloaded"]["personal"]["file_name"].as_str().unwrap();
    let originals = [
        ("personal", s.lib.photos().join("trip").join(personal)),
        ("shared", shared.path().join("Family/reunion.jpg")),
    ];
    for (space, original) in originals {
        let downloaded = std::fs::read(out_dir.path().join(format!("{space}.original"))).unwrap();
        assert!(downloaded == std::fs::read(&original).unwrap(), "{space}: the original, byte for byte");
        let thumb = image::open(out_dir.path().join(format!("{space}.thumb.jpg"))).expect("a JPEG thumbnail");
        assert!(thumb.width().min(thumb.height()) > 0, "{space}");
        assert_eq!(got["downloaded"][space]["thumbnail_size"], "xl", "{space}: the xl thumbnail is ready");
    }
}

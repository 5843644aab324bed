//! Albums through the web API: a user makes an album of photos from their Personal Space, lists and counts it,
//! lists its items, adds, removes and renames; the album keeps a photo through a rename, deleting the album
//! never deletes a photo, and nobody else can see or touch it.

use photosd_tests::api_library::{list, logged_in, setup};
use photosd_tests::{error_code, Api};
use serde_json::Value;

fn id_of(api: &Api, name: &str) -> i64 {
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")]);
    list(&items).iter().find(|i| i["filename"] == name).unwrap_or_else(|| panic!("{name} listed"))["id"]
        .as_i64()
        .unwrap()
}

fn album_items(api: &Api, album: i64) -> Vec<String> {
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("album_id", &album.to_string()), ("limit", "100")]);
    let mut names: Vec<String> = list(&items).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

fn album(api: &Api, id: i64) -> Value {
    let got =
        api.call("SYNO.Foto.Browse.Album", "get", 4, &[("id", &format!("[{id}]")), ("additional", "[\"thumbnail\"]")]);
    list(&got)[0].clone()
}

#[test]
fn albums_hold_a_users_photos_and_only_theirs() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let bob = logged_in(&s, &s.bob);
    let (canon, nikon, sony) =
        (id_of(&alice, "Canon_40D.jpg"), id_of(&alice, "Nikon_D70.jpg"), id_of(&alice, "Sony_HDR-HC3.jpg"));
    let pentax = id_of(&bob, "Pentax_K10D.jpg");

    // Create with two of alice's photos and one of bob's: bob's is refused, the rest land.
    let created = alice.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "create",
        3,
        &[("name", "\"Best of the trip\""), ("item", &format!("[{canon},{nikon},{pentax}]"))],
    );
    assert_eq!(created["success"], true, "{created}");
    let id = created["data"]["album"]["id"].as_i64().unwrap();
    assert_eq!(created["data"]["album"]["item_count"], 2);
    assert_eq!(created["data"]["album"]["type"], "normal");
    assert_eq!(created["data"]["error_list"][0]["id"], pentax, "{created}");
    assert_eq!(album_items(&alice, id), ["Canon_40D.jpg", "Nikon_D70.jpg"]);
    let count = alice.call("SYNO.Foto.Browse.Item", "count", 5, &[("album_id", &id.to_string())]);
    assert_eq!(count["data"]["count"], 2);

    // Listed and counted, with the times of its photos and a thumbnail that is served.
    let albums = alice.call(
        "SYNO.Foto.Browse.Album",
        "list",
        4,
        &[("offset", "0"), ("limit", "100"), ("additional", "[\"thumbnail\"]")],
    );
    let listed = &list(&albums)[0];
    assert_eq!((listed["id"].as_i64(), listed["name"].as_str()), (Some(id), Some("Best of the trip")));
    assert_eq!(listed["owner_user_id"], s.alice.uid);
    assert!(listed["start_time"].as_i64().unwrap() < listed["end_time"].as_i64().unwrap(), "{listed}");
    let cache_key = listed["additional"]["thumbnail"]["cache_key"].as_str().unwrap().to_string();
    let cover = listed["additional"]["thumbnail"]["unit_id"].as_i64().unwrap();
    assert!([canon, nikon].contains(&cover));
    let response = alice.get_raw(
        "SYNO.Foto.Thumbnail",
        "get",
        2,
        &[
            ("id", &cover.to_string()),
            ("cache_key", &format!("\"{cache_key}\"")),
            ("type", "\"unit\""),
            ("size", "\"sm\""),
        ],
        &[],
    );
    assert_eq!(response.status(), 200);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
    assert_eq!(&bytes[..2], b"\xff\xd8", "a JPEG thumbnail");
    assert_eq!(alice.call("SYNO.Foto.Browse.Album", "count", 2, &[])["data"]["count"], 1);

    // Add, remove (the photo stays in the library), rename.
    let version = album(&alice, id)["version"].as_i64().unwrap();
    let added = alice.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "add_item",
        1,
        &[("id", &id.to_string()), ("item", &format!("[{sony}]"))],
    );
    assert_eq!(added["data"]["error_list"], serde_json::json!([]), "{added}");
    let removed = alice.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "delete_item",
        1,
        &[("id", &id.to_string()), ("item", &format!("[{nikon}]"))],
    );
    assert_eq!(removed["success"], true, "{removed}");
    assert_eq!(album_items(&alice, id), ["Canon_40D.jpg", "Sony_HDR-HC3.jpg"]);
    assert_eq!(list(&alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")])).len(), 4);
    let renamed =
        alice.call("SYNO.Foto.Browse.Album", "set_name", 1, &[("id", &id.to_string()), ("name", "\"Iceland\"")]);
    assert_eq!(renamed["success"], true, "{renamed}");
    let now = album(&alice, id);
    assert_eq!(now["name"], "Iceland");
    assert!(now["version"].as_i64().unwrap() > version, "the version moves with every change");
    assert_eq!(
        error_code(&alice.call(
            "SYNO.Foto.Browse.Album",
            "set_name",
            1,
            &[("id", &id.to_string()), ("name", "\"  \"")]
        )),
        114
    );

    // A photo keeps its albums through a rename.
    let moved = alice.call(
        "SYNO.Foto.Browse.Item",
        "rename",
        5,
        &[("id", &canon.to_string()), ("name", "\"Canon_renamed.jpg\"")],
    );
    assert_eq!(moved["success"], true, "{moved}");
    assert_eq!(album_items(&alice, id), ["Canon_renamed.jpg", "Sony_HDR-HC3.jpg"]);

    // Nobody else sees or changes it: 642, as for an album that does not exist.
    assert!(list(&bob.call("SYNO.Foto.Browse.Album", "list", 4, &[("limit", "100")])).is_empty());
    assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Album", "get", 4, &[("id", &format!("[{id}]"))])), 642);
    assert_eq!(
        error_code(&bob.call("SYNO.Foto.Browse.Item", "list", 5, &[("album_id", &id.to_string()), ("limit", "10")])),
        642
    );
    assert_eq!(
        error_code(&bob.call(
            "SYNO.Foto.Browse.NormalAlbum",
            "add_item",
            1,
            &[("id", &id.to_string()), ("item", &format!("[{pentax}]"))]
        )),
        642
    );
    assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Album", "delete", 1, &[("id", &format!("[{id}]"))])), 642);
    assert_eq!(
        error_code(&bob.call(
            "SYNO.Foto.Browse.Album",
            "set_name",
            1,
            &[("id", &id.to_string()), ("name", "\"mine\"")]
        )),
        642
    );
    assert_eq!(
        error_code(&bob.call(
            "SYNO.Foto.Browse.NormalAlbum",
            "delete_item",
            1,
            &[("id", &id.to_string()), ("item", &format!("[{canon}]"))]
        )),
        642
    );
    assert_eq!(album_items(&alice, id).len(), 2, "bob changed nothing");
    // Albums are the Personal Space's: the Shared Space's item list knows none, not even alice's own.
    let shared = alice.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("album_id", &id.to_string()), ("limit", "10")]);
    assert!(shared["success"] == false, "{shared}");
    // One call takes at most 5,000 ids, as a page of Synology's holds.
    let many = format!("[{}]", vec![canon.to_string(); 5001].join(","));
    assert_eq!(
        error_code(&alice.call(
            "SYNO.Foto.Browse.NormalAlbum",
            "add_item",
            1,
            &[("id", &id.to_string()), ("item", &many)]
        )),
        114
    );
    assert!(list(&alice.call("SYNO.Foto.Browse.ConditionAlbum", "list", 2, &[("limit", "100")])).is_empty());

    // Deleting the album leaves every photo where it was.
    let deleted = alice.call("SYNO.Foto.Browse.Album", "delete", 1, &[("id", &format!("[{id}]"))]);
    assert_eq!(deleted["success"], true, "{deleted}");
    assert_eq!(alice.call("SYNO.Foto.Browse.Album", "count", 2, &[])["data"]["count"], 0);
    assert_eq!(list(&alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")])).len(), 4);
    assert_eq!(photosd_tests::files_under(&s.lib.photos()).len(), 4);
}

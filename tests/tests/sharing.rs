//! Sharing through the API, with the real daemon and real accounts: share links reach exactly what they share
//! whichever way the holder names them (an attack matrix of everything else answers 642), passwords are asked
//! for and guessing is locked out, invitees are held to their roles, photo requests take files without showing
//! any, and links, invitees and requests survive a restart.

use photosd_tests::api_library::{list, logged_in, ok, setup, setup_with_shared, Setup, GROUP};
use photosd_tests::link_client::{LinkHolder, Naming, NAMINGS};
use photosd_tests::{error_code, sample_jpeg, test_user, Api, Daemon};
use serde_json::Value;

fn id_of(api: &Api, family: &str, name: &str) -> i64 {
    api.item_id(family, name).unwrap_or_else(|| panic!("{name} listed"))
}

/// A call a link's holder must not get anything from: API, method, version, parameters.
type Attack<'a> = (&'a str, &'a str, u32, Vec<(&'a str, String)>);

fn trip_folder(alice: &Api) -> i64 {
    let root = ok(alice.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]));
    root["list"].as_array().unwrap().iter().find(|f| f["name"] == "/trip").expect("/trip")["id"].as_i64().unwrap()
}

/// An album of alice's with these items, shared: its passphrase.
fn shared_album(alice: &Api, name: &str, items: &[i64]) -> (i64, String) {
    let items = serde_json::to_string(items).unwrap();
    let album = ok(alice.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "create",
        3,
        &[("name", &format!("\"{name}\"")), ("item", &items)],
    ));
    let id = album["album"]["id"].as_i64().unwrap();
    let link = ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &id.to_string()), ("enabled", "true")],
    ));
    (id, link["passphrase"].as_str().unwrap().to_string())
}

fn update(alice: &Api, passphrase: &str, params: &[(&str, &str)]) -> Value {
    let quoted = format!("\"{passphrase}\"");
    let mut all = vec![("passphrase", quoted.as_str())];
    all.extend_from_slice(params);
    ok(alice.call("SYNO.Foto.Sharing.Passphrase", "update", 1, &all))
}

fn public(role: &str) -> String {
    format!(r#"[{{"action":"update","role":"{role}","member":{{"type":"public"}}}}]"#)
}

fn holder(s: &Setup, passphrase: &str, naming: Naming) -> LinkHolder {
    let mut holder = LinkHolder::new(&s.daemon.base_url(), passphrase, naming);
    if naming == Naming::Cookie {
        assert_eq!(holder.login("")["success"], true, "a link without a password opens with an empty one");
    }
    holder
}

#[test]
fn a_link_reaches_exactly_what_it_shares_whichever_way_it_is_named() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let bob = logged_in(&s, &s.bob);
    let (canon, nikon, fuji, sony) = (
        id_of(&alice, "Foto", "Canon_40D.jpg"),
        id_of(&alice, "Foto", "Nikon_D70.jpg"),
        id_of(&alice, "Foto", "Fujifilm_FinePix6900ZOOM.jpg"),
        id_of(&alice, "Foto", "Sony_HDR-HC3.jpg"),
    );
    let pentax = id_of(&bob, "Foto", "Pentax_K10D.jpg");
    let (album, passphrase) = shared_album(&alice, "Best", &[canon, nikon]);
    let (other_album, _) = (
        ok(alice.call(
            "SYNO.Foto.Browse.NormalAlbum",
            "create",
            3,
            &[("name", "\"Private\""), ("item", &format!("[{fuji}]"))],
        ))["album"]["id"]
            .as_i64()
            .unwrap(),
        (),
    );
    assert!(passphrase.len() >= 10 && passphrase.bytes().all(|b| b.is_ascii_alphanumeric()), "{passphrase}");
    let trip = trip_folder(&alice);

    for naming in NAMINGS {
        let link = holder(&s, &passphrase, naming);
        let names = link.listed_names().unwrap_or_else(|code| panic!("{naming:?}: list answered {code}"));
        assert_eq!(names, ["Canon_40D.jpg", "Nikon_D70.jpg"], "{naming:?}");
        // The item answers as for a signed-in user, with its thumbnail's unit and cache key.
        let listed = ok(link.call(
            "SYNO.Foto.Browse.Item",
            "list",
            4,
            &[("limit", "10"), ("additional", "[\"thumbnail\",\"address\"]")],
        ));
        let first = &listed["list"][0];
        let (unit, cache_key) = (
            first["additional"]["thumbnail"]["unit_id"].as_i64().unwrap(),
            first["additional"]["thumbnail"]["cache_key"].as_str().unwrap().to_string(),
        );
        assert!(first["additional"]["address"].is_object(), "{first}");
        let thumb = link.get(
            "/photo/synofoto/api/v2/p/Thumbnail/get",
            &[("type", "unit"), ("id", &unit.to_string()), ("cache_key", &cache_key), ("size", "sm")],
        );
        assert_eq!((thumb.status(), thumb.header("content-type")), (200, Some("image/jpeg")), "{naming:?}");
        let got = ok(link.call("SYNO.Foto.Browse.Item", "get", 4, &[("id", &format!("[{canon}]"))]));
        assert_eq!(got["list"][0]["id"], canon);
        let album_got = ok(link.call("SYNO.Foto.Browse.Album", "get", 4, &[("id", &format!("[{album}]"))]));
        assert_eq!(album_got["list"][0]["name"], "Best");

        // Everything else answers 642, exactly like what does not exist.
        let ids = |ids: &[i64]| serde_json::to_string(ids).unwrap();
        let attacks: Vec<Attack> = vec![
            ("SYNO.Foto.Browse.Item", "get", 4, vec![("id", ids(&[fuji]))]),
            ("SYNO.Foto.Browse.Item", "get", 4, vec![("id", ids(&[canon, sony]))]),
            ("SYNO.Foto.Browse.Item", "get", 4, vec![("id", ids(&[pentax]))]),
            ("SYNO.FotoTeam.Browse.Item", "get", 4, vec![("id", ids(&[pentax]))]),
            ("SYNO.Foto.Browse.Item", "get_exif", 4, vec![("id", ids(&[fuji]))]),
            ("SYNO.Foto.Browse.Item", "list", 4, vec![("folder_id", trip.to_string()), ("limit", "10".into())]),
            ("SYNO.Foto.Browse.Item", "list", 4, vec![("album_id", other_album.to_string()), ("limit", "10".into())]),
            ("SYNO.Foto.Browse.Item", "count", 4, vec![]),
            ("SYNO.Foto.Browse.Item", "list_with_filter", 4, vec![("limit", "10".into())]),
            ("SYNO.Foto.Browse.Item", "delete", 4, vec![("id", ids(&[canon]))]),
            ("SYNO.Foto.Browse.Album", "get", 4, vec![("id", ids(&[other_album]))]),
            ("SYNO.Foto.Browse.Album", "list", 4, vec![("limit", "10".into())]),
            ("SYNO.Foto.Browse.Album", "download", 4, vec![("id", ids(&[other_album]))]),
            ("SYNO.Foto.Browse.Folder", "list", 2, vec![("id", "0".into()), ("limit", "10".into())]),
            ("SYNO.Foto.Browse.Folder", "get", 2, vec![("id", trip.to_string())]),
            ("SYNO.Foto.Browse.Timeline", "get", 5, vec![]),
            (
                "SYNO.Foto.Search.Search",
                "list_item",
                6,
                vec![("keyword", "\"Fujifilm\"".into()), ("limit", "10".into())],
            ),
            ("SYNO.Foto.Browse.Person", "list", 2, vec![("limit", "10".into())]),
            ("SYNO.Foto.Thumbnail", "get", 2, vec![("id", fuji.to_string()), ("size", "\"sm\"".into())]),
            ("SYNO.FotoTeam.Thumbnail", "get", 2, vec![("id", pentax.to_string()), ("size", "\"sm\"".into())]),
            ("SYNO.Foto.Download", "download", 2, vec![("unit_id", ids(&[canon, fuji]))]),
            ("SYNO.Foto.Download", "download", 2, vec![("folder_id", ids(&[trip]))]),
            ("SYNO.Foto.Streaming", "streaming", 2, vec![("id", fuji.to_string())]),
            (
                "SYNO.Foto.Sharing.Passphrase",
                "update",
                1,
                vec![("passphrase", format!("\"{passphrase}\"")), ("expiration", "0".into())],
            ),
            ("SYNO.Foto.UserInfo", "me", 1, vec![]),
        ];
        for (api, method, version, params) in &attacks {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = link.call(api, method, *version, &params);
            assert_eq!(error_code(&answer), 642, "{naming:?} {api} {method} {params:?}: {answer}");
        }
        let thumb = link.get(
            "/photo/synofoto/api/v2/p/Thumbnail/get",
            &[("type", "unit"), ("id", &fuji.to_string()), ("size", "sm")],
        );
        assert_eq!(error_code(&serde_json::from_str(&thumb.into_string().unwrap()).unwrap()), 642);
        // A view link downloads nothing, not even what it shows.
        assert_ne!(
            link.call("SYNO.Foto.Download", "download", 2, &[("unit_id", &format!("[{canon}]"))])["success"],
            true
        );
        let whole = link.call("SYNO.Foto.Browse.Album", "download", 4, &[("id", &format!("[{album}]"))]);
        assert_eq!(error_code(&whole), 105, "shown, but not to download");
    }

    // Path tricks and guesses in place of the passphrase name no link.
    for fake in [
        "../../etc/passwd",
        "%2e%2e%2f",
        "' OR '1'='1",
        &passphrase[..passphrase.len() - 1],
        &format!("{passphrase}/.."),
        &passphrase.to_lowercase(),
    ] {
        if fake == passphrase {
            continue;
        }
        let link = LinkHolder::new(&s.daemon.base_url(), fake, Naming::UnderscoreParam);
        assert_eq!(link.listed_names(), Err(642), "{fake}");
    }
    // No session and no link: as before, 119.
    assert_eq!(
        error_code(&Api::new(&s.daemon.base_url()).call("SYNO.Foto.Browse.Item", "list", 4, &[("limit", "1")])),
        119
    );

    // Download where allowed: the original, byte for byte.
    update(&alice, &passphrase, &[("permission", &public("download"))]);
    let link = holder(&s, &passphrase, Naming::Header);
    let response = link.raw("SYNO.Foto.Download", "download", 2, &[("unit_id", &format!("[{canon}]"))]);
    assert_eq!(response.status(), 200);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
    assert_eq!(bytes, std::fs::read(s.lib.photos().join("trip/Canon_40D.jpg")).unwrap());
    // The whole album as one ZIP, named after it.
    let zip = link.raw("SYNO.Foto.Browse.Album", "download", 4, &[("id", &format!("[{album}]"))]);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert!(
        zip.header("content-disposition").is_some_and(|d| d.contains("Best.zip")),
        "{:?}",
        zip.header("content-disposition")
    );

    // Disabled, it is gone; enabled again, the same passphrase works; expired, gone again.
    ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &album.to_string()), ("enabled", "false")],
    ));
    assert_eq!(link.listed_names(), Err(642));
    let again = ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &album.to_string()), ("enabled", "true")],
    ));
    assert_eq!(again["passphrase"], passphrase.as_str());
    assert_eq!(link.listed_names().unwrap().len(), 2);
    update(&alice, &passphrase, &[("expiration", "1000")]);
    assert_eq!(link.listed_names(), Err(642));
    update(&alice, &passphrase, &[("expiration", "0")]);

    // bob cannot manage alice's link, and sees nothing of hers through his own session.
    let answer = bob.call(
        "SYNO.Foto.Sharing.Passphrase",
        "update",
        1,
        &[("passphrase", &format!("\"{passphrase}\"")), ("expiration", "0")],
    );
    assert_eq!(error_code(&answer), 642);

    // Deleting the album ends its link.
    ok(alice.call("SYNO.Foto.Browse.Album", "delete", 4, &[("id", &format!("[{album}]"))]));
    assert_eq!(link.listed_names(), Err(642));
}

#[test]
fn a_folder_link_and_a_selection_share_what_they_name() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let trip = trip_folder(&alice);
    let link = ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"folder\""), ("folder_id", &trip.to_string())],
    ));
    let holder = holder(&s, link["passphrase"].as_str().unwrap(), Naming::Header);
    assert_eq!(holder.listed_names().unwrap(), ["Canon_40D.jpg", "Fujifilm_FinePix6900ZOOM.jpg", "Nikon_D70.jpg"]);
    // The folder says it is shared, with its passphrase, to alice who manages it.
    let folders = ok(alice.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]));
    let listed = folders["list"].as_array().unwrap().iter().find(|f| f["id"] == trip).unwrap().clone();
    assert_eq!(
        (listed["shared"].clone(), listed["passphrase"].clone()),
        (Value::Bool(true), link["passphrase"].clone())
    );
    let sony = id_of(&alice, "Foto", "Sony_HDR-HC3.jpg");
    assert_eq!(error_code(&holder.call("SYNO.Foto.Browse.Item", "get", 4, &[("id", &format!("[{sony}]"))])), 642);
    assert_eq!(
        error_code(&holder.call("SYNO.Foto.Browse.Item", "list", 4, &[("folder_id", "0"), ("limit", "10")])),
        642
    );

    // A selection: a temporary album, which alice's album list does not show.
    let selection = ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"item\""), ("item_id", &format!("[{sony}]"))],
    ));
    let holder =
        LinkHolder::new(&s.daemon.base_url(), selection["passphrase"].as_str().unwrap(), Naming::UnderscoreParam);
    assert_eq!(holder.listed_names().unwrap(), ["Sony_HDR-HC3.jpg"]);
    let albums = alice.call("SYNO.Foto.Browse.Album", "list", 4, &[("limit", "10")]);
    assert!(list(&albums).is_empty(), "{albums}");
}

/// A link never gives more than its owner has now: bob, who may only view a Shared Space folder, shares a photo
/// of it as a link and opens the link to downloads and uploads, and still nobody downloads or adds anything
/// through it; a folder link made by a manager shares nothing once the manager loses the folder.
#[test]
fn a_link_gives_no_more_than_its_owner_has() {
    let shared = tempfile::tempdir().unwrap();
    for folder in ["Family", "Events"] {
        std::fs::create_dir_all(shared.path().join(folder)).unwrap();
        std::fs::copy(sample_jpeg(), shared.path().join(folder).join(format!("{folder}.jpg"))).unwrap();
    }
    let admins = "photosd-test-admins";
    let s = setup_with_shared(Some((shared.path(), admins)));
    let dave = test_user("pdt-dave", "dave-Pa55word", &[GROUP, admins]);
    let (bob, admin) = (logged_in(&s, &s.bob), logged_in(&s, &dave));
    let root = ok(admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]));
    let folder =
        |name: &str| root["list"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["id"].to_string();
    let (family, events) = (folder("/Family"), folder("/Events"));
    let rules = |folder: &str, rules: String| {
        ok(admin.call(
            "SYNO.FotoTeam.Sharing.FolderPermission",
            "update",
            1,
            &[("id", folder), ("permission", &rules)],
        ));
    };
    rules(&family, r#"[{"role":"view","member":{"type":"everyone"}}]"#.to_string());
    rules(
        &events,
        format!(
            r#"[{{"role":"none","member":{{"type":"everyone"}}}},{{"role":"manage","member":{{"type":"user","id":{}}}}}]"#,
            s.bob.uid
        ),
    );
    let photo = id_of(&bob, "FotoTeam", "Family.jpg");

    // A selection of what bob may only view, opened to download and upload: it shows, and that is all.
    let link = ok(bob.call(
        "SYNO.FotoTeam.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"item\""), ("item_id", &format!("[{photo}]"))],
    ));
    let passphrase = link["passphrase"].as_str().unwrap().to_string();
    let open_up = public("upload");
    ok(bob.call(
        "SYNO.FotoTeam.Sharing.Passphrase",
        "update",
        1,
        &[("passphrase", &format!("\"{passphrase}\"")), ("permission", &open_up)],
    ));
    let holder = LinkHolder::new(&s.daemon.base_url(), &passphrase, Naming::Header);
    assert_eq!(holder.listed_names().unwrap(), ["Family.jpg"]);
    let download = holder.raw("SYNO.FotoTeam.Download", "download", 2, &[("unit_id", &format!("[{photo}]"))]);
    assert_ne!(download.header("content-type"), Some("image/jpeg"), "bob may not download it, so his link may not");
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    assert_eq!(error_code(&holder.upload("SYNO.FotoTeam.Upload.Item", &[], "sneaked-in.jpg", &jpeg)), 642);
    assert!(!photosd_tests::files_under(shared.path()).iter().any(|p| p.ends_with("sneaked-in.jpg")));

    // A folder link of bob's, while he manages the folder; then he loses it, and so does the link.
    let link = ok(bob.call(
        "SYNO.FotoTeam.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"folder\""), ("folder_id", &events)],
    ));
    let holder = LinkHolder::new(&s.daemon.base_url(), link["passphrase"].as_str().unwrap(), Naming::Header);
    assert_eq!(holder.listed_names().unwrap(), ["Events.jpg"]);
    rules(&events, format!(r#"[{{"action":"delete","member":{{"type":"user","id":{}}}}}]"#, s.bob.uid));
    assert_eq!(error_code(&bob.call("SYNO.FotoTeam.Browse.Folder", "get", 2, &[("id", &events)])), 642);
    assert_eq!(holder.listed_names().unwrap(), Vec::<String>::new(), "nothing of a folder its owner lost");
}

#[test]
fn a_password_link_asks_for_it_and_locks_out_guessing() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let canon = id_of(&alice, "Foto", "Canon_40D.jpg");
    let (_, passphrase) = shared_album(&alice, "Secret", &[canon]);
    let settings = update(&alice, &passphrase, &[("password", "\"open sesame 42\"")]);
    assert_eq!(settings["enable_password"], true);
    assert!(!settings.to_string().contains("sesame"), "the password is never answered back");

    let mut visitor = LinkHolder::new(&s.daemon.base_url(), &passphrase, Naming::Header);
    assert_eq!(visitor.listed_names(), Err(642), "nothing before the password");
    assert_eq!(error_code(&visitor.login("")), 400, "asks for the password");
    let mut friend = LinkHolder::new(&s.daemon.base_url(), &passphrase, Naming::Header);
    assert_eq!(friend.login("open sesame 42")["success"], true);
    assert_eq!(friend.listed_names().unwrap(), ["Canon_40D.jpg"]);
    for n in 0..10 {
        assert_eq!(error_code(&visitor.login(&format!("guess {n}"))), 400, "guess {n}");
    }
    assert_eq!(error_code(&visitor.login("open sesame 42")), 407, "locked: the right password fails too");
    // Locked for that client only: another address still opens it with the password.
    let elsewhere = visitor.login_from(std::net::Ipv4Addr::new(127, 0, 0, 2), "open sesame 42");
    assert_eq!(elsewhere["success"], true, "{elsewhere}");
    assert_eq!(error_code(&visitor.login_from(std::net::Ipv4Addr::new(127, 0, 0, 1), "open sesame 42")), 407);
    assert_eq!(visitor.listed_names(), Err(642));
    assert_eq!(friend.listed_names().unwrap(), ["Canon_40D.jpg"], "who opened it before keeps it");

    // A new password ends the sessions opened with the old one.
    update(&alice, &passphrase, &[("password", "\"another one 43\"")]);
    assert_eq!(friend.listed_names(), Err(642));
}

#[test]
fn invitees_are_held_to_their_roles_and_it_all_survives_a_restart() {
    let s = setup();
    let friends = "photosd-test-friends";
    let dave = test_user("pdt-dave", "dave-Pa55word", &[GROUP, friends]);
    let erin = test_user("pdt-erin", "erin-Pa55word", &[GROUP]);
    let alice = logged_in(&s, &s.alice);
    let (canon, nikon) = (id_of(&alice, "Foto", "Canon_40D.jpg"), id_of(&alice, "Foto", "Nikon_D70.jpg"));
    let (album, passphrase) = shared_album(&alice, "Family", &[canon, nikon]);
    // Private: only invitees.
    update(&alice, &passphrase, &[("permission", r#"[{"action":"delete","member":{"type":"public"}}]"#)]);
    let invite = |who: &str, id: u32, role: &str| {
        let change = format!(r#"[{{"action":"update","role":"{role}","member":{{"type":"{who}","id":{id}}}}}]"#);
        update(&alice, &passphrase, &[("permission", &change)])
    };
    let as_invitee = |user: &photosd_tests::TestUser| {
        let api = logged_in(&s, user);
        let mut holder = LinkHolder::new(&s.daemon.base_url(), &passphrase, Naming::SharingIdParam);
        holder.session = Some((api.sid.clone().unwrap(), api.token.clone().unwrap()));
        (api, holder)
    };
    let (bob, bob_link) = as_invitee(&s.bob);
    assert_eq!(bob_link.listed_names(), Err(642), "not invited yet");
    assert!(list(&bob.call(
        "SYNO.Foto.Browse.Album",
        "list",
        4,
        &[("category", "\"shared_with_me\""), ("limit", "10")]
    ))
    .is_empty());

    // Viewer: sees, cannot download originals.
    invite("user", s.bob.uid, "view");
    let shared = bob.call("SYNO.Foto.Browse.Album", "list", 4, &[("category", "\"shared_with_me\""), ("limit", "10")]);
    assert_eq!(list(&shared)[0]["passphrase"], passphrase.as_str(), "{shared}");
    assert_eq!(list(&shared)[0]["sharing_info"]["role"], "view");
    let misc = bob.call("SYNO.Foto.Sharing.Misc", "list_shared_with_me_album", 2, &[("limit", "10")]);
    assert_eq!(list(&misc).len(), 1);
    assert_eq!(bob_link.listed_names().unwrap(), ["Canon_40D.jpg", "Nikon_D70.jpg"]);
    let download =
        |holder: &LinkHolder| holder.raw("SYNO.Foto.Download", "download", 2, &[("unit_id", &format!("[{canon}]"))]);
    assert_ne!(download(&bob_link).header("content-type"), Some("image/jpeg"));
    // Downloader: downloads.
    invite("user", s.bob.uid, "download");
    assert_eq!(download(&bob_link).header("content-type"), Some("image/jpeg"));
    // Provider: adds a photo, cannot take one out or rename.
    invite("user", s.bob.uid, "upload");
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let added = ok(bob_link.upload(
        "SYNO.Foto.Upload.Item",
        &[("folder", "[\"..\",\"..\"]"), ("duplicate", "\"overwrite\"")],
        "from-bob.jpg",
        &jpeg,
    ));
    let added_id = added["id"].as_i64().unwrap();
    assert!(bob_link.listed_names().unwrap().contains(&"from-bob.jpg".to_string()));
    let uploaded: Vec<_> =
        photosd_tests::files_under(&s.lib.photos()).into_iter().filter(|p| p.ends_with("from-bob.jpg")).collect();
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    assert!(
        uploaded[0].starts_with(s.lib.photos().join("PhotoLibrary")),
        "into alice's upload folder, whatever the request said: {uploaded:?}"
    );
    let remove = |holder: &LinkHolder| {
        holder.call(
            "SYNO.Foto.Browse.NormalAlbum",
            "delete_item",
            3,
            &[("id", &album.to_string()), ("item", &format!("[{added_id}]"))],
        )
    };
    let rename = |holder: &LinkHolder| {
        holder.call("SYNO.Foto.Browse.Album", "set_name", 4, &[("id", &format!("[{album}]")), ("name", "\"Renamed\"")])
    };
    assert_ne!(remove(&bob_link)["success"], true);
    assert_ne!(rename(&bob_link)["success"], true);
    // Manager: renames and takes photos out.
    invite("user", s.bob.uid, "manage");
    ok(rename(&bob_link));
    ok(remove(&bob_link));
    assert_eq!(bob_link.listed_names().unwrap(), ["Canon_40D.jpg", "Nikon_D70.jpg"]);
    assert!(
        s.lib.photos().join(uploaded[0].strip_prefix(s.lib.photos()).unwrap()).exists(),
        "taken out of the album, not deleted"
    );

    // Not invited: 642. Through a group: in.
    let (_, erin_link) = as_invitee(&erin);
    assert_eq!(erin_link.listed_names(), Err(642));
    let (_, dave_link) = as_invitee(&dave);
    assert_eq!(dave_link.listed_names(), Err(642));
    let gid = nix::unistd::Group::from_name(friends).unwrap().unwrap().gid.as_raw();
    invite("group", gid, "view");
    assert_eq!(dave_link.listed_names().unwrap().len(), 2);
    // Anonymous holders of a private link get nothing.
    assert_eq!(LinkHolder::new(&s.daemon.base_url(), &passphrase, Naming::Header).listed_names(), Err(642));

    // A photo request: anyone uploads, nobody sees.
    let trip = trip_folder(&alice);
    let request = ok(alice.call(
        "SYNO.Foto.PhotoRequest",
        "create",
        1,
        &[("folder_id", &trip.to_string()), ("name", "\"Wedding photos\""), ("description", "\"Send us yours\"")],
    ));
    let request_passphrase = request["photo_request"]["passphrase"].as_str().unwrap().to_string();
    let guest = LinkHolder::new(&s.daemon.base_url(), &request_passphrase, Naming::Header);
    let info = ok(guest.call("SYNO.Foto.Sharing.Passphrase", "get_photo_request_info", 1, &[]));
    assert_eq!((info["name"].as_str(), info["description"].as_str()), (Some("Wedding photos"), Some("Send us yours")));
    let sent = ok(guest.upload("SYNO.Foto.Upload.PhotoRequestItem", &[("target_folder_id", "0")], "guest.jpg", &jpeg));
    let files = photosd_tests::files_under(&s.lib.photos());
    assert!(
        s.lib.photos().join("trip/guest.jpg").is_file(),
        "into the request's folder, whatever it said: {sent} {files:?}"
    );
    assert_eq!(guest.listed_names(), Ok(vec![]), "a request lists nothing");
    assert_eq!(error_code(&guest.call("SYNO.Foto.Browse.Item", "get", 4, &[("id", &format!("[{canon}]"))])), 642);
    let requests = alice.call("SYNO.Foto.PhotoRequest", "list", 1, &[]);
    assert_eq!(list(&requests)[0]["passphrase"], request_passphrase.as_str());

    // After a restart: the link, its invitees and the request are all still there.
    let Setup { lib, daemon, .. } = s;
    daemon.stop();
    let daemon = Daemon::launch(
        &lib,
        std::path::Path::new(""),
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP), ("PHOTOSD_AUTH_ADMIN_GROUP", "")],
    );
    let mut dave_again = LinkHolder::new(&daemon.base_url(), &passphrase, Naming::Header);
    let mut dave_api = Api::new(&daemon.base_url());
    assert_eq!(dave_api.login(dave.name, dave.password)["success"], true);
    dave_again.session = Some((dave_api.sid.clone().unwrap(), dave_api.token.clone().unwrap()));
    assert_eq!(dave_again.listed_names().unwrap().len(), 2);
    let guest = LinkHolder::new(&daemon.base_url(), &request_passphrase, Naming::Header);
    ok(guest.upload("SYNO.Foto.Upload.PhotoRequestItem", &[], "guest2.jpg", &jpeg));
    assert!(lib.photos().join("trip/guest2.jpg").is_file());

    // Removing an invitee ends their access at once.
    let mut alice = Api::new(&daemon.base_url());
    alice.login("pdt-alice", "alice-Pa55word");
    let change = format!(r#"[{{"action":"delete","member":{{"type":"group","id":{gid}}}}}]"#);
    update(&alice, &passphrase, &[("permission", &change)]);
    assert_eq!(dave_again.listed_names(), Err(642));
}

//! People in the Shared Space, through `SYNO.FotoTeam.*`: the persons of the whole space for its
//! administrators, and for every other user only the persons of photos their folder permissions let them see. Only
//! administrators change persons or turn People off there. A shared person is no personal one, and the reverse.

use std::collections::{BTreeSet, HashMap};

use photosd_tests::api_library::{list, GROUP};
use photosd_tests::people::{login, person_of_items, persons, start_with_faces, wait_for_faces};
use photosd_tests::{corpus, error_code, test_user, Api, Library};

const TEAM: &str = "SYNO.FotoTeam";

/// Shared item id → file name, as `api` sees them.
fn shared_items(api: &Api) -> HashMap<String, i64> {
    let got = api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("offset", "0"), ("limit", "5000")]);
    list(&got).iter().map(|i| (i["filename"].as_str().unwrap().to_string(), i["id"].as_i64().unwrap())).collect()
}

fn photos_of(api: &Api, person: i64) -> BTreeSet<String> {
    let got = api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("person_id", &person.to_string()), ("limit", "500")]);
    list(&got).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect()
}

#[test]
fn shared_persons_follow_folder_permissions_and_only_administrators_change_them() {
    let shared = tempfile::tempdir().unwrap();
    photosd_tests::copy_tree(&corpus().join("faces/barack_obama"), &shared.path().join("Family"));
    photosd_tests::copy_tree(&corpus().join("faces/photoprism_person_0"), &shared.path().join("Private"));
    let photos = photosd_tests::files_under(shared.path()).len();
    let admins = "photosd-test-admins";
    let alice = test_user("pdt-alice", "alice-Pa55word", &[GROUP]);
    let dave = test_user("pdt-dave", "dave-Pa55word", &[GROUP, admins]);
    let lib = Library::for_user(alice.name);
    let daemon = start_with_faces(&lib, shared.path(), &[("PHOTOSD_AUTH_ADMIN_GROUP", admins)]);
    let (admin, alice_api) = (login(&daemon, &dave), login(&daemon, &alice));
    wait_for_faces(&admin, TEAM, photos);

    // Private: nobody but administrators.
    let root = admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let private = list(&root).iter().find(|f| f["name"] == "/Private").unwrap()["id"].to_string();
    let nobody = r#"[{"role":"none","member":{"type":"everyone"}}]"#;
    let set =
        admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "update", 1, &[("id", &private), ("permission", nobody)]);
    assert_eq!(set["success"], true, "{set}");

    let everything = shared_items(&admin);
    assert_eq!(everything.len(), photos, "the administrator sees every shared photo");
    let person_of = |name: &str| person_of_items(&admin, TEAM, &[everything[name]])[&everything[name]];
    let (obama, friend) = (person_of("fr_obama.jpg"), person_of("pp_face_12.jpg"));
    assert!(obama != 0 && friend != 0 && obama != friend, "two shared persons: {obama} {friend}");
    let listed =
        |api: &Api| -> BTreeSet<i64> { persons(api, TEAM, true).iter().map(|p| p["id"].as_i64().unwrap()).collect() };
    assert!(listed(&admin).is_superset(&BTreeSet::from([obama, friend])), "the administrator lists both");

    // alice: Obama's person, with only the photos she may see; the person of Private's photos is absent by every
    // road, like an id that does not exist.
    let hers = listed(&alice_api);
    assert!(hers.contains(&obama) && !hers.contains(&friend), "alice lists {hers:?}");
    let count = alice_api.call("SYNO.FotoTeam.Browse.Person", "count", 1, &[("show_hidden", "true")]);
    assert_eq!(count["data"]["count"].as_u64(), Some(hers.len() as u64), "{count}");
    assert!(photos_of(&alice_api, obama).iter().all(|name| !name.starts_with("pp_")));
    assert_eq!(photos_of(&alice_api, obama), photos_of(&admin, obama), "Obama's photos are all in Family");
    for (method, params) in [
        ("get", vec![("id", format!("[{friend}]"))]),
        ("list_face", vec![("id", everything["pp_face_12.jpg"].to_string())]),
    ] {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let got = alice_api.call("SYNO.FotoTeam.Browse.Person", method, 1, &params);
        assert_eq!(error_code(&got), 642, "{method}: {got}");
    }
    let items =
        alice_api.call("SYNO.FotoTeam.Browse.Item", "list", 5, &[("person_id", &friend.to_string()), ("limit", "9")]);
    assert_eq!(error_code(&items), 642, "{items}");

    // Only administrators change shared persons: alice's rename is refused, the administrator's seen by all.
    let rename = |api: &Api, id: i64, name: &str| {
        api.call("SYNO.FotoTeam.Browse.Person", "set", 1, &[("id", &id.to_string()), ("name", &format!("\"{name}\""))])
    };
    assert_eq!(error_code(&rename(&alice_api, obama, "Mine")), 105);
    assert_eq!(error_code(&rename(&alice_api, friend, "Mine")), 642, "a person she cannot see is absent");
    assert_eq!(rename(&admin, obama, "Barack")["success"], true);
    assert_eq!(rename(&admin, friend, "Friend")["success"], true);
    let named = persons(&alice_api, TEAM, false);
    assert!(named.iter().any(|p| p["id"] == obama && p["name"] == "Barack"), "{named:?}");
    // A search by the hidden person's name finds nothing of Private for alice, Obama's photos by his.
    let found =
        alice_api.call("SYNO.FotoTeam.Search.Search", "list_item", 6, &[("keyword", "\"Friend\""), ("limit", "9")]);
    assert!(list(&found).is_empty(), "{found}");
    let found =
        alice_api.call("SYNO.FotoTeam.Search.Search", "list_item", 6, &[("keyword", "\"Barack\""), ("limit", "99")]);
    assert!(list(&found).iter().any(|i| i["filename"] == "fr_obama.jpg"), "{found}");

    // The families do not mix: a shared person is not one of alice's Personal Space.
    assert!(persons(&alice_api, "SYNO.Foto", true).is_empty());
    let got = alice_api.call("SYNO.Foto.Browse.Person", "get", 1, &[("id", &format!("[{obama}]"))]);
    assert_eq!(error_code(&got), 642, "{got}");

    // People off in the Shared Space: only administrators may, and then the album goes for everyone.
    let off = [("enable_person", "false")];
    assert_eq!(error_code(&alice_api.call("SYNO.Foto.Setting.TeamSpace", "set", 1, &off)), 105);
    assert_eq!(admin.call("SYNO.Foto.Setting.TeamSpace", "set", 1, &off)["success"], true);
    assert!(persons(&alice_api, TEAM, true).is_empty() && persons(&admin, TEAM, true).is_empty());
    let on = [("enable_person", "true")];
    assert_eq!(admin.call("SYNO.Foto.Setting.TeamSpace", "set", 1, &on)["success"], true);
    assert_eq!(listed(&alice_api), hers, "People on again: the same persons");
    assert!(daemon.stop().success());
}

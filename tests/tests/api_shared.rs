//! The Shared Space through `SYNO.FotoTeam.*`: every Photos user browses it, only Photos administrators change
//! it, and its ids and the Personal Spaces' ids never cross between the two API families.

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

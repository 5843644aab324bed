//! The library the API tests share: real accounts (alice and bob use Photos, carol may not), photos from the
//! corpus in alice's and bob's Personal Spaces, and a daemon that has indexed and thumbnailed them.

use serde_json::Value;

use crate::{corpus, test_user, wait_for, Api, Daemon, Library, TestUser};

pub const GROUP: &str = "photosd-test-photos";

pub struct Setup {
    pub lib: Library,
    pub daemon: Daemon,
    pub alice: TestUser,
    pub bob: TestUser,
    pub carol: TestUser,
}

/// alice (three photos in "trip", one at the root) and bob (one photo) use Photos; carol exists but is not in
/// the Photos group.
pub fn setup() -> Setup {
    setup_with_shared(None)
}

/// The same, with a Shared Space at `shared` and `admin` as the Photos administrators' group.
pub fn setup_with_shared(shared: Option<(&std::path::Path, &str)>) -> Setup {
    let alice = test_user("pdt-alice", "alice-Pa55word", &[GROUP]);
    let bob = test_user("pdt-bob", "bob-Pa55word", &[GROUP]);
    let carol = test_user("pdt-carol", "carol-Pa55word", &[]);
    let lib = Library::for_user(alice.name);
    let samples = corpus().join("camera_jpeg/exif-samples");
    std::fs::create_dir_all(lib.photos().join("trip")).unwrap();
    for name in ["Canon_40D.jpg", "Nikon_D70.jpg", "Fujifilm_FinePix6900ZOOM.jpg"] {
        std::fs::copy(samples.join(name), lib.photos().join("trip").join(name)).unwrap();
    }
    std::fs::copy(samples.join("Sony_HDR-HC3.jpg"), lib.photos().join("Sony_HDR-HC3.jpg")).unwrap();
    std::fs::create_dir_all(lib.photos_of(bob.name)).unwrap();
    std::fs::copy(samples.join("Pentax_K10D.jpg"), lib.photos_of(bob.name).join("Pentax_K10D.jpg")).unwrap();
    let (shared_root, admins) = shared.unwrap_or((std::path::Path::new(""), ""));
    let shared_items = crate::files_under(shared_root).len() as i64;
    let daemon = Daemon::launch(
        &lib,
        shared_root,
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP), ("PHOTOSD_AUTH_ADMIN_GROUP", admins)],
    );
    wait_for("every item with thumbnails", 60, || {
        lib.db()
            .query_row("SELECT count(*) FROM item WHERE thumb_state = 'ready'", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
            == 5 + shared_items
    });
    Setup { lib, daemon, alice, bob, carol }
}

pub fn logged_in(s: &Setup, user: &TestUser) -> Api {
    let mut api = Api::new(&s.daemon.base_url());
    let envelope = api.login(user.name, user.password);
    assert_eq!(envelope["success"], true, "{envelope}");
    api
}

/// The `data` of a successful envelope (panics on failure, showing it).
pub fn ok(envelope: Value) -> Value {
    assert_eq!(envelope["success"], true, "{envelope}");
    envelope["data"].clone()
}

pub fn list(envelope: &Value) -> &Vec<Value> {
    assert_eq!(envelope["success"], true, "{envelope}");
    envelope["data"]["list"].as_array().expect("data.list")
}

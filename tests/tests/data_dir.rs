//! The data dir belongs to the service user, whoever runs photosd: `index` run as root leaves nothing of it root's,
//! `serve` hands back a data dir that an older photosd left root's, and a data dir the workers cannot write to is
//! photosd's own problem: the photo is not marked broken, and its thumbnails come by themselves once it is fixed.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use photosd_tests::{files_under, photosd, sample_jpeg, test_user, wait_for, Api, Daemon, Library, TestUser};

fn service_uid() -> u32 {
    nix::unistd::User::from_name("photosd").unwrap().expect("tests/setup.sh makes the photosd user").uid.as_raw()
}

/// The data dir and everything in it whose owner is neither the service user nor, for thumbnails and transcodes,
/// the workers' account (tests/setup.sh makes both): nothing of root's.
fn not_the_services(data: &Path) -> Vec<String> {
    let uid = service_uid();
    let workers =
        nix::unistd::User::from_name("photosd-worker").unwrap().expect("tests/setup.sh makes it").uid.as_raw();
    let derived = |p: &Path| p.starts_with(data.join("thumbs")) || p.starts_with(data.join("video"));
    std::iter::once(data.to_path_buf())
        .chain(files_under(data))
        // A thumbnail's temp file may be renamed away between the listing and this look.
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.uid() != uid && !(derived(p) && m.uid() == workers)))
        .map(|p| p.display().to_string())
        .collect()
}

fn logged_in(daemon: &Daemon, user: &TestUser) -> Api {
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(user.name, user.password)["success"], true);
    api
}

/// Whether the API serves the item's sm, m and xl thumbnails as JPEGs.
fn thumbnails_served(api: &Api, id: i64) -> bool {
    ["sm", "m", "xl"].iter().all(|size| api.thumbnail_served("Foto", id, size))
}

fn thumb_state(lib: &Library, name: &str) -> Option<String> {
    lib.db().query_row("SELECT thumb_state FROM item WHERE filename = ?1", [name], |r| r.get(0)).ok().flatten()
}

/// Sets the mode of `dir` and of every folder under it.
fn chmod_dirs(dir: &Path, mode: u32) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            chmod_dirs(&entry.path(), mode);
        }
    }
}

#[test]
fn index_as_root_then_serve_gives_a_new_photo_its_thumbnails() {
    let user = test_user("pdt-erin", "erin-Pa55word", &[]);
    let lib = Library::for_user(user.name);
    std::fs::copy(sample_jpeg(), lib.photos().join("first.jpg")).unwrap();
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let indexed = photosd(&lib.args("index", &pattern, &data));
    assert!(indexed.status.success(), "{}", String::from_utf8_lossy(&indexed.stderr));
    assert_eq!(not_the_services(&lib.data()), Vec::<String>::new(), "index run as root leaves nothing root's");

    // What a photosd run as root before this version left behind: root's files in the data dir, and a photo
    // marked broken because the workers could not write its thumbnails there.
    let refused = "cannot write /data/thumbs/ab/.x_sm.jpg.9.part: Permission denied (os error 13)";
    let marked = lib
        .db()
        .execute("UPDATE item SET thumb_state = 'broken', thumb_error = ?1 WHERE filename = 'first.jpg'", [refused]);
    assert_eq!(marked.unwrap(), 1);
    // Everything in the data dir is root's but the folders `thumbs` and `video`, which `serve` made: a shard
    // folder of root's (`thumbs/ab`) is what keeps the workers from writing a new photo's thumbnails.
    let thumbs = lib.data().join("thumbs");
    for shard in 0..=255u8 {
        std::fs::create_dir_all(thumbs.join(format!("{shard:02x}"))).unwrap();
    }
    let chowned = std::process::Command::new("chown").args(["-R", "0:0"]).arg(lib.data()).status().unwrap();
    assert!(chowned.success());
    for kept in [lib.data().join("thumbs"), lib.data().join("video")] {
        std::fs::create_dir_all(&kept).unwrap();
        std::os::unix::fs::chown(&kept, Some(service_uid()), None).unwrap();
    }
    let daemon = Daemon::launch(&lib, Path::new(""), &[]);
    assert_eq!(not_the_services(&lib.data()), Vec::<String>::new(), "serve hands the data dir back");
    assert!(daemon.log_text().contains("handed them to the service user"), "and says so in the log");
    wait_for("the photo wrongly marked broken to get its thumbnails", 10, || {
        thumb_state(&lib, "first.jpg").as_deref() == Some("ready")
    });

    let api = logged_in(&daemon, &user);
    let corpus = photosd_tests::corpus();
    std::fs::copy(corpus.join("camera_jpeg/exif-samples/Nikon_D70.jpg"), lib.photos().join("new.jpg")).unwrap();
    wait_for("sm, m and xl of the new photo through the API", 10, || {
        api.item_id("Foto", "new.jpg").is_some_and(|id| thumbnails_served(&api, id))
    });
    assert_eq!(not_the_services(&lib.data()), Vec::<String>::new());
}

#[test]
fn a_data_dir_the_workers_cannot_write_is_retried_not_blamed_on_the_photo() {
    let user = test_user("pdt-erin", "erin-Pa55word", &[]);
    let lib = Library::for_user(user.name);
    std::fs::copy(sample_jpeg(), lib.photos().join("first.jpg")).unwrap();
    let daemon = Daemon::launch(&lib, Path::new(""), &[]);
    wait_for("the first photo's thumbnails", 30, || thumb_state(&lib, "first.jpg").as_deref() == Some("ready"));
    let thumbs = lib.data().join("thumbs");
    chmod_dirs(&thumbs, 0o555);

    let corpus = photosd_tests::corpus();
    std::fs::copy(corpus.join("camera_jpeg/exif-samples/Nikon_D70.jpg"), lib.photos().join("new.jpg")).unwrap();
    wait_for("the daemon to log the data dir's failure", 20, || daemon.log_text().contains("photosd's data directory"));
    std::thread::sleep(std::time::Duration::from_secs(3)); // another try or two, still failing
    assert_ne!(thumb_state(&lib, "new.jpg").as_deref(), Some("broken"), "the photo is not to blame");
    let failed: i64 = lib.db().query_row("SELECT count(*) FROM job WHERE state = 'failed'", [], |r| r.get(0)).unwrap();
    assert_eq!(failed, 0, "no job gave up");

    // Back as photosd made them: the workers' account writes through the folders' group.
    chmod_dirs(&thumbs, 0o2770);
    let api = logged_in(&daemon, &user);
    wait_for("the thumbnails once the data dir takes writes again", 90, || {
        thumb_state(&lib, "new.jpg").as_deref() == Some("ready")
    });
    let id = api.item_id("Foto", "new.jpg").expect("listed");
    assert!(thumbnails_served(&api, id));
    assert!(daemon.log_text().contains("takes writes again"), "the log says work resumed");
}

/// A data dir behind a folder the workers' account cannot pass through (a root-only 0700 folder) is said so at
/// start, naming the folder, and its thumbnails wait for the data dir instead of marking the photo broken.
#[test]
fn a_data_dir_the_workers_cannot_reach_is_named() {
    let lib = Library::new();
    std::fs::copy(sample_jpeg(), lib.photos().join("a.jpg")).unwrap();
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = closed.path().join("data");
    let (pattern, data_arg) = (lib.pattern(), data.display().to_string());
    let out = photosd(&lib.args("index", &pattern, &data_arg));
    let log = String::from_utf8_lossy(&out.stderr);
    let said = format!("folder={} mode=\"700\"", closed.path().display());
    assert!(log.contains("cannot pass through this folder to the data dir") && log.contains(&said), "{log}");
    assert!(!out.status.success(), "index stops, saying the data dir refuses the thumbnails: {log}");
    let broken: i64 = rusqlite::Connection::open(data.join("library.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM item WHERE thumb_state = 'broken' OR state = 'broken'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(broken, 0, "the photo is not to blame");
}

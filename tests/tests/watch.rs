//! Live watching with real inotify on real directories: slow copies, moves, deletes, and restarts.

use std::io::Write;
use std::time::Duration;

use photosd_tests::{sample_jpeg, wait_for, Daemon, Library};

#[test]
fn a_slow_copy_is_imported_once_and_complete() {
    let lib = Library::new();
    let daemon = Daemon::start(&lib);
    let content = std::fs::read(photosd_tests::corpus().join("heic/exiv2/IMG_3578.heic")).unwrap();
    let target = lib.photos().join("slow.heic");
    let mut file = std::fs::File::create(&target).unwrap();
    // Written in 10 chunks over 3 s, as a slow SMB client would.
    for chunk in content.chunks(content.len().div_ceil(10)) {
        file.write_all(chunk).unwrap();
        file.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(file);
    wait_for("the copied file to be indexed", 20, || lib.items().iter().any(|i| i.0 == "slow.heic"));
    std::thread::sleep(Duration::from_secs(2)); // room for a wrong second import to show up
    let items = lib.items();
    let item = items.iter().find(|i| i.0 == "slow.heic").unwrap();
    assert_eq!(item.3 as usize, content.len(), "indexed complete");
    assert_eq!(item.2, "ok");
    let hash: String = lib.db().query_row("SELECT hash FROM item WHERE id = ?1", [item.1], |r| r.get(0)).unwrap();
    assert_eq!(hash, blake3::hash(&content).to_hex().to_string());
    let imports = daemon.log_text().lines().filter(|l| l.contains("slow.heic") && l.contains("imported")).count();
    assert_eq!(imports, 1, "read once:\n{}", daemon.log_text());
    assert!(daemon.stop().success());
}

#[test]
fn mv_within_a_space_keeps_the_item_id_and_its_tags() {
    let lib = Library::new();
    let _daemon = Daemon::start(&lib);
    std::fs::copy(sample_jpeg(), lib.photos().join("a.jpg")).unwrap();
    wait_for("a.jpg indexed", 20, || lib.items().iter().any(|i| i.0 == "a.jpg"));
    let id = lib.items().iter().find(|i| i.0 == "a.jpg").unwrap().1;
    let conn = lib.db();
    conn.execute("INSERT INTO tag (space_id, name) SELECT space_id, 'holiday' FROM item WHERE id = ?1", [id]).unwrap();
    conn.execute(
        "INSERT INTO item_tag (item_id, tag_id, source) SELECT ?1, id, 'user' FROM tag WHERE name = 'holiday'",
        [id],
    )
    .unwrap();
    std::fs::create_dir(lib.photos().join("2024")).unwrap();
    let status =
        std::process::Command::new("mv").arg(lib.photos().join("a.jpg")).arg(lib.photos().join("2024/b.jpg")).status();
    assert!(status.unwrap().success());
    wait_for("the move to be recorded", 20, || lib.items().iter().any(|i| i.0 == "2024/b.jpg"));
    let items = lib.items();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].1, id, "same id after mv");
    let tags: i64 = conn
        .query_row("SELECT count(*) FROM item_tag it JOIN tag t ON t.id = it.tag_id WHERE it.item_id = ?1 AND t.name = 'holiday'", [id], |r| r.get(0))
        .unwrap();
    assert_eq!(tags, 1, "the tag followed the file");
    // A folder moved as a whole keeps its items' ids too.
    std::fs::rename(lib.photos().join("2024"), lib.photos().join("2025")).unwrap();
    wait_for("the folder move", 20, || lib.items().iter().any(|i| i.0 == "2025/b.jpg"));
    assert_eq!(lib.items()[0].1, id);
}

#[test]
fn deleting_a_folder_of_100_files_removes_them() {
    let lib = Library::new();
    let _daemon = Daemon::start(&lib);
    let folder = lib.photos().join("trip");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..100 {
        std::fs::copy(sample_jpeg(), folder.join(format!("IMG_{i:04}.jpg"))).unwrap();
    }
    wait_for("100 files indexed", 60, || lib.items().len() == 100);
    std::fs::remove_dir_all(&folder).unwrap();
    wait_for("100 files removed", 20, || lib.items().is_empty());
    let folders: i64 = lib.db().query_row("SELECT count(*) FROM folder WHERE path = 'trip'", [], |r| r.get(0)).unwrap();
    assert_eq!(folders, 0, "the folder is gone from the library too");
}

#[test]
fn a_restart_reconciles_changes_made_while_stopped() {
    let lib = Library::new();
    let photos = lib.photos();
    for name in ["keep.jpg", "gone.jpg", "moved.jpg"] {
        std::fs::copy(sample_jpeg(), photos.join(name)).unwrap();
    }
    // Distinct content for the file that will be moved, so its hash identifies it.
    std::fs::OpenOptions::new().append(true).open(photos.join("moved.jpg")).unwrap().write_all(b"moved").unwrap();
    let daemon = Daemon::start(&lib);
    wait_for("three files indexed", 20, || lib.items().len() == 3);
    let moved_id = lib.items().iter().find(|i| i.0 == "moved.jpg").unwrap().1;
    assert!(daemon.stop().success(), "clean shutdown on SIGTERM");

    std::fs::remove_file(photos.join("gone.jpg")).unwrap();
    std::fs::create_dir(photos.join("sub")).unwrap();
    std::fs::rename(photos.join("moved.jpg"), photos.join("sub/moved-renamed.jpg")).unwrap();
    std::fs::copy(photosd_tests::corpus().join("heic/exiv2/IMG_3578.heic"), photos.join("new.heic")).unwrap();
    std::fs::copy(
        photosd_tests::corpus().join("camera_jpeg/exif-samples/Canon_PowerShot_S40.jpg"),
        photos.join("keep.jpg"),
    )
    .unwrap();

    let _daemon = Daemon::start(&lib);
    wait_for("the changes reconciled", 30, || {
        let items = lib.items();
        let names: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
        names == ["keep.jpg", "new.heic", "sub/moved-renamed.jpg"]
            && items[0].3 as u64 == std::fs::metadata(photos.join("keep.jpg")).unwrap().len()
    });
    let items = lib.items();
    assert_eq!(items[2].1, moved_id, "a move while stopped keeps the id (same content hash)");
}

/// Regression: renaming a folder whose files were still waiting to be imported lost them.
#[test]
fn a_folder_renamed_before_its_files_are_imported_keeps_them() {
    let lib = Library::new();
    let _daemon = Daemon::start(&lib);
    let dcim = lib.photos().join("DCIM");
    std::fs::create_dir(&dcim).unwrap();
    for i in 0..20 {
        std::fs::copy(sample_jpeg(), dcim.join(format!("IMG_{i:04}.jpg"))).unwrap();
    }
    // At once, well inside the debounce: the imports are still pending under DCIM/.
    std::fs::rename(&dcim, lib.photos().join("Holiday")).unwrap();
    wait_for("the 20 files under their new folder", 20, || {
        let items = lib.items();
        items.len() == 20 && items.iter().all(|i| i.0.starts_with("Holiday/"))
    });
}

/// Regression: a file moved to the recycle bin and replaced by a new file of the same name within the move
/// grace period took the new file out of the library with it.
#[test]
fn a_file_replaced_after_going_to_the_recycle_bin_stays() {
    let lib = Library::new();
    let _daemon = Daemon::start(&lib);
    let photo = lib.photos().join("IMG_1.jpg");
    std::fs::copy(sample_jpeg(), &photo).unwrap();
    wait_for("IMG_1.jpg indexed", 20, || lib.items().len() == 1);
    std::fs::create_dir(lib.photos().join("#recycle")).unwrap();
    std::fs::rename(&photo, lib.photos().join("#recycle/IMG_1.jpg")).unwrap();
    std::fs::copy(photosd_tests::corpus().join("camera_jpeg/exif-samples/Canon_PowerShot_S40.jpg"), &photo).unwrap();
    let size = std::fs::metadata(&photo).unwrap().len() as i64;
    std::thread::sleep(Duration::from_secs(3)); // past the move grace period
    wait_for("the new IMG_1.jpg in the library", 20, || lib.items().iter().any(|i| i.0 == "IMG_1.jpg" && i.3 == size));
    assert_eq!(lib.items().len(), 1, "the recycled copy is not an item");
}

/// Regression: a hard link (ln, cp -al, rsync --link-dest) creates a file with no write, and was never seen.
#[test]
fn a_hard_linked_file_is_imported() {
    let lib = Library::new();
    let outside = lib.dir.path().join("outside.jpg");
    std::fs::copy(sample_jpeg(), &outside).unwrap();
    let _daemon = Daemon::start(&lib);
    std::fs::hard_link(&outside, lib.photos().join("linked.jpg")).unwrap();
    wait_for("the linked file indexed", 20, || lib.items().iter().any(|i| i.0 == "linked.jpg"));
}

/// A symlink in a space is never followed: it could point at another user's photos.
#[test]
fn symlinks_are_not_followed() {
    let lib = Library::new();
    let secret = lib.dir.path().join("someone-elses.jpg");
    std::fs::copy(photosd_tests::corpus().join("camera_jpeg/exiv2/FurnaceCreekInn.jpg"), &secret).unwrap();
    std::os::unix::fs::symlink(&secret, lib.photos().join("before.jpg")).unwrap();
    let _daemon = Daemon::start(&lib);
    std::os::unix::fs::symlink(&secret, lib.photos().join("after.jpg")).unwrap();
    std::fs::copy(sample_jpeg(), lib.photos().join("real.jpg")).unwrap();
    wait_for("the real file", 20, || lib.items().iter().any(|i| i.0 == "real.jpg"));
    std::thread::sleep(Duration::from_secs(1));
    let names: Vec<String> = lib.items().into_iter().map(|i| i.0).collect();
    assert_eq!(names, ["real.jpg"], "neither symlink became an item");
}

/// Workers with nothing to do exit after `workers.idle_exit_secs`, giving their memory back to the NAS, and the
/// next file starts a new one.
#[test]
fn idle_workers_exit_and_come_back_for_the_next_file() {
    let lib = Library::new();
    let daemon = Daemon::start_with_env(&lib, &[("PHOTOSD_WORKERS_IDLE_EXIT_SECS", "2")]);
    let thumbnailed = |name: &str| {
        lib.db()
            .query_row("SELECT thumb_state FROM item WHERE filename = ?1", [name], |r| r.get::<_, String>(0))
            .is_ok_and(|state| state == "ready")
    };
    std::fs::copy(sample_jpeg(), lib.photos().join("first.jpg")).unwrap();
    wait_for("first.jpg's thumbnails", 30, || thumbnailed("first.jpg"));
    assert!(!photosd_tests::workers_of(daemon.pid(), "worker --memory-mb").is_empty(), "a worker did the work");
    wait_for("the idle workers to exit", 10, || {
        photosd_tests::workers_of(daemon.pid(), "worker --memory-mb").is_empty()
    });
    std::fs::copy(photosd_tests::corpus().join("heic/exiv2/IMG_3578.heic"), lib.photos().join("second.heic")).unwrap();
    wait_for("second.heic's thumbnails, from a new worker", 30, || thumbnailed("second.heic"));
    assert!(daemon.stop().success());
}

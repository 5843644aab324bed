//! `photosd index` on real files: the malformed corpus never stops the scan, and every file ends up indexed
//! or flagged with a reason. Also: spaces that appear while the daemon runs are picked up.

use photosd_tests::{copy_tree, corpus, photosd, wait_for, Daemon, Library};

#[test]
fn malformed_files_are_flagged_and_the_rest_still_indexes() {
    let lib = Library::new();
    copy_tree(&corpus().join("malformed"), &lib.photos().join("malformed"));
    copy_tree(&corpus().join("camera_jpeg"), &lib.photos().join("good"));
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let started = std::time::Instant::now();
    let out = photosd(&lib.args("index", &pattern, &data));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "index failed: {}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed().as_secs() < 300, "indexing must not hang");

    let items = lib.items();
    let media_on_disk = |dir: &str| -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![lib.photos().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().to_string();
                if p.is_dir() {
                    stack.push(p);
                } else if is_media_name(&name) {
                    names.push(p.strip_prefix(lib.photos()).unwrap().display().to_string());
                }
            }
        }
        names
    };
    for path in media_on_disk("malformed") {
        let item = items.iter().find(|i| i.0 == path);
        assert!(item.is_some(), "{path} was skipped silently");
    }
    let conn = lib.db();
    let unexplained: i64 = conn
        .query_row("SELECT count(*) FROM item WHERE state = 'broken' AND (error IS NULL OR error = '')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(unexplained, 0, "every flagged file carries its reason");
    let good = media_on_disk("good");
    let good_ok = items.iter().filter(|i| i.0.starts_with("good/") && i.2 == "ok").count();
    assert_eq!(good_ok, good.len(), "every good file indexed despite the malformed ones");
    assert!(stdout.contains("photo:"), "summary with counts per type:\n{stdout}");
}

/// Same rule as the daemon: media by extension (the daemon's list lives in media/detect.rs).
fn is_media_name(name: &str) -> bool {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    !name.starts_with('.')
        && [
            "jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff", "btf", "heic", "heif", "hif", "avif",
            "avifs", "cr3", "raf", "crw", "mrw", "jp2", "jxl", "dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "orf",
            "rw2", "raw", "pef", "srw", "3fr", "erf", "kdc", "mrw", "iiq", "rwl", "x3f", "mov", "mp4", "m4v", "3gp",
            "3g2", "avi", "mts", "m2ts", "mkv", "webm", "wmv", "asf", "dv", "mpg", "mpeg", "flv", "ts",
        ]
        .contains(&ext.as_str())
}

#[test]
fn a_personal_space_that_appears_while_running_is_picked_up() {
    let lib = Library::new();
    std::fs::create_dir_all(lib.dir.path().join("shared")).unwrap();
    std::fs::remove_dir_all(lib.photos()).unwrap();
    let daemon = Daemon::start_with_shared(&lib, &lib.dir.path().join("shared"));
    std::fs::create_dir_all(lib.photos()).unwrap();
    std::fs::copy(photosd_tests::sample_jpeg(), lib.photos().join("first.jpg")).unwrap();
    wait_for("the new space and its photo", 20, || lib.items().iter().any(|i| i.0 == "first.jpg"));
    assert!(daemon.log_text().contains("watching space"));
}

#[test]
fn a_file_that_kills_its_worker_is_flagged_and_indexing_goes_on() {
    let lib = Library::new();
    // A 12000x12000 PNG of one colour: a few hundred KB on disk, 432 MB once decoded. Under a 320 MB address-space
    // limit decoding it kills the worker, as a decompression bomb or a decoder bug would.
    let huge = lib.photos().join("huge.png");
    let made =
        std::process::Command::new("vips").args(["black"]).arg(&huge).args(["12000", "12000", "--bands", "3"]).status();
    assert!(made.expect("vips (tests/setup.sh installs it)").success());
    std::fs::copy(photosd_tests::sample_jpeg(), lib.photos().join("fine.jpg")).unwrap();
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let out = std::process::Command::new(photosd_tests::photosd_bin())
        .args(lib.args("index", &pattern, &data))
        .env("PHOTOSD_WORKERS_MEMORY_LIMIT_MB", "320")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let conn = lib.db();
    let (state, thumb_state, thumb_error): (String, String, String) = conn
        .query_row("SELECT state, thumb_state, thumb_error FROM item WHERE filename = 'huge.png'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(state, "ok", "its metadata reads fine");
    assert_eq!(thumb_state, "broken");
    assert!(thumb_error.contains("crashed"), "the reason says what happened: {thumb_error}");
    let fine: String =
        conn.query_row("SELECT thumb_state FROM item WHERE filename = 'fine.jpg'", [], |r| r.get(0)).unwrap();
    assert_eq!(fine, "ready", "the next worker renders the rest");
}

//! 10,000 files created in a burst are all indexed: when inotify keeps up (every file created while its new
//! folder is being watched must be seen), and when its queue overflows. The two tests take turns, because one
//! lowers the system-wide inotify queue size while its daemon starts.

use photosd_tests::{sample_jpeg, wait_for, Daemon, Library};

const QUEUE_LIMIT: &str = "/proc/sys/fs/inotify/max_queued_events";

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn ten_thousand_files_in_a_burst_are_all_indexed() {
    burst(false);
}

#[test]
fn ten_thousand_files_are_all_indexed_after_a_queue_overflow() {
    burst(true);
}

fn burst(force_overflow: bool) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let lib = Library::new();
    // The queue size is read when an inotify instance is created: lower it for the daemon's instance only.
    let original = std::fs::read_to_string(QUEUE_LIMIT).ok();
    let lowered = force_overflow && std::fs::write(QUEUE_LIMIT, "16").is_ok();
    let daemon = Daemon::start(&lib);
    if let (true, Some(original)) = (lowered, &original) {
        let _ = std::fs::write(QUEUE_LIMIT, original.trim());
    }
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    for dir in 0..10 {
        let folder = lib.photos().join(format!("burst{dir}"));
        std::fs::create_dir(&folder).unwrap();
        for i in 0..1000 {
            // Distinct bytes per file, as real photos would be.
            let mut bytes = jpeg.clone();
            bytes.extend_from_slice(format!("{dir}-{i}").as_bytes());
            std::fs::write(folder.join(format!("IMG_{i:04}.jpg")), bytes).unwrap();
        }
    }
    wait_for("10,000 files indexed", 600, || lib.items().len() == 10_000);
    let broken = lib.items().iter().filter(|i| i.2 != "ok").count();
    assert_eq!(broken, 0);
    if lowered {
        assert!(daemon.log_text().contains("overflowed"), "the test meant to force a queue overflow");
    } else if force_overflow {
        panic!("cannot lower {QUEUE_LIMIT} (run as root) to force the overflow");
    }
    assert!(daemon.stop().success());
}

const WATCH_LIMIT: &str = "/proc/sys/fs/inotify/max_user_watches";

/// Puts a /proc setting back when the test ends, even if it fails.
struct Restore(&'static str, String);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(self.0, self.1.trim());
    }
}

#[test]
fn when_the_watch_limit_is_hit_changes_are_found_by_periodic_rescans() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let lib = Library::new();
    for i in 0..200 {
        std::fs::create_dir_all(lib.photos().join(format!("album{i:03}"))).unwrap();
    }
    let original = std::fs::read_to_string(WATCH_LIMIT).expect("readable inotify limit");
    let restore = Restore(WATCH_LIMIT, original);
    // Far fewer watches than folders: the daemon must notice, say how to fix it, and fall back to rescans.
    std::fs::write(WATCH_LIMIT, "64").expect("run as root to lower the inotify watch limit");
    let daemon = Daemon::start_with_env(&lib, &[("PHOTOSD_WATCH_FALLBACK_RESCAN_SECS", "2")]);
    drop(restore);
    assert!(daemon.log_text().contains("fs.inotify.max_user_watches"), "the log tells the user what to raise");
    std::fs::copy(sample_jpeg(), lib.photos().join("album199/late.jpg")).unwrap();
    wait_for("a file in an unwatched folder to be found by a rescan", 30, || {
        lib.items().iter().any(|i| i.0 == "album199/late.jpg")
    });
    assert!(daemon.stop().success());
}

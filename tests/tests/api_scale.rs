//! The API under load: a thousand uploads while the watcher sees every file arrive, and a 2 GB ZIP download that
//! must not grow the daemon's memory.

use std::io::Read;

use photosd_tests::api_library::{list, logged_in, setup};
use photosd_tests::{sample_jpeg, wait_for};

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).unwrap().parse().unwrap()
}

#[test]
fn a_thousand_uploads_while_the_watcher_runs_make_a_thousand_items() {
    let s = setup();
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let api = logged_in(&s, &s.alice);
            let jpeg = jpeg.clone();
            std::thread::spawn(move || {
                for n in 0..250 {
                    let name = format!("IMG_{t}{n:04}.jpg");
                    let answer =
                        api.upload("upload", &[("folder", "[\"Uploads\"]"), ("duplicate", "\"rename\"")], &name, &jpeg);
                    assert_eq!(answer["data"]["action"], "upload", "{name}: {answer}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let count = || -> (i64, i64) {
        s.lib
            .db()
            .query_row(
                "SELECT count(*), count(DISTINCT i.filename) FROM item i JOIN folder f ON f.id = i.folder_id WHERE f.path = 'Uploads'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!(count(), (1000, 1000));
    // Let the watcher's own events for those files run through the queue: still exactly a thousand.
    wait_for("the queue to drain", 120, || {
        s.lib
            .db()
            .query_row("SELECT count(*) FROM job WHERE state IN ('queued', 'running')", [], |r| r.get::<_, i64>(0))
            .unwrap()
            == 0
    });
    assert_eq!(count(), (1000, 1000));
    assert_eq!(std::fs::read_dir(s.lib.photos().join("Uploads")).unwrap().count(), 1000, "no stray or temp files");
}

#[test]
fn a_two_gigabyte_zip_streams_in_constant_memory() {
    let s = setup();
    let big = s.lib.photos().join("big");
    std::fs::create_dir_all(&big).unwrap();
    // Eight 256 MiB files (sparse: the disk stays free, every byte is still read and sent).
    for n in 0..8 {
        let file = std::fs::File::create(big.join(format!("clip{n}.mp4"))).unwrap();
        file.set_len(256 << 20).unwrap();
    }
    wait_for("the eight files to be indexed", 120, || {
        s.lib
            .db()
            .query_row("SELECT count(*) FROM item WHERE filename LIKE 'clip%'", [], |r| r.get::<_, i64>(0))
            .unwrap()
            == 8
    });
    let api = logged_in(&s, &s.alice);
    let folders = api.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let id = list(&folders).iter().find(|f| f["name"] == "/big").unwrap()["id"].to_string();
    let pid = s.daemon.pid();
    let before = rss_kb(pid);
    let response = api.get_raw("SYNO.Foto.Download", "download", 2, &[("folder_id", &format!("[{id}]"))], &[]);
    let mut reader = response.into_reader();
    let (mut total, mut peak, mut tail) = (0u64, before, Vec::new());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 1 << 16 {
            tail.drain(..tail.len() - (1 << 16));
        }
        if total % (64 << 20) < n as u64 {
            peak = peak.max(rss_kb(pid));
        }
    }
    assert!(total > 8 * (256 << 20), "{total} bytes");
    assert!(tail.windows(4).any(|w| w == [0x50, 0x4b, 0x05, 0x06]), "the archive ends with its central directory");
    let growth_mb = peak.saturating_sub(before) / 1024;
    println!("RSS before {} MB, peak {} MB during a {} MB download", before / 1024, peak / 1024, total >> 20);
    assert!(growth_mb < 50, "the daemon grew by {growth_mb} MB");
}

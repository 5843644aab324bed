//! The web portal end to end: a real daemon on a library from the corpus (three photos in "trip", one at the
//! root, and a video, and one photo in the Shared Space), driven in Debian's Chromium by playwright-core (`tests/e2e/portal.test.mjs`). Screenshots
//! of the sign-in page, the timeline, the folder view and the viewer land in `target/e2e-screenshots/`.

use photosd_tests::api_library::setup_with_shared;
use photosd_tests::{corpus, wait_for, workspace};

#[test]
fn the_portal_works_in_a_real_browser() {
    // A Shared Space with one photo, so that the space switch shows.
    let shared = tempfile::tempdir().unwrap();
    let team = "camera_jpeg/exif-samples/Olympus_C8080WZ.jpg";
    std::fs::copy(corpus().join(team), shared.path().join("Olympus_C8080WZ.jpg")).unwrap();
    let s = setup_with_shared(Some((shared.path(), "photosd-test-admins")));
    let clip = "video/face_recognition/short_hamilton_clip.mp4";
    std::fs::copy(corpus().join(clip), s.lib.photos().join("hamilton.mp4")).unwrap();
    wait_for("the video's poster", 60, || {
        s.lib
            .db()
            .query_row("SELECT count(*) FROM item WHERE filename = 'hamilton.mp4' AND thumb_state = 'ready'", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_or(0)
            == 1
    });
    let photos: Vec<String> = ["Canon_40D.jpg", "Nikon_D70.jpg", "Fujifilm_FinePix6900ZOOM.jpg", "Sony_HDR-HC3.jpg"]
        .iter()
        .map(|name| format!("camera_jpeg/exif-samples/{name}"))
        .collect();
    let shots = workspace().join("target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let status = std::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "scrubber.test.mjs", "portal.test.mjs"])
        .current_dir(workspace().join("tests/e2e"))
        .env("PHOTOSD_URL", s.daemon.base_url())
        .env("PHOTOSD_USER", s.alice.name)
        .env("PHOTOSD_PASSWORD", s.alice.password)
        .env("PHOTOSD_SCREENSHOTS", &shots)
        .env("PHOTOSD_CORPUS", corpus())
        .env("PHOTOSD_PHOTOS", serde_json::to_string(&photos).unwrap())
        .env("PHOTOSD_HOME", s.lib.photos().parent().unwrap())
        .status()
        .expect("node runs (tests/setup.sh installs Node.js, Chromium and playwright-core)");
    assert!(status.success(), "the portal's end-to-end tests failed (see above; screenshots in {})", shots.display());
    for shot in ["login.png", "timeline.png", "folder.png", "viewer.png"] {
        assert!(shots.join(shot).metadata().is_ok_and(|m| m.len() > 1000), "{shot} saved");
    }
}

/// How the daemon serves the portal: `/photo` leads to `/photo/`; the page is never cached and carries a
/// content security policy; its hashed assets are cached for a year and gzipped for browsers that take it; any
/// deep link answers with the page, so a reload keeps the view.
#[test]
fn the_portal_is_served_with_the_right_headers() {
    let lib = photosd_tests::Library::new();
    let daemon = photosd_tests::Daemon::start(&lib);
    let base = daemon.base_url();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let moved = agent.get(&format!("{base}/photo")).call().unwrap();
    assert_eq!((moved.status(), moved.header("location")), (301, Some("/photo/")));

    let page = agent.get(&format!("{base}/photo/")).call().unwrap();
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert!(page.header("content-security-policy").is_some_and(|p| p.contains("default-src 'self'")));
    let html = page.into_string().unwrap();
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script in the page");
    assert!(script.starts_with("/photo/assets/") && script.ends_with(".js"), "{script}");

    // By hand: ureq would decompress, and hide how the bytes came.
    let (gzip_head, gzipped) = raw_get(&base, script, "gzip");
    assert!(gzip_head.contains("content-encoding: gzip"), "{gzip_head}");
    assert!(gzip_head.contains("cache-control: public, max-age=31536000, immutable"), "{gzip_head}");
    assert!(gzip_head.contains("content-type: text/javascript"), "{gzip_head}");
    let (plain_head, plain) = raw_get(&base, script, "identity");
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");
    assert!(gzipped.len() * 2 < plain.len(), "gzip shrinks the bundle ({} of {} bytes)", gzipped.len(), plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain, "the same script either way");

    let deep = agent.get(&format!("{base}/photo/personal/folder/12")).call().unwrap().into_string().unwrap();
    assert_eq!(deep, html, "a deep link answers with the page");
    let missing = agent.get(&format!("{base}/photo/assets/nothing.js")).call();
    assert!(matches!(missing, Err(ureq::Error::Status(404, _))));
}

/// A GET by hand: the response head (lower-cased) and the body, as the server sent them.
fn raw_get(base: &str, path: &str, encoding: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
    (String::from_utf8_lossy(&response[..split]).to_lowercase(), response[split..].to_vec())
}

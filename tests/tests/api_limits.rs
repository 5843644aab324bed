//! The server's limits on misbehaving clients: an upload whose client stops sending, and a download whose client
//! stops reading, are cut off after `server.stall_timeout_secs`, leaving nothing behind and the daemon serving.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use photosd_tests::api_library::{list, setup, GROUP};
use photosd_tests::{sample_jpeg, wait_for, Api, Daemon};

#[test]
fn stalled_uploads_and_downloads_are_cut_off() {
    let s = setup();
    // A 40 MB photo (a JPEG with padding after its end), more than socket buffers hold.
    let mut big = std::fs::read(sample_jpeg()).unwrap();
    big.resize(40 << 20, 0);
    std::fs::write(s.lib.photos().join("big.jpg"), &big).unwrap();
    let photosd_tests::api_library::Setup { lib, daemon, alice, .. } = s;
    daemon.kill();
    let daemon = Daemon::launch(
        &lib,
        std::path::Path::new(""),
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP), ("PHOTOSD_SERVER_STALL_TIMEOUT_SECS", "2")],
    );
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(alice.name, alice.password)["success"], true);
    let big_id = || {
        let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "100")]);
        list(&items).iter().find(|i| i["filename"] == "big.jpg").map(|i| i["id"].to_string())
    };
    wait_for("big.jpg to be indexed", 30, || big_id().is_some());
    let address = daemon.base_url().trim_start_matches("http://").to_string();

    // An upload that stops halfway, its connection left open: answered with an error, its temp file gone.
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let mut upload = api.half_upload("stalled.jpg", &jpeg);
    let started = Instant::now();
    upload.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut answer = String::new();
    let _ = upload.read_to_string(&mut answer);
    assert!(started.elapsed() < Duration::from_secs(10), "cut off after {:?}", started.elapsed());
    assert!(answer.contains(r#""success":false"#), "{answer}");
    let leftovers: Vec<_> = photosd_tests::files_under(&lib.photos())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("stalled") || p.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A download nobody reads: the daemon stops waiting and closes it, long before 40 MB went out.
    let (id, sid) = (big_id().unwrap(), api.sid.clone());
    let mut download = std::net::TcpStream::connect(&address).unwrap();
    let request = format!(
        "GET /photo/webapi/entry.cgi?api=SYNO.Foto.Download&method=download&version=2&item_id=%5B{id}%5D&_sid={} HTTP/1.1\r\nHost: {address}\r\n\r\n",
        sid.as_deref().unwrap()
    );
    download.write_all(request.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_secs(5));
    download.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut received = Vec::new();
    let ended = download.read_to_end(&mut received);
    assert!(
        ended.is_ok() || ended.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{ended:?}"
    );
    assert!(received.starts_with(b"HTTP/1.1 200"), "the download had started");
    assert!(received.len() < big.len(), "the stalled download was cut off ({} bytes came)", received.len());

    // And the daemon serves on.
    assert_eq!(logged_in_again(&daemon, &alice)["success"], true);
}

fn logged_in_again(daemon: &Daemon, user: &photosd_tests::TestUser) -> serde_json::Value {
    let mut api = Api::new(&daemon.base_url());
    api.login(user.name, user.password);
    api.call("SYNO.Foto.UserInfo", "me", 1, &[])
}

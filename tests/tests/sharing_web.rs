//! Share links in a real browser: the daemon on the API tests' library, links made through the API (a view link,
//! a download link, a password link, an expired and a disabled one, a photo request), then Debian's Chromium
//! driven by playwright-core (`tests/e2e/sharing.test.mjs`) opens them as a visitor without an account, at desktop
//! and phone width, and as the owner in the portal. Screenshots land in `target/e2e-screenshots/share-*.png`.

use photosd_tests::api_library::{list, logged_in, ok, setup};
use photosd_tests::{sample_jpeg, workspace, Api};
use serde_json::json;

fn album(alice: &Api, name: &str, items: &[i64]) -> i64 {
    let items = serde_json::to_string(items).unwrap();
    let made = ok(alice.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "create",
        3,
        &[("name", &format!("\"{name}\"")), ("item", &items)],
    ));
    made["album"]["id"].as_i64().unwrap()
}

/// Shares an album and applies `settings` (parameters of `Sharing.Passphrase update`); its passphrase.
fn share(alice: &Api, album: i64, settings: &[(&str, &str)]) -> String {
    let link = ok(alice.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &album.to_string())],
    ));
    let passphrase = link["passphrase"].as_str().unwrap().to_string();
    if !settings.is_empty() {
        let quoted = format!("\"{passphrase}\"");
        let mut all = vec![("passphrase", quoted.as_str())];
        all.extend_from_slice(settings);
        ok(alice.call("SYNO.Foto.Sharing.Passphrase", "update", 1, &all));
    }
    passphrase
}

#[test]
fn share_links_open_in_a_real_browser() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let items = alice.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10")]);
    let id = |name: &str| list(&items).iter().find(|i| i["filename"] == name).unwrap()["id"].as_i64().unwrap();
    let (canon, nikon, sony) = (id("Canon_40D.jpg"), id("Nikon_D70.jpg"), id("Sony_HDR-HC3.jpg"));
    let trip = album(&alice, "Shared trip", &[canon, nikon]);
    let view = share(&alice, trip, &[]);
    let download = share(
        &alice,
        album(&alice, "Downloads", &[canon, sony]),
        &[("permission", r#"[{"action":"update","role":"download","member":{"type":"public"}}]"#)],
    );
    let secret = "tea at four 1900";
    let password = share(&alice, album(&alice, "Locked", &[sony]), &[("password", &format!("\"{secret}\""))]);
    let expired = share(&alice, album(&alice, "Old", &[sony]), &[("expiration", "1000000")]);
    let disabled = share(&alice, album(&alice, "Off", &[sony]), &[("enabled", "false")]);
    let upload = share(
        &alice,
        album(&alice, "Bring yours", &[sony]),
        &[("permission", r#"[{"action":"update","role":"upload","member":{"type":"public"}}]"#)],
    );
    album(&alice, "Unshared", &[nikon]);
    // For bob only: private, bob invited as a downloader.
    let for_bob = format!(
        r#"[{{"action":"delete","member":{{"type":"public"}}}},{{"action":"update","role":"download","member":{{"type":"user","id":{}}}}}]"#,
        s.bob.uid
    );
    share(&alice, album(&alice, "For Bob", &[canon, nikon, sony]), &[("permission", &for_bob)]);
    let folders = ok(alice.call("SYNO.Foto.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]));
    let trip_folder = folders["list"].as_array().unwrap().iter().find(|f| f["name"] == "/trip").unwrap()["id"].clone();
    let request = ok(alice.call(
        "SYNO.Foto.PhotoRequest",
        "create",
        1,
        &[("folder_id", &trip_folder.to_string()), ("name", "\"Send us your photos\"")],
    ));
    let links = json!({
        "view": view, "download": download, "password": password, "secret": secret, "expired": expired,
        "disabled": disabled, "upload": upload, "request": request["photo_request"]["passphrase"],
        "names": ["Canon_40D.jpg", "Nikon_D70.jpg"],
    });

    let shots = workspace().join("target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let status = std::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1", "sharing.test.mjs"])
        .current_dir(workspace().join("tests/e2e"))
        .env("PHOTOSD_URL", s.daemon.base_url())
        .env("PHOTOSD_USER", s.alice.name)
        .env("PHOTOSD_PASSWORD", s.alice.password)
        .env("PHOTOSD_INVITEE", format!("{}:{}", s.bob.name, s.bob.password))
        .env("PHOTOSD_SCREENSHOTS", &shots)
        .env("PHOTOSD_LINKS", links.to_string())
        .env("PHOTOSD_UPLOAD", sample_jpeg())
        .status()
        .expect("node runs (tests/setup.sh installs Node.js, Chromium and playwright-core)");
    assert!(status.success(), "the sharing end-to-end tests failed (see above; screenshots in {})", shots.display());
    for shot in ["share-public.png", "share-viewer.png", "share-password.png", "share-expired.png", "share-phone.png"] {
        assert!(shots.join(shot).metadata().is_ok_and(|m| m.len() > 1000), "{shot} saved");
    }
    // The request's file landed in its folder, owned by alice, and the visitor saw none of hers.
    let sent = s.lib.photos().join("trip").join(sample_jpeg().file_name().unwrap());
    assert!(sent.is_file(), "{}", sent.display());
}

//! photosd installed the plain-Linux way (`package/linux/install.sh`) behind a real nginx on loopback with the
//! shipped `nginx-photo.conf`: through `/photo/` it logs in, lists items, fetches a thumbnail (ETag, then 304),
//! streams a video with a Range request, and takes a 200 MB upload.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command};

use photosd_tests::api_library::{list, GROUP};
use photosd_tests::{corpus, sample_jpeg, test_user, wait_for, workspace, Api, Daemon, Library};

struct Nginx(Child);

impl Drop for Nginx {
    /// SIGTERM to the master, which takes its workers down (SIGKILL would leave them running).
    fn drop(&mut self) {
        let _ =
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.0.id() as i32), nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

/// nginx on a free loopback port, in `dir`, serving the shipped snippet aimed at the daemon's port.
fn nginx(dir: &Path, snippet: &Path, daemon_port: &str) -> (Nginx, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let shipped = std::fs::read_to_string(snippet).unwrap();
    assert!(shipped.contains("127.0.0.1:5080"), "the snippet proxies to photosd's default address");
    std::fs::write(dir.join("photosd.conf"), shipped.replace("127.0.0.1:5080", &format!("127.0.0.1:{daemon_port}")))
        .unwrap();
    let d = dir.display();
    let conf = format!(
        "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{ access_log {d}/access.log; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           server {{ listen 127.0.0.1:{port}; include {d}/photosd.conf; }} }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx runs (tests/setup.sh installs it)");
    let base = format!("http://127.0.0.1:{port}");
    wait_for("nginx to listen", 20, || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    (Nginx(child), base)
}

#[test]
fn photosd_behind_nginx_from_the_installed_layout() {
    let installed = tempfile::tempdir().unwrap();
    let out = Command::new(workspace().join("package/linux/install.sh"))
        .arg("--no-build")
        .env("DESTDIR", installed.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "install.sh: {}", String::from_utf8_lossy(&out.stderr));
    let root = installed.path();
    for file in [
        "usr/local/bin/photosd",
        "etc/photosd/photosd.toml",
        "etc/systemd/system/photosd.service",
        "etc/nginx/snippets/photosd.conf",
        "usr/local/share/photosd/models/yunet.safetensors",
        "usr/local/share/photosd/models/sface.safetensors",
        "usr/local/share/photosd/models/efficientnet_lite0.safetensors",
        "usr/local/share/photosd/models/minilm.safetensors",
        "usr/local/share/photosd/models/minilm-tokenizer.json",
        "usr/local/share/doc/photosd/models.NOTICE",
        "usr/local/share/photosd/geo/cities.csv",
        "usr/local/share/photosd/geo/countries.tsv",
        "usr/local/share/doc/photosd/places.NOTICE",
    ] {
        assert!(root.join(file).is_file(), "install.sh put {file} in place");
    }
    // The installed photosd finds the installed models by default.
    let photo = corpus().join("faces/barack_obama/fr_obama.jpg");
    let faces = Command::new(root.join("usr/local/bin/photosd"))
        .arg("faces")
        .arg(&photo)
        .env("PHOTOSD_CONFIG", root.join("etc/photosd/photosd.toml"))
        .env_remove("PHOTOSD_FACES_MODELS_DIR")
        .output()
        .unwrap();
    assert!(faces.status.success(), "photosd faces: {}", String::from_utf8_lossy(&faces.stderr));
    assert_eq!(photosd_tests::json_lines(&faces.stdout)[0]["faces"].as_array().map(Vec::len), Some(1));
    // And the installed text model: "seaside" means the beach.
    let query = Command::new(root.join("usr/local/bin/photosd"))
        .args(["subjects", "--query", "seaside"])
        .env("PHOTOSD_CONFIG", root.join("etc/photosd/photosd.toml"))
        .env_remove("PHOTOSD_FACES_MODELS_DIR")
        .output()
        .unwrap();
    assert!(query.status.success(), "photosd subjects --query: {}", String::from_utf8_lossy(&query.stderr));
    assert_eq!(photosd_tests::json_lines(&query.stdout)[0]["subject"], "beach");
    // And the installed place data.
    let place = Command::new(root.join("usr/local/bin/photosd"))
        .args(["geocode", "--json", "64.1466,-21.9426"])
        .env("PHOTOSD_CONFIG", root.join("etc/photosd/photosd.toml"))
        .env_remove("PHOTOSD_PLACES_DATA_DIR")
        .output()
        .unwrap();
    let place = photosd_tests::json_lines(&place.stdout);
    assert_eq!(place[0]["place"]["country"], "Iceland", "{place:?}");

    let alice = test_user("pdt-alice", "alice-Pa55word", &[GROUP]);
    let lib = Library::for_user(alice.name);
    std::fs::copy(sample_jpeg(), lib.photos().join("Canon_40D.jpg")).unwrap();
    std::fs::copy(corpus().join("video/face_recognition/short_hamilton_clip.mp4"), lib.photos().join("clip.mp4"))
        .unwrap();
    let config = root.join("etc/photosd/photosd.toml");
    let daemon = Daemon::launch_bin(
        &root.join("usr/local/bin/photosd"),
        &lib,
        Path::new(""),
        &[("PHOTOSD_CONFIG", config.to_str().unwrap()), ("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP)],
    );
    wait_for("both items with thumbnails", 60, || {
        lib.db()
            .query_row("SELECT count(*) FROM item WHERE thumb_state = 'ready'", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
            == 2
    });
    let daemon_port = daemon.base_url().rsplit(':').next().unwrap().to_string();
    let (_nginx, base) = nginx(installed.path(), &root.join("etc/nginx/snippets/photosd.conf"), &daemon_port);

    // Through nginx on /photo/: the portal, the login, a list.
    let page = ureq::get(&format!("{base}/photo/")).call().unwrap().into_string().unwrap();
    assert!(page.contains("/photo/assets/"), "the portal comes through");
    let mut api = Api::new(&base);
    assert_eq!(api.login(alice.name, alice.password)["success"], true);
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("limit", "10"), ("additional", r#"["thumbnail"]"#)]);
    let id_of = |name: &str| list(&items).iter().find(|i| i["filename"] == name).unwrap()["id"].to_string();
    let (photo, video) = (id_of("Canon_40D.jpg"), id_of("clip.mp4"));

    // A thumbnail, then the same with its ETag: 304.
    let thumb = api.get_raw("SYNO.Foto.Thumbnail", "get", 2, &[("id", &photo), ("size", "\"sm\"")], &[]);
    assert_eq!(thumb.status(), 200);
    let etag = thumb.header("etag").expect("an ETag through nginx").to_string();
    let again = api.get_raw(
        "SYNO.Foto.Thumbnail",
        "get",
        2,
        &[("id", &photo), ("size", "\"sm\"")],
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status(), 304);

    // The video with a Range request: the asked bytes, as a 206.
    let part = api.get_raw("SYNO.Foto.Streaming", "streaming", 2, &[("id", &video)], &[("Range", "bytes=1000-1999")]);
    assert_eq!(part.status(), 206);
    let total = std::fs::metadata(lib.photos().join("clip.mp4")).unwrap().len();
    assert_eq!(part.header("content-range"), Some(format!("bytes 1000-1999/{total}").as_str()));
    let mut bytes = Vec::new();
    part.into_reader().read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, std::fs::read(lib.photos().join("clip.mp4")).unwrap()[1000..2000]);

    // A 200 MB upload (a JPEG padded to 200 MB) goes through nginx whole.
    let mut big = std::fs::read(sample_jpeg()).unwrap();
    big.resize(200 << 20, 0);
    let answer = api.upload("upload", &[("name", "\"big.jpg\""), ("folder", r#"["uploads"]"#)], "big.jpg", &big);
    assert_eq!(answer["success"], true, "{answer}");
    let stored = lib.photos().join("uploads/big.jpg");
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), 200 << 20);
    assert!(std::fs::read(&stored).unwrap() == big, "stored byte for byte");
}

//! The DSM package carries everything it runs on: in an empty root holding nothing but the unpacked package, a
//! static busybox (DSM's shell) and the account files, photosd reads and thumbnails a JPEG, a HEIC, an AVIF and
//! camera and phone videos, transcodes a video for browsers, starts its workers through the package's launcher,
//! and serves the portal and the API. No library of this machine is reachable from there.

use std::path::Path;
use std::process::{Command, Stdio};

use photosd_tests::{build_spk, corpus, wait_for_listening};

/// An empty root with /proc and /dev mounted, unmounted again whatever happens to the test.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new() -> Root {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["bin", "etc", "proc", "dev", "tmp", "photo", "data", "var/packages/photosd/target"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let root = Root { dir };
        root.mount(&["-t", "proc", "proc"], "proc");
        root.mount(&["--bind", "/dev"], "dev");
        root
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn mount(&self, how: &[&str], at: &str) {
        let done = Command::new("mount").args(how).arg(self.path().join(at)).status().unwrap();
        assert!(done.success(), "mount {at}");
    }

    /// photosd as DSM starts it: the package's bin/photosd, inside the root.
    fn photosd(&self, args: &[&str]) -> Command {
        let mut command = Command::new("/usr/sbin/chroot");
        command
            .arg(self.path())
            .arg("/var/packages/photosd/target/bin/photosd")
            .args(args)
            .env_clear()
            .env("PATH", "/bin");
        command
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        for at in ["proc", "dev"] {
            let _ = Command::new("umount").arg("-l").arg(self.path().join(at)).status();
        }
    }
}

#[test]
fn the_package_runs_on_a_system_without_its_libraries() {
    let spk = build_spk(None);
    let root = Root::new();
    let target = root.path().join("var/packages/photosd/target");
    let unpacked = Command::new("sh")
        .arg("-c")
        .arg(format!("tar -xOf '{}' package.tgz | tar -xz -C '{}'", spk.display(), target.display()))
        .status()
        .unwrap();
    assert!(unpacked.success());
    // DSM's userland: a shell, and the account files.
    let busybox = root.path().join("bin/busybox");
    std::fs::copy("/usr/bin/busybox", &busybox).expect("busybox-static (tests/setup.sh installs it)");
    let ldd = Command::new("ldd").arg(&busybox).output().unwrap();
    assert!(
        !ldd.status.success() || String::from_utf8_lossy(&ldd.stdout).contains("not a dynamic"),
        "a static busybox"
    );
    for applet in ["sh", "readlink", "dirname"] {
        std::os::unix::fs::symlink("busybox", root.path().join("bin").join(applet)).unwrap();
    }
    for file in ["passwd", "group"] {
        std::fs::copy(Path::new("/etc").join(file), root.path().join("etc").join(file)).unwrap();
    }
    std::fs::write(root.path().join("etc/nsswitch.conf"), "passwd: files\ngroup: files\n").unwrap();
    assert!(!root.path().join("lib").exists() && !root.path().join("usr").exists(), "nothing but the package");

    let corpus = corpus();
    let files = [
        ("camera_jpeg/exif-samples/Canon_40D.jpg", "photo"),
        ("heic/exif-samples/IMG_5195.HEIC", "photo"),
        ("avif/libheif/example.avif", "photo"),
        ("video/photoprism/quicktime-hvc1.mov", "video"),
        ("video/photoprism/earth.avi", "video"),
        ("video/photoprism/isom-avc1.mp4", "video"),
    ];
    for (file, _) in files {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(corpus.join(file), root.path().join("photo").join(name)).unwrap();
    }
    let version = root.photosd(&["--version"]).output().unwrap();
    assert!(version.status.success(), "photosd runs: {}", String::from_utf8_lossy(&version.stderr));

    // Index: every file read and thumbnailed by workers started through the launcher, videos transcoded.
    let index =
        root.photosd(&["index", "--data", "/data", "--shared", "/photo", "--personal-pattern", ""]).output().unwrap();
    let said = String::from_utf8_lossy(&index.stderr).into_owned() + &String::from_utf8_lossy(&index.stdout);
    assert!(index.status.success(), "photosd index: {said}");
    let db = rusqlite::Connection::open(root.path().join("data/library.db")).unwrap();
    for (file, kind) in files {
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        let (state, thumbs, found): (String, String, String) = db
            .query_row("SELECT state, thumb_state, type FROM item WHERE filename = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap_or_else(|e| panic!("{name} indexed ({e}): {said}"));
        assert_eq!((state.as_str(), thumbs.as_str(), found.as_str()), ("ok", "ready", kind), "{name}: {said}");
    }
    let transcoded: i64 = db
        .query_row(
            "SELECT count(*) FROM item WHERE filename = 'quicktime-hvc1.mov' AND video_state = 'ready'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(transcoded, 1, "the HEVC video was transcoded for browsers: {said}");
    drop(db);

    // Serve: the portal and the API answer.
    let log_path = root.path().join("tmp/photosd.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut daemon = root
        .photosd(&[
            "serve",
            "--data",
            "/data",
            "--shared",
            "/photo",
            "--personal-pattern",
            "",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let url = wait_for_listening(&log_path, 0);
    let page = ureq::get(&format!("{url}/photo/")).call().unwrap().into_string().unwrap();
    assert!(page.contains("<html") || page.contains("<!doctype html"), "the portal: {page}");
    let info = ureq::get(&format!(
        "{url}/photo/webapi/query.cgi?api=SYNO.API.Info&version=1&method=query&query=SYNO.Foto.Browse.Item"
    ))
    .call()
    .unwrap()
    .into_string()
    .unwrap();
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["success"], true, "{info}");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(daemon.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = daemon.wait().unwrap();
    assert!(status.success(), "a clean stop: {}", std::fs::read_to_string(&log_path).unwrap_or_default());

    let libraries: Vec<String> = std::fs::read_dir(target.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    println!("the package carries {} libraries: {}", libraries.len(), libraries.join(" "));
}

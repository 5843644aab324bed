//! The SMB drop folder: Samba (smbd) on loopback shares a Personal Space, smbclient copies photos into it, and
//! they appear in the library with the right metadata. Needs root (to add the system user and run smbd);
//! tests/setup.sh installs Samba.

use std::process::{Command, Stdio};

use photosd_tests::{corpus, wait_for, Daemon, Library};

const USER: &str = "photosd-smbtest";
const PASSWORD: &str = "Drop-Folder-42";
const PORT: &str = "44545";

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn photos_copied_over_smb_are_indexed_with_their_metadata() {
    assert!(nix::unistd::getuid().is_root(), "the SMB test adds a system user and runs smbd: run it as root");
    if nix::unistd::User::from_name(USER).unwrap().is_none() {
        run(Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER]));
    }
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    let lib = Library::for_user(USER);
    std::os::unix::fs::chown(lib.photos(), Some(user.uid.as_raw()), Some(user.gid.as_raw())).unwrap();

    let samba = lib.dir.path().join("samba");
    for d in ["private", "lock", "state", "cache", "pid", "log"] {
        std::fs::create_dir_all(samba.join(d)).unwrap();
    }
    let conf = samba.join("smb.conf");
    std::fs::write(
        &conf,
        format!(
            "[global]\n  server role = standalone server\n  interfaces = lo\n  bind interfaces only = yes\n  smb ports = {PORT}\n\
             \x20 private dir = {s}/private\n  lock directory = {s}/lock\n  state directory = {s}/state\n  cache directory = {s}/cache\n\
             \x20 pid directory = {s}/pid\n  ncalrpc dir = {s}/lock/ncalrpc\n  log file = {s}/log/smbd.log\n  passdb backend = tdbsam\n\
             \x20 disable spoolss = yes\n  load printers = no\n\n[photos]\n  path = {photos}\n  read only = no\n  valid users = {USER}\n",
            s = samba.display(),
            photos = lib.photos().display()
        ),
    )
    .unwrap();
    let mut passwd = Command::new("smbpasswd")
        .args(["-c", conf.to_str().unwrap(), "-a", "-s", USER])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("smbpasswd (tests/setup.sh installs samba)");
    use std::io::Write;
    passwd.stdin.take().unwrap().write_all(format!("{PASSWORD}\n{PASSWORD}\n").as_bytes()).unwrap();
    assert!(passwd.wait().unwrap().success());
    let mut smbd = Command::new("smbd")
        .args(["--foreground", "--no-process-group", "-s", conf.to_str().unwrap()])
        .spawn()
        .expect("smbd starts");
    let _stop_smbd = KillOnDrop(&mut smbd);

    let daemon = Daemon::start(&lib);
    let sources = ["heic/exiv2/IMG_3578.heic", "camera_jpeg/exiv2/FurnaceCreekInn.jpg", "video/file-type/fixture2.3gp"];
    let mut commands = String::from("mkdir smb; cd smb;");
    for s in sources {
        let path = corpus().join(s);
        commands.push_str(&format!(" put \"{}\" \"{}\";", path.display(), path.file_name().unwrap().to_string_lossy()));
    }
    wait_for("smbd to accept logins", 20, || {
        Command::new("smbclient")
            .args(["-p", PORT, "//127.0.0.1/photos", "-U", &format!("{USER}%{PASSWORD}"), "-c", "ls"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    run(Command::new("smbclient").args([
        "-p",
        PORT,
        "//127.0.0.1/photos",
        "-U",
        &format!("{USER}%{PASSWORD}"),
        "-c",
        &commands,
    ]));

    wait_for("the SMB copies indexed", 30, || lib.items().len() == sources.len());
    let conn = lib.db();
    let row = |name: &str| -> (String, Option<String>, Option<f64>, Option<i64>, String) {
        conn.query_row(
            "SELECT type, make, latitude, width, coalesce(taken_local, '') FROM item WHERE filename = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let heic = row("IMG_3578.heic");
    assert_eq!((heic.0.as_str(), heic.1.as_deref()), ("photo", Some("Apple")));
    assert_eq!(heic.4, "2020-04-17T10:03:40");
    let jpeg = row("FurnaceCreekInn.jpg");
    assert!((jpeg.2.unwrap() - 36.448_333).abs() < 1e-5, "GPS read from the SMB copy");
    let video = row("fixture2.3gp");
    assert_eq!(video.0, "video");
    assert_eq!(video.3, Some(176));
    let owners: Vec<u32> = ["IMG_3578.heic"]
        .iter()
        .map(|n| std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(lib.photos().join("smb").join(n)).unwrap()))
        .collect();
    assert_eq!(owners, vec![user.uid.as_raw()], "smbd wrote the files as the share's user");
    assert!(daemon.stop().success());
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

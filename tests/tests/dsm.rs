//! The .spk through a simulated Package Center (`tests/dsm/package_center.py`): install → start → status → stop →
//! upgrade to a newer build → start → uninstall keeping the data → reinstall → uninstall erasing it, with every
//! lifecycle script run as the package user (`photosd`) in a temporary root laid out like DSM 7.
//!
//! As on DSM, the package checks passwords with DSM's own login (`auth.backend = "dsm"`). The DSM here is a
//! photosd started as root with PAM, which answers `SYNO.API.Auth` as DSM does; a user logs in through the
//! package, makes an album and an edit, shares the album (a password link and an invitee) and asks for photos
//! (a photo request), and finds all of it after the upgrade.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use photosd_tests::link_client::{LinkHolder, Naming};
use photosd_tests::{
    build_spk, corpus, error_code, files_under, sample_jpeg, wait_for, wait_for_listening, workspace, Api, Daemon,
    Library,
};

struct Dsm {
    root: tempfile::TempDir,
    /// DSM's login API (`.../webapi/entry.cgi`), which the package's daemon asks to check passwords.
    login_url: String,
    /// Where the package's log stood when the daemon last started: its address is logged after that.
    log_from: std::cell::Cell<usize>,
}

impl Dsm {
    fn var(&self) -> PathBuf {
        self.root.path().join("var/packages/photosd/var")
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let root = self.root.path();
        let out = Command::new(workspace().join("tests/dsm/package_center.py"))
            .arg(root)
            .args(args)
            .env("PHOTOSD_SPACES_PERSONAL_PATTERN", root.join("var/services/homes/*/Photos"))
            .env("PHOTOSD_SPACES_SHARED_ROOT", root.join("var/services/photo"))
            .env("PHOTOSD_SPACES_MIN_UID", "0")
            .env("PHOTOSD_SERVER_LISTEN", "127.0.0.1:0")
            .env("PHOTOSD_AUTH_DSM_URL", &self.login_url)
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), said)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, said) = self.run(args);
        assert_eq!(code, 0, "package_center {args:?}: {said}");
        said
    }

    fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.var().join("data/library.db")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        conn
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap_or(-1)
    }

    fn start(&self) {
        self.log_from.set(std::fs::metadata(self.var().join("photosd.log")).map_or(0, |m| m.len() as usize));
        self.ok(&["start"]);
    }

    /// The package's daemon's address (its port is 0 here: read from what it logged since it last started).
    fn url(&self) -> String {
        wait_for_listening(&self.var().join("photosd.log"), self.log_from.get())
    }

    /// A session with the package's daemon.
    fn api(&self, account: &str, password: &str) -> Api {
        let mut api = Api::new(&self.url());
        let login = api.login(account, password);
        assert_eq!(login["success"], true, "login through DSM: {login}");
        api
    }
}

impl Drop for Dsm {
    /// A test that fails half-way leaves no daemon of the package running (a stopped one answers harmlessly).
    fn drop(&mut self) {
        if self.root.path().join("var/packages/photosd/scripts/start-stop-status").exists() {
            let _ = self.run(&["stop"]);
        }
    }
}

fn item_id(api: &Api, name: &str) -> i64 {
    api.item_id("Foto", name).unwrap_or_else(|| panic!("{name} is listed"))
}

/// Builds the package with this build number, and keeps a copy (the next build replaces dist/).
fn spk(build: &str, into: &Path) -> PathBuf {
    let built = build_spk(Some(build));
    let kept = into.join(built.file_name().unwrap());
    std::fs::copy(&built, &kept).unwrap();
    kept
}

/// (path, inode, mtime) of every thumbnail: the same after an upgrade means none was rendered again.
fn thumbnails(var: &Path) -> Vec<(PathBuf, u64, i64)> {
    let mut all: Vec<_> = files_under(&var.join("data/thumbs"))
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap();
            (p, m.ino(), m.mtime_nsec() + m.mtime() * 1_000_000_000)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn install_upgrade_and_uninstall_through_package_center() {
    let user = photosd_tests::test_user("pdt-alice", "alice-Pa55word", &[]);
    // DSM's login: a photosd as root, checking passwords through PAM.
    let dsm_library = Library::new();
    let dsm_login = Daemon::start(&dsm_library);
    let login_url = format!("{}/webapi/entry.cgi", dsm_login.base_url());
    let dsm = Dsm { root: tempfile::tempdir().unwrap(), login_url, log_from: Default::default() };
    let root = dsm.root.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let photos = root.join("var/services/homes").join(user.name).join("Photos");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::create_dir_all(root.join("var/services/photo")).unwrap();
    let samples = corpus().join("camera_jpeg/exif-samples");
    for name in ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"] {
        std::fs::copy(samples.join(name), photos.join(name)).unwrap();
    }
    std::fs::copy(samples.join("Sony_HDR-HC3.jpg"), root.join("var/services/photo/Sony_HDR-HC3.jpg")).unwrap();
    // The package user reaches the spaces through ACLs, as DSM grants them.
    Command::new("chmod").args(["a+rx"]).arg(root.join("var")).arg(root.join("var/services")).status().unwrap();
    for spec in ["u:photosd:rwX", "d:u:photosd:rwX"] {
        let granted = Command::new("setfacl").args(["-R", "-m", spec]).arg(root.join("var/services")).status().unwrap();
        assert!(granted.success(), "setfacl (tests/setup.sh installs acl)");
    }
    let packages = tempfile::tempdir().unwrap();
    let (v1, v2) = (spk("1", packages.path()), spk("2", packages.path()));

    // Install and start.
    let wizard = ["wizard_enable_shared_space=true", "wizard_enable_people_subjects=false"];
    let said = dsm.ok(&["install", v1.to_str().unwrap(), wizard[0], wizard[1]]);
    assert!(said.contains("photosd is installed"), "{said}");
    let config = std::fs::read_to_string(dsm.var().join("photosd.toml")).unwrap();
    assert!(config.contains(&format!("data_dir = \"{}\"", dsm.var().join("data").display())), "{config}");
    assert!(config.contains("personal_pattern = \"/var/services/homes/*/Photos\""));
    assert!(config.contains("shared_root = \"/var/services/photo\""));
    assert!(config.contains("people_by_default = false"), "the wizard's choice of People: {config}");
    dsm.start();
    assert_eq!(dsm.run(&["status"]).0, 0, "running");
    wait_for("four items with thumbnails", 60, || {
        dsm.count("SELECT count(*) FROM item WHERE thumb_state = 'ready'") == 4
    });
    let daemon_user = std::fs::read_to_string(dsm.var().join("photosd.pid")).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon_user.trim())).unwrap();
    let service = nix::unistd::User::from_name("photosd").unwrap().unwrap().uid.as_raw();
    assert!(
        status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(&service.to_string())),
        "runs as the package user"
    );
    assert!(config.contains("backend = \"dsm\""), "the package asks DSM to check passwords");
    // A user logs in through the package (DSM checks the password), makes an album and an edit.
    let mut stranger = Api::new(&dsm.url());
    assert_eq!(error_code(&stranger.login(user.name, "not-the-password")), 400, "DSM refused it");
    let api = dsm.api(user.name, user.password);
    // People is off in the user's new space, as the wizard said; the package's own models are there to turn it on.
    let people = api.call("SYNO.Foto.Setting.User", "get", 1, &[]);
    assert_eq!(people["data"]["enable_person"], false, "{people}");
    assert_eq!(people["data"]["person_available"], true, "the packaged models are found: {people}");
    let (canon, nikon) = (item_id(&api, "Canon_40D.jpg"), item_id(&api, "Nikon_D70.jpg"));
    let album = api.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "create",
        3,
        &[("name", "\"Kept across upgrades\""), ("item", &format!("[{canon},{nikon}]"))],
    );
    let album_id = album["data"]["album"]["id"].as_i64().unwrap_or_else(|| panic!("{album}"));
    let edit = api.call(
        "SYNO.Foto.Browse.Item",
        "set",
        5,
        &[("id", &format!("[{canon}]")), ("description", "\"kept across upgrades\"")],
    );
    let log = || std::fs::read_to_string(dsm.var().join("photosd.log")).unwrap_or_default();
    assert_eq!(edit["success"], true, "{edit}: {}", log());
    // Shared: a link with a password and an invitee, and a photo request into the library's root.
    let bob = photosd_tests::test_user("pdt-bob", "bob-Pa55word", &[]);
    let link = api.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &album_id.to_string())],
    );
    let passphrase = link["data"]["passphrase"].as_str().unwrap_or_else(|| panic!("{link}")).to_string();
    let invitee = format!(r#"[{{"action":"update","role":"download","member":{{"type":"user","id":{}}}}}]"#, bob.uid);
    let quoted = format!("\"{passphrase}\"");
    let updated = api.call(
        "SYNO.Foto.Sharing.Passphrase",
        "update",
        1,
        &[("passphrase", &quoted), ("password", "\"over the upgrade\""), ("permission", &invitee)],
    );
    assert_eq!(updated["success"], true, "{updated}");
    let root_folder = api.call("SYNO.Foto.Browse.Folder", "get", 2, &[("id", "0")]);
    let request = api.call(
        "SYNO.Foto.PhotoRequest",
        "create",
        1,
        &[("folder_id", &root_folder["data"]["folder"]["id"].to_string()), ("name", "\"Holiday\"")],
    );
    let request =
        request["data"]["photo_request"]["passphrase"].as_str().unwrap_or_else(|| panic!("{request}")).to_string();
    dsm.ok(&["stop"]);
    assert_eq!(dsm.run(&["status"]).0, 3, "stopped");
    let before = thumbnails(&dsm.var());
    assert!(!before.is_empty());

    // Upgrade to a newer build: the database, the edit, the thumbnails and the config stay.
    dsm.ok(&["upgrade", v2.to_str().unwrap()]);
    let info = std::fs::read_to_string(root.join("var/packages/photosd/INFO")).unwrap();
    assert!(info.contains("version=\"0.1.0-0002\""), "{info}");
    assert_eq!(std::fs::read_to_string(dsm.var().join("photosd.toml")).unwrap(), config, "the config is kept");
    dsm.start();
    let log = dsm.var().join("photosd.log");
    wait_for("the upgraded daemon to reconcile", 60, || {
        std::fs::read_to_string(&log).unwrap_or_default().matches("reconciled").count() >= 4
    });
    assert_eq!(dsm.count("SELECT count(*) FROM item"), 4);
    let api = dsm.api(user.name, user.password);
    let albums = api.call("SYNO.Foto.Browse.Album", "list", 4, &[("limit", "100")]);
    assert_eq!(albums["data"]["list"][0]["id"], album_id, "{albums}");
    assert_eq!(albums["data"]["list"][0]["name"], "Kept across upgrades");
    let in_album = api.call("SYNO.Foto.Browse.Item", "count", 5, &[("album_id", &album_id.to_string())]);
    assert_eq!(in_album["data"]["count"], 2, "{in_album}");
    let got = api.call(
        "SYNO.Foto.Browse.Item",
        "get",
        5,
        &[("id", &format!("[{canon}]")), ("additional", "[\"description\"]")],
    );
    assert_eq!(got["data"]["list"][0]["additional"]["description"], "kept across upgrades", "{got}");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(thumbnails(&dsm.var()), before, "no thumbnail was rendered again");
    // The link, its password and its invitee, and the photo request, are all still there.
    let got = api.call("SYNO.Foto.Sharing.Passphrase", "get", 1, &[("passphrase", &quoted)]);
    assert_eq!(got["data"]["permission"][0]["member"]["id"], bob.uid, "{got}");
    let mut visitor = LinkHolder::new(&dsm.url(), &passphrase, Naming::Header);
    assert_eq!(visitor.listed_names(), Err(642), "the password is still asked for");
    assert_eq!(visitor.login("over the upgrade")["success"], true);
    assert_eq!(visitor.listed_names().unwrap(), ["Canon_40D.jpg", "Nikon_D70.jpg"]);
    let guest = LinkHolder::new(&dsm.url(), &request, Naming::Header);
    let jpeg = std::fs::read(sample_jpeg()).unwrap();
    let sent = guest.upload("SYNO.Foto.Upload.PhotoRequestItem", &[], "from-a-guest.jpg", &jpeg);
    assert_eq!(sent["success"], true, "{sent}: {}", std::fs::read_to_string(&log).unwrap_or_default());
    assert!(photos.join("from-a-guest.jpg").is_file());
    dsm.ok(&["stop"]);

    // Uninstall keeping the data, then reinstall: everything is still there.
    let said = dsm.ok(&["uninstall", "wizard_delete_data=false"]);
    assert!(said.contains("were kept"), "{said}");
    assert!(!root.join("var/packages/photosd/target").exists());
    assert!(dsm.var().join("data/library.db").exists());
    // The kept config is one from before DSM checked the passwords (no `backend`): the reinstall sets it.
    let kept = std::fs::read_to_string(dsm.var().join("photosd.toml")).unwrap();
    let old: String = kept.lines().filter(|l| !l.starts_with("backend = ")).map(|l| format!("{l}\n")).collect();
    std::fs::write(dsm.var().join("photosd.toml"), &old).unwrap();
    let said = dsm.ok(&["install", v2.to_str().unwrap()]);
    assert!(said.contains("settings") && said.contains("were kept"), "{said}");
    let now = std::fs::read_to_string(dsm.var().join("photosd.toml")).unwrap();
    assert!(now.contains("[auth]\nbackend = \"dsm\"\n"), "{now}");
    dsm.start();
    assert_eq!(dsm.run(&["status"]).0, 0);
    assert_eq!(dsm.count("SELECT count(*) FROM item"), 5);
    dsm.api(user.name, user.password);
    dsm.ok(&["stop"]);

    // Uninstall erasing the data: nothing of photosd is left in var, and the photos are untouched.
    let said = dsm.ok(&["uninstall", "wizard_delete_data=true"]);
    assert!(said.contains("erased"), "{said}");
    let left: Vec<_> =
        std::fs::read_dir(dsm.var()).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "left in var: {left:?}");
    // The photos are untouched; the edit lives on in an XMP sidecar beside its photo, for any program to read.
    for name in ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"] {
        assert_eq!(std::fs::read(photos.join(name)).unwrap(), std::fs::read(samples.join(name)).unwrap(), "{name}");
    }
    let sidecars: Vec<_> =
        files_under(&photos).into_iter().filter(|p| p.extension().is_some_and(|e| e == "xmp")).collect();
    assert_eq!(sidecars.len(), 1, "{sidecars:?}");
    assert!(std::fs::read_to_string(&sidecars[0]).unwrap().contains("kept across upgrades"));
    // The three photos, the edit's sidecar, and the guest's photo.
    assert_eq!(files_under(&photos).len(), 5);
}

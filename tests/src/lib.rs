//! Shared helpers for photosd's integration tests: where the binary, the workspace and the corpus are, temp
//! libraries (`Library`) and the real daemon on them (`Daemon`), waiting, and the daemon's worker processes.
//! The API client is `api_client`, a library with users and a Shared Space `api_library`, system accounts
//! `users`, Live Photo pairs `live`, a share link's holder `link_client`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod api_client;
pub mod api_library;
pub mod link_client;
pub mod live;
pub mod people;
mod users;
pub use api_client::{error_code, multipart_body, Api};
pub use users::{test_user, TestUser};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The shared real-media corpus, beside the checkout.
pub fn corpus() -> PathBuf {
    let dir = workspace().join("../shared/corpus");
    assert!(dir.join("MANIFEST.tsv").exists(), "the shared corpus is missing at {}", dir.display());
    dir.canonicalize().expect("corpus path")
}

/// The photosd binary under test: $PHOTOSD_BIN, else the release build (the test script builds it first).
pub fn photosd_bin() -> PathBuf {
    let bin = std::env::var_os("PHOTOSD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/release/photosd"));
    assert!(bin.exists(), "{} not built: run `cargo build --release -p photosd` (scripts/test.sh does)", bin.display());
    bin
}

/// Runs photosd with `args`, with a clean environment for its settings.
pub fn photosd(args: &[&str]) -> Output {
    Command::new(photosd_bin())
        .args(args)
        .env_remove("PHOTOSD_CONFIG")
        .env_remove("PHOTOSD_BIN")
        .output()
        .expect("photosd runs")
}

/// Parses JSON lines.
pub fn json_lines(text: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// A library on disk for one test: a temp dir holding the data dir and one Personal Space, owned by the user
/// running the tests (`<tmp>/homes/<user>/Photos`, with `--min-uid 0` so root counts too).
pub struct Library {
    pub dir: tempfile::TempDir,
    pub user: String,
}

impl Library {
    pub fn new() -> Library {
        let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().expect("current user").name;
        Self::for_user(&user)
    }

    /// A library whose Personal Space belongs to `user` (a real account in the passwd database).
    pub fn for_user(user: &str) -> Library {
        let dir = tempfile::tempdir().expect("temp dir");
        // Others may pass (not list), as through /var/lib: photosd's workers run as an account of their own.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o711)).unwrap();
        let lib = Library { dir, user: user.to_string() };
        std::fs::create_dir_all(lib.photos()).unwrap();
        std::fs::create_dir_all(lib.data()).unwrap();
        lib
    }
    pub fn photos(&self) -> PathBuf {
        self.photos_of(&self.user)
    }
    /// Another user's Personal Space in this library (the home is made; `Photos` only if `create`).
    pub fn photos_of(&self, user: &str) -> PathBuf {
        self.dir.path().join("homes").join(user).join("Photos")
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn pattern(&self) -> String {
        format!("{}/homes/*/Photos", self.dir.path().display())
    }
    /// The common flags: this library, no Shared Space.
    pub fn args<'a>(&'a self, command: &'a str, pattern: &'a str, data: &'a str) -> Vec<&'a str> {
        vec![command, "--data", data, "--personal-pattern", pattern, "--shared", "", "--min-uid", "0"]
    }
    /// A read-only look at the library database (the real SQLite file the daemon writes).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_with_flags(
            self.data().join("library.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
        )
        .expect("library.db exists");
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        conn
    }
    /// Items as (relative path, id, state, size); none before the daemon made its database. Any other error
    /// fails the test: an unreadable library is not an empty one.
    pub fn items(&self) -> Vec<(String, i64, String, i64)> {
        let path = self.data().join("library.db");
        if !path.exists() {
            return Vec::new();
        }
        let conn = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let mut stmt = match conn.prepare(
            "SELECT CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END, i.id, i.state, i.size
             FROM item i JOIN folder f ON f.id = i.folder_id ORDER BY 1",
        ) {
            Ok(stmt) => stmt,
            // The daemon has created the file but not yet its tables.
            Err(e) if e.to_string().contains("no such table") => return Vec::new(),
            Err(e) => panic!("cannot read the items of {}: {e}", path.display()),
        };
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
    }
}

impl Default for Library {
    fn default() -> Self {
        Self::new()
    }
}

/// `photosd serve` on a Library, stopped with SIGTERM on drop. Its log goes to `daemon.log` in the temp dir.
pub struct Daemon {
    child: std::process::Child,
    pub log: PathBuf,
    /// Where this daemon's lines start in `log`.
    log_from: usize,
}

impl Daemon {
    pub fn start(lib: &Library) -> Daemon {
        Self::start_with_shared(lib, std::path::Path::new(""))
    }

    /// Starts with extra `PHOTOSD_*` settings.
    pub fn start_with_env(lib: &Library, env: &[(&str, &str)]) -> Daemon {
        Self::launch(lib, Path::new(""), env)
    }

    /// Starts with a Shared Space at `shared` (empty: none).
    pub fn start_with_shared(lib: &Library, shared: &Path) -> Daemon {
        Self::launch(lib, shared, &[])
    }

    /// Starts with a Shared Space at `shared` (empty: none) and extra `PHOTOSD_*` settings.
    pub fn launch(lib: &Library, shared: &Path, env: &[(&str, &str)]) -> Daemon {
        Self::launch_bin(&photosd_bin(), lib, shared, env)
    }

    /// The same with another photosd binary (an installed one).
    pub fn launch_bin(bin: &Path, lib: &Library, shared: &Path, env: &[(&str, &str)]) -> Daemon {
        let log = lib.dir.path().join("daemon.log");
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        // A daemon started again on the same library appends: this one's lines start here.
        let log_from = log_file.metadata().unwrap().len() as usize;
        let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
        let shared = shared.display().to_string();
        let mut args = lib.args("serve", &pattern, &data);
        args[6] = &shared;
        let child = Command::new(bin)
            .args(&args)
            .env_remove("PHOTOSD_CONFIG")
            // The tests' own setting: photosd refuses PHOTOSD_ variables it does not know.
            .env_remove("PHOTOSD_BIN")
            .env("PHOTOSD_WATCH_DEBOUNCE_MS", "400")
            .env("PHOTOSD_WATCH_MOVE_GRACE_MS", "800")
            .env("PHOTOSD_SPACES_DISCOVERY_INTERVAL_SECS", "1")
            // Tests run in parallel, each with its own daemon: every one on a free port (see `base_url`).
            .env("PHOTOSD_SERVER_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "photosd=debug,info")
            .envs(env.iter().copied())
            .stderr(log_file)
            .spawn()
            .expect("photosd serve starts");
        let daemon = Daemon { child, log, log_from };
        // Ready once it has watched and reconciled the space.
        wait_for("the daemon to watch the space", 30, || daemon.log_text().contains("reconciled"));
        daemon
    }

    /// What this daemon has logged (not an earlier one on the same library).
    pub fn log_text(&self) -> String {
        let all = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(all.get(self.log_from..).unwrap_or_default()).into_owned()
    }

    /// `http://127.0.0.1:<port>`, the address the daemon logged when it bound its port.
    pub fn base_url(&self) -> String {
        listening_url(&self.log_text()).expect("the daemon logs its loopback address")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash or the OOM killer would: no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("photosd did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `http://127.0.0.1:<port>` from a daemon's log, once it has logged binding its port.
pub fn listening_url(log: &str) -> Option<String> {
    let after = &log[log.find("listening")?..];
    let at = after.find("127.0.0.1:")? + "127.0.0.1:".len();
    let port: String = after[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    (!port.is_empty()).then(|| format!("http://127.0.0.1:{port}"))
}

/// The address a daemon logged to `log` (a file) after byte `from`, waiting up to 30 s for it.
pub fn wait_for_listening(log: &Path, from: usize) -> String {
    let mut url = None;
    wait_for("the daemon to log its address", 30, || {
        let text = std::fs::read(log).unwrap_or_default();
        url = listening_url(&String::from_utf8_lossy(text.get(from..).unwrap_or_default()));
        url.is_some()
    });
    url.unwrap()
}

/// Builds the DSM package from the release binary already built (`build-spk.sh --no-build`), with build number
/// `build` if given, and returns its path (under dist/, which the next build replaces).
pub fn build_spk(build: Option<&str>) -> PathBuf {
    let mut command = Command::new("./build-spk.sh");
    command.arg("--no-build").current_dir(workspace());
    if let Some(build) = build {
        command.env("PHOTOSD_SPK_BUILD", build);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "build-spk.sh: {}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    println!("{said}");
    workspace().join(said.split_whitespace().nth(1).expect("build-spk.sh names the package"))
}

/// Polls `check` every 100 ms until it holds, or panics after `seconds`.
pub fn wait_for(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out after {seconds} s waiting for {what}");
}

/// Every file under `dir`, recursively (symlinks not followed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A small real JPEG from the corpus, for tests that need many files.
pub fn sample_jpeg() -> PathBuf {
    corpus().join("camera_jpeg/exif-samples/Canon_40D.jpg")
}

/// Copies a folder tree (the corpus into a test library).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The worker processes of `daemon` whose command line contains `needle`.
pub fn workers_of(daemon: u32, needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return vec![] };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let ppid = parent_of(*pid);
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            // Started by the daemon, or by its worker launcher (a child of the daemon's).
            (ppid == Some(daemon) || ppid.and_then(parent_of) == Some(daemon))
                && String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(needle)
        })
        .collect()
}

/// The parent of process `pid`.
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the portal's end-to-end test `script` (in `tests/e2e`, Node's test runner driving Debian's Chromium)
/// against `url`, signed in as `user`, with `env` besides; asserts it passed and left each of `shots` (in
/// `target/e2e-screenshots/`).
pub fn run_e2e(script: &str, url: &str, user: &TestUser, env: &[(&str, &std::ffi::OsStr)], shots: &[&str]) {
    let dir = workspace().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1", script])
        .current_dir(workspace().join("tests/e2e"))
        .env("PHOTOSD_URL", url)
        .env("PHOTOSD_USER", user.name)
        .env("PHOTOSD_PASSWORD", user.password)
        .env("PHOTOSD_SCREENSHOTS", &dir)
        .envs(env.iter().copied())
        .status()
        .expect("node runs (tests/setup.sh installs Node.js, Chromium and playwright-core)");
    assert!(status.success(), "{script} failed (see above; screenshots in {})", dir.display());
    for shot in shots {
        assert!(dir.join(shot).metadata().is_ok_and(|m| m.len() > 1000), "{shot} saved");
    }
}

//! Real system accounts for the API tests, made with `useradd` and given passwords with `chpasswd`, so logins
//! go through PAM exactly as on a NAS. They are made once per machine and reused (the names are photosd's own).

use std::process::Command;
use std::sync::Mutex;

/// Serialises account creation: the tests of one binary run in parallel, and useradd locks /etc/passwd.
static ACCOUNTS: Mutex<()> = Mutex::new(());

pub struct TestUser {
    pub name: &'static str,
    pub password: &'static str,
    pub uid: u32,
}

/// Makes (once) the account `name` with `password`, and adds it to each of `groups` (made if missing).
pub fn test_user(name: &'static str, password: &'static str, groups: &[&str]) -> TestUser {
    let _guard = ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner());
    for group in groups {
        if !Command::new("getent").args(["group", group]).output().unwrap().status.success() {
            run(Command::new("groupadd").arg(group));
        }
    }
    let new = !Command::new("id").arg(name).output().unwrap().status.success();
    if new {
        run(Command::new("useradd").args(["--no-create-home", "--shell", "/usr/sbin/nologin", name]));
    }
    if !groups.is_empty() {
        run(Command::new("usermod").args(["--append", "--groups", &groups.join(","), name]));
    }
    // A test cut short while it had the account locked (the session tests lock one) leaves it locked.
    let locked = || {
        let status = Command::new("passwd").args(["--status", name]).output().unwrap();
        String::from_utf8_lossy(&status.stdout).split_whitespace().nth(1) == Some("L")
    };
    if !new && locked() {
        run(Command::new("usermod").args(["--unlock", name]));
    }
    // Only a new account gets its password: setting it again (even to the same one) ends the account's sessions,
    // and the tests of one binary share their accounts while they run in parallel.
    if new {
        let mut chpasswd = Command::new("chpasswd").stdin(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        chpasswd.stdin.take().unwrap().write_all(format!("{name}:{password}\n").as_bytes()).unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd {name}");
    }
    let uid = nix::unistd::User::from_name(name).unwrap().expect("the account exists").uid.as_raw();
    TestUser { name, password, uid }
}

fn run(command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e} (the API tests must run as root)"));
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
}

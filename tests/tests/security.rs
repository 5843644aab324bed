//! Regression tests for the security audit (issue 13), each named after its finding, against the real daemon with
//! real accounts.

use std::io::{Read, Write};

use photosd_tests::api_library::{logged_in, setup};
use photosd_tests::{error_code, Api};

/// The daemon's resident memory, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB");
    kb.trim().parse::<u64>().unwrap() * 1024
}

/// Finding 1: a multipart text field sent without any session is refused once it passes 64 KiB, so that a 1 GB
/// field leaves the daemon holding at most a few MB more, and answers 114 long before the gigabyte is sent.
#[test]
fn pre_login_memory_exhaustion() {
    let s = setup();
    let pid = s.daemon.pid();
    let address = s.daemon.base_url().trim_start_matches("http://").to_string();
    let before = rss(pid);
    let field: u64 = 1 << 30;
    let head = "--b\r\nContent-Disposition: form-data; name=\"api\"\r\n\r\nSYNO.Foto.Upload.Item\r\n\
                --b\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n";
    let tail = "\r\n--b--\r\n";
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let request = format!(
        "POST /photo/webapi/entry.cgi HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary=b\r\n\
         Content-Length: {}\r\n\r\n{head}",
        head.len() as u64 + field + tail.len() as u64
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let answer = std::thread::spawn(move || {
        let mut received = Vec::new();
        let _ = reader.read_to_end(&mut received);
        received
    });
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 1 << 20];
        let mut sent = 0u64;
        while sent < field && stream.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
        }
        sent
    });
    let mut peak = before;
    while !writer.is_finished() {
        peak = peak.max(rss(pid));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let sent = writer.join().unwrap();
    let received = String::from_utf8_lossy(&answer.join().unwrap()).to_string();
    println!("sent {} MiB of a 1 GiB field; the daemon grew by {} KiB at most", sent >> 20, (peak - before) >> 10);
    assert!(sent < field / 4, "the daemon stopped reading early ({} MiB sent)", sent >> 20);
    assert!(peak - before < 8 << 20, "the daemon held {} KiB more", (peak - before) >> 10);
    assert!(received.contains("\"code\":114"), "answered 114: {received}");

    // A logged-in user's form fields are held to a urlencoded form's 1 MiB too.
    let alice = logged_in(&s, &s.alice);
    let big = "a".repeat(60 * 1024);
    let fields: Vec<(String, String)> = (0..20).map(|i| (format!("note{i}"), big.clone())).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Sent by hand: photosd answers as soon as the limit is passed, before the client has sent it all, and an
    // HTTP client library takes the closed connection for a failure of its own.
    let boundary = "b";
    let body = photosd_tests::multipart_body(
        boundary,
        "SYNO.Foto.Upload.Item",
        "upload",
        alice.sid.as_deref(),
        &fields,
        "x.jpg",
        b"not read",
    );
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /photo/webapi/entry.cgi HTTP/1.1\r\nHost: {address}\r\nX-SYNO-TOKEN: {}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        alice.token.as_deref().unwrap_or(""),
        body.len()
    );
    // Read while writing: the answer comes before the body is all sent, and a reset would discard it unread.
    let mut reader = stream.try_clone().unwrap();
    let answer = std::thread::spawn(move || {
        let mut received = Vec::new();
        let _ = reader.read_to_end(&mut received);
        String::from_utf8_lossy(&received).into_owned()
    });
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
    let answer = answer.join().unwrap();
    assert!(answer.contains("\"code\":114"), "1.2 MB of form fields: {answer}");
}

/// Finding 3: a cookie alone, as any other site's page sends it with a link, does not end the session; `_sid`,
/// or the cookie with the SynoToken, does, and the answer clears the cookie.
#[test]
fn logout_without_syno_token() {
    let s = setup();
    let api = logged_in(&s, &s.alice);
    let sid = api.sid.clone().unwrap();
    let logout = |headers: &[(&str, &str)]| {
        let mut request = ureq::get(&format!("{}/photo/webapi/entry.cgi", s.daemon.base_url()))
            .query("api", "SYNO.API.Auth")
            .query("method", "logout")
            .query("version", "7")
            .set("Cookie", &format!("photosd_id={sid}"));
        for (k, v) in headers {
            request = request.set(k, v);
        }
        let response = request.call().unwrap();
        let cookie = response.header("set-cookie").map(str::to_string);
        (serde_json::from_str::<serde_json::Value>(&response.into_string().unwrap()).unwrap(), cookie)
    };
    let (refused, _) = logout(&[]);
    assert_eq!(error_code(&refused), 119, "a cookie alone does not log out");
    assert_eq!(api.call("SYNO.Foto.UserInfo", "me", 1, &[])["success"], true, "the session lives on");
    let token = api.token.clone().unwrap();
    let (done, cookie) = logout(&[("X-SYNO-TOKEN", &token)]);
    assert_eq!(done["success"], true, "{done}");
    let cookie = cookie.expect("the answer sets the cookie");
    assert!(cookie.starts_with("photosd_id=;") && cookie.contains("Max-Age=0"), "the cookie is cleared: {cookie}");
    assert_eq!(error_code(&api.call("SYNO.Foto.UserInfo", "me", 1, &[])), 119, "the session ended");

    // A client that names its session with _sid logs out as before (synology-api, py-synologydsm-api).
    let mut other = Api::new(&s.daemon.base_url());
    assert_eq!(other.login(s.bob.name, s.bob.password)["success"], true);
    let sid = other.sid.clone().unwrap();
    other.token = None;
    assert_eq!(other.call("SYNO.API.Auth", "logout", 7, &[])["success"], true);
    other.sid = Some(sid);
    assert_eq!(error_code(&other.call("SYNO.Foto.UserInfo", "me", 1, &[])), 119);
}

/// Finding 7: logins sent all at once are counted before their passwords are checked, so 40 wrong passwords in
/// parallel get 5 checks (400), the rest 407 unchecked, where about half of them were checked before.
#[test]
fn the_login_limiter_counts_before_checking() {
    let s = setup();
    let base = s.daemon.base_url();
    let answers: Vec<i64> = (0..40)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || error_code(&Api::new(&base).login("pdt-bob", "guess")))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let checked = answers.iter().filter(|&&c| c == 400).count();
    assert_eq!(checked, 5, "passwords checked: {answers:?}");
    assert!(answers.iter().all(|&c| c == 400 || c == 407), "{answers:?}");
}

/// Finding 7: whether an account may use Photos is decided before its password is looked at, so root (or any
/// account outside the Photos group) answers 402 whatever the password: no oracle for system passwords.
#[test]
fn a_system_account_is_refused_before_its_password_is_checked() {
    let s = setup();
    let mut api = Api::new(&s.daemon.base_url());
    assert_eq!(error_code(&api.login("root", "surely-not-the-password")), 402);
    assert_eq!(error_code(&api.login(s.carol.name, "wrong")), 402, "the same for a wrong password...");
    assert_eq!(error_code(&api.login(s.carol.name, s.carol.password)), 402, "...as for the right one");
}

/// Finding 7: logging in to one's own account takes back only that login's count, never the address's other
/// failures: a guesser with an account of their own cannot reset the limit between guesses.
#[test]
fn logging_in_to_ones_own_account_does_not_clear_the_address() {
    let s = setup();
    let mut api = Api::new(&s.daemon.base_url());
    for n in 1..=4 {
        assert_eq!(error_code(&api.login(&format!("pdt-nobody{n}"), "guess")), 400);
    }
    assert_eq!(api.login(s.alice.name, s.alice.password)["success"], true);
    assert_eq!(error_code(&api.login("pdt-nobody5", "guess")), 400, "the fifth failure is still checked");
    assert_eq!(error_code(&api.login("pdt-nobody6", "guess")), 407, "the address is blocked after five");
}

/// Finding 7: no proxy is trusted unless configured, not even loopback, so a local process that writes
/// `X-Forwarded-For` cannot pass for five other addresses: its sixth wrong login is blocked like anyone's.
#[test]
fn a_local_process_is_not_a_trusted_proxy() {
    let s = setup();
    let login = |n: u32| {
        let answer = ureq::post(&format!("{}/photo/webapi/auth.cgi", s.daemon.base_url()))
            .set("X-Forwarded-For", &format!("198.51.100.{n}"))
            .send_form(&[
                ("api", "SYNO.API.Auth"),
                ("version", "7"),
                ("method", "login"),
                ("account", &format!("pdt-nobody{n}")),
                ("passwd", "guess"),
            ])
            .unwrap();
        error_code(&serde_json::from_str::<serde_json::Value>(&answer.into_string().unwrap()).unwrap())
    };
    for n in 1..=5 {
        assert_eq!(login(n), 400);
    }
    assert_eq!(login(6), 407, "the address it connects from is blocked after five, whatever it claims");
}

fn index(lib: &photosd_tests::Library, extra: &[&str]) -> String {
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let mut args = lib.args("index", &pattern, &data);
    args.extend_from_slice(extra);
    let out = photosd_tests::photosd(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn items_ok(lib: &photosd_tests::Library) -> usize {
    lib.items().iter().filter(|(_, _, state, _)| state == "ok").count()
}

/// Finding 9: a share that is not mounted (here a tmpfs unmounted while photosd was down) leaves an empty folder
/// on another file system; the library keeps every item instead of purging them with their albums and tags.
#[test]
fn an_unmounted_share_deletes_the_librarys_knowledge_of_it() {
    let lib = photosd_tests::Library::new();
    let photos = lib.photos();
    let mounted = std::process::Command::new("mount").args(["-t", "tmpfs", "tmpfs"]).arg(&photos).status().unwrap();
    assert!(mounted.success(), "mount a tmpfs (the tests run as root)");
    /// Unmounts the tmpfs however the test ends, so that the temp dir can go.
    struct Mounted(std::path::PathBuf);
    impl Drop for Mounted {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).stderr(std::process::Stdio::null()).status();
        }
    }
    let guard = Mounted(photos.clone());
    let unmount = || std::process::Command::new("umount").arg(&guard.0).status();
    for n in 0..25 {
        std::fs::copy(photosd_tests::sample_jpeg(), photos.join(format!("photo{n}.jpg"))).unwrap();
    }
    index(&lib, &[]);
    assert_eq!(items_ok(&lib), 25);
    assert!(unmount().unwrap().success());
    let said = index(&lib, &[]);
    assert_eq!(items_ok(&lib), 25, "every item kept: {said}");
    assert!(said.contains("25 gone but kept"), "{said}");
}

/// Finding 9: most of a space vanishing at once is not believed either; `photosd index --accept-missing` confirms
/// it, and only then are the items purged.
#[test]
fn most_of_a_space_vanishing_at_once_is_not_believed() {
    let lib = photosd_tests::Library::new();
    for n in 0..25 {
        std::fs::copy(photosd_tests::sample_jpeg(), lib.photos().join(format!("photo{n}.jpg"))).unwrap();
    }
    index(&lib, &[]);
    for n in 0..20 {
        std::fs::remove_file(lib.photos().join(format!("photo{n}.jpg"))).unwrap();
    }
    let said = index(&lib, &[]);
    assert_eq!(items_ok(&lib), 25, "nothing marked missing: {said}");
    assert!(said.contains("20 gone but kept"), "{said}");
    index(&lib, &["--accept-missing"]);
    assert_eq!(lib.items().len(), 5, "confirmed: the 20 are gone from the library");
    // A few files gone from a large space are just gone, as before.
    std::fs::remove_file(lib.photos().join("photo20.jpg")).unwrap();
    index(&lib, &[]);
    assert_eq!(lib.items().len(), 4);
}

/// Finding 9: what the scan did not believe is said in the API too. Alice's 25 photos were indexed, 20 vanished
/// while photosd was down; the daemon keeps them, and `Index get` tells her how many and why, until the space is
/// whole again.
#[test]
fn the_api_says_what_was_held_back() {
    let alice = photosd_tests::test_user("pdt-alice", "alice-Pa55word", &[photosd_tests::api_library::GROUP]);
    let lib = photosd_tests::Library::for_user(alice.name);
    for n in 0..25 {
        std::fs::copy(photosd_tests::sample_jpeg(), lib.photos().join(format!("photo{n}.jpg"))).unwrap();
    }
    index(&lib, &[]);
    let away = lib.dir.path().join("away");
    std::fs::create_dir(&away).unwrap();
    for n in 0..20 {
        std::fs::rename(lib.photos().join(format!("photo{n}.jpg")), away.join(format!("photo{n}.jpg"))).unwrap();
    }
    let group = [("PHOTOSD_SPACES_ALLOWED_GROUP", photosd_tests::api_library::GROUP)];
    let daemon = photosd_tests::Daemon::launch(&lib, std::path::Path::new(""), &group);
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(alice.name, alice.password)["success"], true);
    let held = api.call("SYNO.Foto.Index", "get", 1, &[]);
    assert_eq!(held["data"]["held_back"]["files"], 20, "{held}");
    assert!(held["data"]["held_back"]["reason"].as_str().is_some_and(|r| r.contains("vanished at once")), "{held}");
    assert_eq!(items_ok(&lib), 25, "nothing marked missing");
    // Back in place: the next scan (at the next start) finds the space whole, and says so.
    daemon.stop();
    for n in 0..20 {
        std::fs::rename(away.join(format!("photo{n}.jpg")), lib.photos().join(format!("photo{n}.jpg"))).unwrap();
    }
    let daemon = photosd_tests::Daemon::launch(&lib, std::path::Path::new(""), &group);
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(alice.name, alice.password)["success"], true);
    assert_eq!(api.call("SYNO.Foto.Index", "get", 1, &[])["data"]["held_back"]["files"], 0);
}

/// Finding 2: tags belong to a space. Bob cannot put alice's tag on his photo (642, as for a tag that does not
/// exist) nor read its name through his photo; creating a tag of the same name gives him his own, not an oracle of
/// hers; and his tag list never holds hers.
#[test]
fn tag_names_leak_between_users() {
    let s = setup();
    let (alice, bob) = (logged_in(&s, &s.alice), logged_in(&s, &s.bob));
    let created = alice.call("SYNO.Foto.Browse.GeneralTag", "create", 1, &[("name", "\"alice-secret\"")]);
    let hers = created["data"]["tag"]["id"].as_i64().expect("a tag id");
    let her_photo = alice.item_id("Foto", "Sony_HDR-HC3.jpg").unwrap().to_string();
    let tagged = alice.call(
        "SYNO.Foto.Browse.Item",
        "add_tag",
        5,
        &[("id", &format!("[{her_photo}]")), ("tag", &format!("[{hers}]"))],
    );
    assert_eq!(tagged["success"], true, "{tagged}");

    let his_photo = bob.item_id("Foto", "Pentax_K10D.jpg").unwrap().to_string();
    let borrowed = bob.call(
        "SYNO.Foto.Browse.Item",
        "add_tag",
        5,
        &[("id", &format!("[{his_photo}]")), ("tag", &format!("[{hers}]"))],
    );
    assert_eq!(error_code(&borrowed), 642, "another user's tag is unknown");
    assert_eq!(
        error_code(&bob.call(
            "SYNO.Foto.Browse.Item",
            "remove_tag",
            5,
            &[("id", &format!("[{his_photo}]")), ("tag", &format!("[{hers}]"))]
        )),
        642
    );
    let his =
        bob.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{his_photo}]")), ("additional", "[\"tag\"]")]);
    assert!(!his.to_string().contains("alice-secret"), "{his}");
    let same_name = bob.call("SYNO.Foto.Browse.GeneralTag", "create", 1, &[("name", "\"alice-secret\"")]);
    assert_ne!(same_name["data"]["tag"]["id"].as_i64(), Some(hers), "bob's tag of that name is his own");
    let listed = bob.call("SYNO.Foto.Browse.GeneralTag", "list", 1, &[("offset", "0"), ("limit", "100")]);
    assert!(listed["data"]["list"].as_array().unwrap().iter().all(|t| t["id"].as_i64() != Some(hers)), "{listed}");
    let got = bob.call("SYNO.Foto.Browse.GeneralTag", "get", 1, &[("id", &format!("[{hers}]"))]);
    assert!(got["data"]["list"].as_array().is_none_or(|l| l.is_empty()), "{got}");
}

/// Finding 8 (in part): one call's work is bounded. `Browse.Item get` (and every call taking ids) takes at most
/// 5,000 ids, and a search at most 16 words (4 scans each), answering 114 beyond, where 32,000 ids (an
/// O(n² log n) sort) or 128 words held the database for everyone.
#[test]
fn one_user_can_freeze_everyone() {
    let s = setup();
    let alice = logged_in(&s, &s.alice);
    let many: Vec<String> = (1..=5001).map(|n| n.to_string()).collect();
    let ids = format!("[{}]", many.join(","));
    let answer = alice.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &ids)]);
    assert_eq!(error_code(&answer), 114, "5,001 ids");
    let ids = format!("[{}]", many[..5000].join(","));
    assert_eq!(alice.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &ids)])["success"], true, "5,000 are fine");
    let words = vec!["a"; 128].join(" ");
    let keyword = serde_json::to_string(&words).unwrap();
    let search = [("keyword", keyword.as_str()), ("offset", "0"), ("limit", "10")];
    assert_eq!(error_code(&alice.call("SYNO.Foto.Search.Search", "list_item", 6, &search)), 114, "128 words");
    let keyword = serde_json::to_string("canon eos").unwrap();
    let search = [("keyword", keyword.as_str()), ("offset", "0"), ("limit", "10")];
    assert_eq!(alice.call("SYNO.Foto.Search.Search", "list_item", 6, &search)["success"], true);
    // 5,000 photos by 11 tags is past the 50,000 taggings one call may make.
    let tags: Vec<String> = (1..=11).map(|n| n.to_string()).collect();
    let ids = format!("[{}]", many[..5000].join(","));
    let tagging = [("id", ids.as_str()), ("tag", &format!("[{}]", tags.join(",")))];
    assert_eq!(error_code(&alice.call("SYNO.Foto.Browse.Item", "add_tag", 5, &tagging)), 114);
}

/// Finding 10 (in part): the session cookie photosd sets is its own, not DSM's `id`: on a NAS both share the host,
/// and cookies are per host, so signing in to one would sign the other out. DSM's `id` in the same browser does
/// not shadow it; `id` alone is still read, as clients written for Synology Photos send it by hand.
#[test]
fn the_session_cookie_is_not_dsms() {
    let s = setup();
    let login = ureq::post(&format!("{}/photo/webapi/auth.cgi", s.daemon.base_url()))
        .send_form(&[
            ("api", "SYNO.API.Auth"),
            ("version", "7"),
            ("method", "login"),
            ("account", s.alice.name),
            ("passwd", s.alice.password),
            ("format", "cookie"),
        ])
        .unwrap();
    let set: Vec<String> = login.all("set-cookie").iter().map(|c| c.to_string()).collect();
    assert!(!set.iter().any(|c| c.starts_with("id=")), "DSM's cookie is left alone: {set:?}");
    let ours = set.iter().find_map(|c| c.strip_prefix("photosd_id=")).expect("photosd's own cookie");
    let sid = ours.split(';').next().unwrap().to_string();
    let me = |cookie: &str| {
        let response = ureq::get(&format!("{}/photo/webapi/entry.cgi", s.daemon.base_url()))
            .query("api", "SYNO.Foto.UserInfo")
            .query("method", "me")
            .query("version", "1")
            .set("Cookie", cookie)
            .call()
            .unwrap();
        serde_json::from_str::<serde_json::Value>(&response.into_string().unwrap()).unwrap()
    };
    assert_eq!(me(&format!("photosd_id={sid}"))["data"]["name"], s.alice.name);
    let dsm_session = "id=DSMs-own-session-id-in-the-same-browser";
    assert_eq!(me(&format!("{dsm_session}; photosd_id={sid}"))["data"]["name"], s.alice.name, "DSM's does not shadow");
    assert_eq!(me(&format!("id={sid}"))["data"]["name"], s.alice.name, "as synology-api sends it");
}

/// Runs `script` with `sh` as `user`, as that user would in a shell of their own (over SSH, say).
fn as_user(user: &photosd_tests::TestUser, script: &str) {
    let out = std::process::Command::new("setpriv")
        .args([&format!("--reuid={}", user.uid), &format!("--regid={}", user.uid), "--clear-groups", "--"])
        .args(["sh", "-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Gives each user their own home, as on a real system: alice's home and Photos are hers, bob's closed to others.
fn homes_of_their_own(s: &photosd_tests::api_library::Setup) {
    use std::os::unix::fs::PermissionsExt;
    let top = s.lib.dir.path();
    for dir in [top.to_path_buf(), top.join("homes")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (user, mode) in [(&s.alice, 0o755), (&s.bob, 0o700)] {
        let home = s.lib.photos_of(user.name).parent().unwrap().to_path_buf();
        let chown = std::process::Command::new("chown").arg("-R").arg(format!("{}:", user.name)).arg(&home).status();
        assert!(chown.unwrap().success());
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Waits until the daemon has nothing left to do: no job queued or running.
fn settled(lib: &photosd_tests::Library) {
    photosd_tests::wait_for("the job queue to empty", 60, || {
        lib.db().query_row("SELECT count(*) FROM job", [], |r| r.get::<_, i64>(0)).unwrap_or(1) == 0
    });
}

/// Finding 4: a symlink in a Personal Space leads nowhere. Alice, in a shell of her own, makes a folder, moves it
/// out of her Photos and puts a link to bob's Photos in its place before photosd has settled the move; and links
/// photosd's data dir and bob's photo beside it. None of bob's photos (nor any thumbnail) enters her library,
/// and photosd never reads them for her. Before the fix, the watcher took the link for the folder come back and
/// walked it: bob's photo was indexed into alice's space, with its thumbnails.
#[test]
fn symlink_escape_in_the_indexer() {
    let s = setup();
    homes_of_their_own(&s);
    let (photos, bobs) = (s.lib.photos(), s.lib.photos_of(s.bob.name));
    let home = photos.parent().unwrap();
    as_user(
        &s.alice,
        &format!(
            "cd '{p}' && mkdir d && mv d '{h}/away' && ln -s '{b}' d && ln -s '{data}' data && ln -s '{b}/Pentax_K10D.jpg' x.jpg \
             && mkdir e && ln -s '{b}' e/inner",
            p = photos.display(),
            h = home.display(),
            b = bobs.display(),
            data = s.lib.data().display()
        ),
    );
    // The move's other half is awaited for 2 s (watch.move_grace_ms); then a photo of alice's own, which comes
    // after everything above through the same watcher.
    std::thread::sleep(std::time::Duration::from_secs(3));
    as_user(&s.alice, &format!("cp '{}' '{}/after.jpg'", photosd_tests::sample_jpeg().display(), photos.display()));
    let alice = logged_in(&s, &s.alice);
    photosd_tests::wait_for("alice's new photo", 30, || alice.item_id("Foto", "after.jpg").is_some());
    settled(&s.lib);
    let alices: Vec<String> = s
        .lib
        .db()
        .prepare("SELECT i.filename FROM item i JOIN space s ON s.id = i.space_id WHERE s.owner_name = ?1")
        .unwrap()
        .query_map([s.alice.name], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !alices.iter().any(|name| name == "Pentax_K10D.jpg" || name == "x.jpg"),
        "bob's photo in alice's space: {alices:?}"
    );
    assert!(!alices.iter().any(|name| name.ends_with("_sm.jpg") || name == "library.db"), "{alices:?}");
    let listed: Vec<String> =
        alice.items("Foto").iter().filter_map(|i| i["filename"].as_str().map(String::from)).collect();
    assert!(!listed.iter().any(|n| n == "Pentax_K10D.jpg"), "{listed:?}");
    // Bob's photo is still his.
    let bob = logged_in(&s, &s.bob);
    assert!(bob.item_id("Foto", "Pentax_K10D.jpg").is_some());
}

/// Finding 10 (in part): `Index get` and `BackgroundTask.Info` speak of the caller's own library. Work waiting in
/// bob's space (an import held back, a video of his being transcoded) is counted for bob, and alice sees neither
/// the count nor his video's id; before the fix both were the whole daemon's.
#[test]
fn index_and_background_tasks_show_only_the_callers_work() {
    let s = setup();
    let (alice, bob) = (logged_in(&s, &s.alice), logged_in(&s, &s.bob));
    let bobs_photo = bob.item_id("Foto", "Pentax_K10D.jpg").unwrap();
    settled(&s.lib);
    let db = s.lib.db();
    let bobs_space: i64 =
        db.query_row("SELECT id FROM space WHERE owner_name = ?1", [s.bob.name], |r| r.get(0)).unwrap();
    // An import that waits (as after a storage failure), and his photo's row made a running transcode.
    db.execute(
        "INSERT INTO job (kind, key, payload, state, created_at, updated_at, not_before)
         VALUES ('import', 'held', json_object('space', ?1, 'root', '/nowhere', 'path', 'held.jpg'), 'queued', 0, 0, 4000000000)",
        [bobs_space],
    )
    .unwrap();
    db.execute(
        "UPDATE item SET type = 'video', video_state = 'running', video_progress = 0.5 WHERE id = ?1",
        [bobs_photo],
    )
    .unwrap();
    assert_eq!(bob.call("SYNO.Foto.Index", "get", 1, &[])["data"]["basic"], 1, "bob's own work is counted");
    assert_eq!(alice.call("SYNO.Foto.Index", "get", 1, &[])["data"]["basic"], 0, "not alice's");
    let tasks = |api: &Api| api.call("SYNO.Foto.BackgroundTask.Info", "list_user_task", 1, &[]).to_string();
    assert!(tasks(&bob).contains(&format!("\"item_id\":{bobs_photo}")), "{}", tasks(&bob));
    assert!(!tasks(&alice).contains(&bobs_photo.to_string()), "{}", tasks(&alice));
    assert!(!tasks(&alice).contains("\"index\""), "{}", tasks(&alice));
}

/// Finding 10 (in part): a session ends when its account's password is changed, or the account is locked, as
/// DSM ends them; before the fix a stolen session outlived both. (grace is this test's alone: her password
/// changes, and she is locked a while.)
#[test]
fn a_changed_password_or_a_locked_account_ends_its_sessions() {
    let s = setup();
    let grace = photosd_tests::test_user("pdt-grace", "grace-Pa55word", &[photosd_tests::api_library::GROUP]);
    let me = |api: &Api| api.call("SYNO.Foto.UserInfo", "me", 1, &[]);
    let mut api = Api::new(&s.daemon.base_url());
    assert_eq!(api.login(grace.name, grace.password)["success"], true);
    assert_eq!(me(&api)["data"]["name"], grace.name);
    let run = |command: &str, args: &[&str], input: Option<&str>| {
        let mut child =
            std::process::Command::new(command).args(args).stdin(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.unwrap_or("").as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "{command} {args:?}");
    };
    run("usermod", &["--lock", grace.name], None);
    assert_eq!(error_code(&me(&api)), 119, "a locked account's session is over");
    run("usermod", &["--unlock", grace.name], None);
    assert_eq!(error_code(&me(&api)), 119, "and stays over once unlocked");
    assert_eq!(api.login(grace.name, grace.password)["success"], true);
    let mut other = Api::new(&s.daemon.base_url());
    assert_eq!(other.login(grace.name, grace.password)["success"], true);
    run("chpasswd", &[], Some(&format!("{}:{}\n", grace.name, grace.password)));
    assert_eq!(error_code(&me(&api)), 119, "a new password (even the same one) ends every session");
    assert_eq!(error_code(&me(&other)), 119);
    assert_eq!(api.login(grace.name, grace.password)["success"], true, "a new login works");
    assert_eq!(me(&api)["data"]["name"], grace.name);
}

/// Finding 10 (in part): the recycle bin photosd makes in a home is the home's user's, with the home's mode, so
/// that she can open it and restore what she deleted; before the fix it was photosd's (0750 under systemd's umask).
#[test]
fn the_recycle_bin_belongs_to_the_user() {
    use std::os::unix::fs::MetadataExt;
    let s = setup();
    homes_of_their_own(&s);
    let alice = logged_in(&s, &s.alice);
    let id = alice.item_id("Foto", "Sony_HDR-HC3.jpg").unwrap();
    let deleted = alice.call("SYNO.Foto.Browse.Item", "delete", 5, &[("id", &format!("[{id}]"))]);
    assert_eq!(deleted["success"], true, "{deleted}");
    let home = s.lib.photos().parent().unwrap().to_path_buf();
    let bin = std::fs::metadata(home.join("#recycle")).unwrap();
    assert_eq!((bin.uid(), bin.mode() & 0o7777), (s.alice.uid, 0o755), "the bin is alice's, as her home is");
    as_user(&s.alice, &format!("cd '{}' && mv '#recycle/Photos/Sony_HDR-HC3.jpg' Photos/", home.display()));
    photosd_tests::wait_for("the restored photo", 30, || alice.item_id("Foto", "Sony_HDR-HC3.jpg").is_some());
}

/// Finding 6: the Personal Space folder photosd makes for a user without one is given to her through the home's
/// open descriptor, never by path. The race is won every time: strace, attached to the daemon, holds each of its
/// chown calls for 300 ms, and erin (this test's alone), in a shell of her own, swaps the new `~/Photos` for a link
/// to a folder of root's as soon as it appears. That folder never becomes hers. Before the fix, the chown by path
/// followed her link and gave her root's folder.
#[test]
fn chown_after_create_dir_follows_a_swapped_in_symlink() {
    use std::os::unix::fs::MetadataExt;
    let s = setup();
    let erin = photosd_tests::test_user("pdt-erin", "erin-Pa55word", &[photosd_tests::api_library::GROUP]);
    homes_of_their_own(&s);
    let home = s.lib.photos_of(erin.name).parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&home).unwrap();
    assert!(std::process::Command::new("chown").arg(format!("{}:", erin.name)).arg(&home).status().unwrap().success());
    let victim = s.lib.dir.path().join("roots-own");
    std::fs::create_dir(&victim).unwrap();
    let pid = s.daemon.pid().to_string();
    let mut tracer = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=chown,lchown,fchown,fchownat"])
        .args(["-e", "inject=chown,lchown,fchown,fchownat:delay_enter=300000", "-p", &pid])
        .spawn()
        .expect("strace (tests/setup.sh installs it)");
    photosd_tests::wait_for("strace to attach", 10, || status_field(s.daemon.pid(), "TracerPid") != "0");
    let racer = std::process::Command::new("setpriv")
        .args([&format!("--reuid={}", erin.uid), &format!("--regid={}", erin.uid), "--clear-groups", "--"])
        .args(["/usr/bin/python3", "-c"])
        .arg(format!(
            "import os, time\np, v = '{}', '{}'\nend = time.time() + 15\n\
             while time.time() < end:\n    \
             if os.path.isdir(p) and not os.path.islink(p):\n        \
             os.rmdir(p); os.symlink(v, p); print('swapped', flush=True); break\n    \
             time.sleep(0.0005)\n",
            home.join("Photos").display(),
            victim.display()
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut api = Api::new(&s.daemon.base_url());
    assert_eq!(api.login(erin.name, erin.password)["success"], true);
    // Her first look at her Personal Space makes it.
    api.call("SYNO.Foto.Browse.Item", "count", 5, &[]);
    let swapped = racer.wait_with_output().unwrap();
    let _ = tracer.kill();
    let _ = tracer.wait();
    let said = String::from_utf8_lossy(&swapped.stdout);
    assert_eq!(
        said.trim(),
        "swapped",
        "erin swapped the folder for her link: {}",
        String::from_utf8_lossy(&swapped.stderr)
    );
    assert_eq!(std::fs::metadata(&victim).unwrap().uid(), 0, "root's folder was given to erin");
}

/// One field of /proc/<pid>/status.
fn status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).unwrap_or_default().trim().to_string()
}

/// Finding 5: a worker runs as an account of its own (photosd-worker, made by tests/setup.sh; started by the
/// launcher photosd forks before it drops root), with no capability at all and no way to gain one, under a
/// seccomp filter, in a user and network namespace of its own, and may open no file but in the data dir's
/// thumbnail and transcode folders: not the database, not /etc/passwd. Before the fix it ran as photosd with
/// CAP_DAC_READ_SEARCH, with no filter, on the host's network, and could open anything photosd could.
#[test]
fn the_worker_is_barely_sandboxed() {
    let s = setup();
    let account = nix::unistd::User::from_name("photosd-worker").unwrap().expect("tests/setup.sh makes photosd-worker");
    let (uid, gid) = (account.uid.as_raw(), account.gid.as_raw());
    let daemon = s.daemon.pid();
    let workers = photosd_tests::workers_of(daemon, "worker");
    assert!(!workers.is_empty(), "the daemon keeps its workers after thumbnailing");
    let namespace = |pid: u32, kind: &str| std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).unwrap();
    for pid in workers {
        assert_eq!(status_field(pid, "Uid"), format!("{uid}\t{uid}\t{uid}\t{uid}"), "worker {pid}");
        assert_eq!(status_field(pid, "Gid"), format!("{gid}\t{gid}\t{gid}\t{gid}"));
        assert_eq!(status_field(pid, "Groups"), gid.to_string(), "none of photosd's groups (shadow)");
        for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            assert_eq!(status_field(pid, caps), "0000000000000000", "{caps} of worker {pid}");
        }
        assert_eq!(status_field(pid, "NoNewPrivs"), "1");
        assert_eq!(status_field(pid, "Seccomp"), "2", "a seccomp filter");
        assert_ne!(namespace(pid, "net"), namespace(daemon, "net"), "a network namespace of its own");
        assert_ne!(namespace(pid, "user"), namespace(daemon, "user"), "a user namespace of its own");
    }
    // The same sandbox, entered by `photosd worker --sandbox-check` as the workers' account with the daemon's
    // writable folders, tries what a decoder exploit would.
    let data = s.lib.data();
    let (thumbs, db) = (data.join("thumbs"), data.join("library.db"));
    let probe = thumbs.join("probe");
    std::fs::write(&probe, b"").unwrap();
    assert!(std::process::Command::new("chown").arg("photosd-worker:").arg(&probe).status().unwrap().success());
    let out = std::process::Command::new("setpriv")
        .args([&format!("--reuid={uid}"), &format!("--regid={gid}"), "--clear-groups", "--"])
        .arg(photosd_tests::photosd_bin())
        .args(["worker", "--writable"])
        .arg(&thumbs)
        .arg("--sandbox-check")
        .args([db.as_path(), std::path::Path::new("/etc/passwd"), probe.as_path()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["missing"], serde_json::json!([]), "{report}");
    let probe = probe.display().to_string();
    assert_eq!(report["read"], serde_json::json!([probe]), "only its own folder: {report}");
    assert_eq!(report["write"], serde_json::json!([probe]), "{report}");
    assert_eq!((report["socket"].as_bool(), report["process"].as_bool()), (Some(false), Some(false)), "{report}");
}

/// Finding 8 (in part): a call past its time limit (here 1 s) stops its query, so one user's slow search does not
/// hold the library's one database connection from everyone else. Alice searches 300,000 photos with 16 words, of
/// which the first 15 are in every photo's folder name and the last in none, so that every row is checked 64
/// times and none is found: seconds of work. Bob's next call is answered at once; before the fix he waited until
/// her query ended.
#[test]
fn a_timed_out_call_stops_its_query() {
    let s = setup();
    let photosd_tests::api_library::Setup { lib, daemon, alice, bob, .. } = s;
    daemon.stop();
    let daemon = photosd_tests::Daemon::launch(
        &lib,
        std::path::Path::new(""),
        &[
            ("PHOTOSD_SPACES_ALLOWED_GROUP", photosd_tests::api_library::GROUP),
            ("PHOTOSD_SERVER_REQUEST_TIMEOUT_SECS", "1"),
        ],
    );
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
        "mike", "november", "oscar",
    ];
    std::fs::create_dir(lib.photos().join(words.join(" "))).unwrap();
    photosd_tests::wait_for("the new folder", 30, || {
        lib.db()
            .query_row("SELECT count(*) FROM folder WHERE name = ?1", [words.join(" ")], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
            == 1
    });
    settled(&lib);
    lib.db()
        .execute(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000)
             INSERT INTO item (space_id, folder_id, filename, size, mtime_ns, type, taken_ts, added_at, indexed_at)
             SELECT f.space_id, f.id, 'x' || n.x || '.jpg', 1, 0, 'photo', n.x, 0, 0 FROM n, folder f WHERE f.name = ?1",
            [words.join(" ")],
        )
        .unwrap();
    let mut keyword: Vec<&str> = words.to_vec();
    keyword.push("zulu");
    let keyword = serde_json::to_string(&keyword.join(" ")).unwrap();
    let bob_name = bob.name;
    let (alice, bob) = {
        let mut a = Api::new(&daemon.base_url());
        assert_eq!(a.login(alice.name, alice.password)["success"], true);
        let mut b = Api::new(&daemon.base_url());
        assert_eq!(b.login(bob.name, bob.password)["success"], true);
        (a, b)
    };
    let search = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let answer = alice.call(
            "SYNO.Foto.Search.Search",
            "list_item",
            6,
            &[("keyword", &keyword), ("offset", "0"), ("limit", "10")],
        );
        (answer, started.elapsed())
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let started = std::time::Instant::now();
    assert_eq!(bob.call("SYNO.Foto.UserInfo", "me", 1, &[])["data"]["name"], bob_name);
    let waited = started.elapsed();
    let (answer, searched) = search.join().unwrap();
    println!("alice's search answered in {searched:?} ({answer}); bob waited {waited:?}");
    assert_eq!(answer["success"], false, "the search ran past its limit: {answer}");
    assert!(waited < std::time::Duration::from_secs(2), "bob waited {waited:?} for alice's abandoned query");
}

/// Finding 10 (in part): deleting a Live Photo takes its video to the bin only if the caller may manage the
/// video too. Alice manages the Shared Space folder "Mine" and may only view "Theirs"; the video of her Live
/// Photo was moved into "Theirs" on disk (it stays the photo's). Deleting the photo bins the photo and leaves
/// the video; before the fix it binned the video too.
#[test]
fn a_live_photos_video_is_deleted_only_with_the_right_to() {
    let shared = tempfile::tempdir().unwrap();
    for folder in ["Mine", "Theirs"] {
        std::fs::create_dir_all(shared.path().join(folder)).unwrap();
    }
    photosd_tests::live::write_live_pair(
        &shared.path().join("Mine"),
        "IMG_0001",
        photosd_tests::live::ID,
        photosd_tests::live::ID,
    );
    let admins = "photosd-test-admins";
    let s = photosd_tests::api_library::setup_with_shared(Some((shared.path(), admins)));
    let frank = photosd_tests::test_user("pdt-frank", "frank-Pa55word", &[photosd_tests::api_library::GROUP, admins]);
    let (alice, admin) = (logged_in(&s, &s.alice), logged_in(&s, &frank));
    let root = admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let folder_id = |name: &str| {
        photosd_tests::api_library::list(&root).iter().find(|f| f["name"] == name).unwrap()["id"].to_string()
    };
    let role = |role: &str| {
        format!(
            r#"[{{"role":"none","member":{{"type":"everyone"}}}},{{"role":"{role}","action":"update","member":{{"type":"user","id":{}}}}}]"#,
            s.alice.uid
        )
    };
    for (folder, alices) in [("/Mine", "manage"), ("/Theirs", "view")] {
        let set = admin.call(
            "SYNO.FotoTeam.Sharing.FolderPermission",
            "update",
            1,
            &[("id", &folder_id(folder)), ("permission", &role(alices))],
        );
        assert_eq!(set["success"], true, "{set}");
    }
    std::fs::rename(shared.path().join("Mine/IMG_0001.MOV"), shared.path().join("Theirs/IMG_0001.MOV")).unwrap();
    photosd_tests::wait_for("the video's move", 30, || {
        s.lib
            .db()
            .query_row(
                "SELECT f.name FROM item i JOIN folder f ON f.id = i.folder_id WHERE i.filename = 'IMG_0001.MOV'",
                [],
                |r| r.get::<_, String>(0),
            )
            .is_ok_and(|folder| folder == "Theirs")
    });
    let photo = s
        .lib
        .db()
        .query_row("SELECT id FROM item WHERE filename = 'IMG_0001.JPG'", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let deleted = alice.call("SYNO.FotoTeam.Browse.Item", "delete", 5, &[("id", &format!("[{photo}]"))]);
    assert_eq!(deleted["success"], true, "{deleted}");
    assert!(!shared.path().join("Mine/IMG_0001.JPG").exists(), "her photo is in the bin");
    assert!(shared.path().join("Theirs/IMG_0001.MOV").exists(), "the video she may not manage stays: {deleted}");
}

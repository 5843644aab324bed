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
    let answer = alice.upload("upload", &fields, "x.jpg", b"not read");
    assert_eq!(error_code(&answer), 114, "1.2 MB of form fields: {answer}");
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
    let tagged = alice.call("SYNO.Foto.Browse.Item", "add_tag", 5, &[("id", &format!("[{her_photo}]")), ("tag", &format!("[{hers}]"))]);
    assert_eq!(tagged["success"], true, "{tagged}");

    let his_photo = bob.item_id("Foto", "Pentax_K10D.jpg").unwrap().to_string();
    let borrowed = bob.call("SYNO.Foto.Browse.Item", "add_tag", 5, &[("id", &format!("[{his_photo}]")), ("tag", &format!("[{hers}]"))]);
    assert_eq!(error_code(&borrowed), 642, "another user's tag is unknown");
    assert_eq!(error_code(&bob.call("SYNO.Foto.Browse.Item", "remove_tag", 5, &[("id", &format!("[{his_photo}]")), ("tag", &format!("[{hers}]"))])), 642);
    let his = bob.call("SYNO.Foto.Browse.Item", "get", 5, &[("id", &format!("[{his_photo}]")), ("additional", "[\"tag\"]")]);
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

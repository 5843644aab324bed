//! `tests/demo.sh` as a newcomer runs it (after the build, which the test script has done): it prints where to
//! open the portal and an account to sign in with; signing in with them through the API shows the sample with
//! thumbnails in the Personal Space and photos in the Shared Space; a photo dropped into the folder it names gets
//! its thumbnails; Ctrl-C leaves nothing running; and a second run in the same folder works, with the same
//! account and library.

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use photosd_tests::{workspace, Api};

struct Demo {
    child: std::process::Child,
    url: String,
    account: String,
    password: String,
    drop_folder: String,
}

/// Runs the demo in `dir` (in a process group of its own, as a terminal would) and reads what it prints.
fn start(dir: &Path) -> Demo {
    let mut child = std::process::Command::new("bash")
        .arg(workspace().join("tests/demo.sh"))
        .arg("--no-build")
        .env("PHOTOSD_DEMO_DIR", dir)
        // A free port, as the tests of one binary run side by side; the demo prints the one it got.
        .env("PHOTOSD_SERVER_LISTEN", "127.0.0.1:0")
        // Transcoding the sample's videos is the transcode tests' business, and would only take CPU here.
        .env("PHOTOSD_VIDEO_TRANSCODE", "false")
        .stdout(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash runs tests/demo.sh");
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("demo| {line}");
            let _ = sender.send(line);
        }
    });
    let field = |line: &str, name: &str| line.trim().strip_prefix(name).map(|v| v.trim().to_string());
    let (mut url, mut account, mut password, mut drop_folder) = (None, None, None, None);
    while password.is_none() || drop_folder.is_none() {
        let line = lines.recv_timeout(Duration::from_secs(120)).expect("the demo prints how to sign in");
        url = url.or_else(|| field(&line, "Open:"));
        account = account.or_else(|| field(&line, "Account:"));
        password = password.or_else(|| field(&line, "Password:"));
        if let Some(cp) = field(&line, "cp some-photo.jpg") {
            drop_folder = Some(cp.trim_matches(['"', '/']).to_string());
        }
    }
    let url = url.expect("the portal's address");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/photo/"), "{url}");
    Demo {
        child,
        url,
        account: account.expect("an account"),
        password: password.unwrap(),
        drop_folder: format!("/{}", drop_folder.unwrap()),
    }
}

/// Stops the demo with Ctrl-C (SIGINT to its whole process group, as a terminal sends it) or with SIGTERM to the
/// script alone (as `kill` does, which its trap must pass on to the daemon); then nothing of it may be left.
fn stop(mut demo: Demo, dir: &Path, ctrl_c: bool) {
    use nix::sys::signal::{kill, Signal};
    let pid = demo.child.id() as i32;
    match ctrl_c {
        true => kill(nix::unistd::Pid::from_raw(-pid), Signal::SIGINT).unwrap(),
        false => kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM).unwrap(),
    }
    photosd_tests::wait_for("the demo to end", 20, || demo.child.try_wait().unwrap().is_some());
    let dir = dir.display().to_string();
    photosd_tests::wait_for("no process of the demo left", 10, || {
        !std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&dir)
        })
    });
}

/// Signs in as the demo says, and waits for the sample: at least `personal` items, settled, nine in ten of them
/// with thumbnails that are served, photos in the Shared Space, and persons in the People album.
fn sign_in_and_see_the_sample(demo: &Demo, personal: usize) -> Api {
    let base = demo.url.trim_end_matches("/photo/");
    let mut api = Api::new(base);
    let login = api.login(&demo.account, &demo.password);
    assert_eq!(login["success"], true, "the printed account and password sign in: {login}");
    let portal = ureq::get(&demo.url).call().expect("the portal answers");
    assert!(portal.into_string().unwrap().contains("<html"), "the printed address is the portal");
    // Settled: every item listed has its thumbnails made or known impossible (the sample holds a few files no
    // decoder reads: cropped AVIFs, a video that is only a header).
    let listed = || {
        let page = [("limit", "500"), ("additional", "[\"thumbnail\"]")];
        let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &page);
        items["data"]["list"].as_array().cloned().unwrap_or_default()
    };
    photosd_tests::wait_for("the sample, with its thumbnails", 240, || {
        let items = listed();
        items.len() >= personal && items.iter().all(|i| i["additional"]["thumbnail"]["sm"] != "notready")
    });
    let items = listed();
    let ready: Vec<&serde_json::Value> =
        items.iter().filter(|i| i["additional"]["thumbnail"]["sm"] == "ready").collect();
    assert!(ready.len() * 10 >= items.len() * 9, "{} of {} items have thumbnails", ready.len(), items.len());
    let served =
        |family: &str, item: &serde_json::Value| api.thumbnail_served(family, item["id"].as_i64().unwrap(), "sm");
    assert!(ready.iter().take(20).all(|i| served("Foto", i)), "the thumbnails said ready are served");
    photosd_tests::wait_for("photos in the Shared Space", 60, || {
        let shared = api.items("FotoTeam");
        shared.len() >= 5 && served("FotoTeam", &shared[0])
    });
    // The People album, from the sample's portraits of four people, with the face models of tests/setup.sh.
    photosd_tests::wait_for("persons in the People album", 240, || {
        let persons = api.call("SYNO.Foto.Browse.Person", "list", 1, &[("limit", "100")]);
        persons["data"]["list"].as_array().is_some_and(|list| list.len() >= 4)
    });
    // The Places album, from the sample's GPS-tagged photos (Italy's, Spain's, the United States'...), with the
    // place data of tests/setup.sh.
    photosd_tests::wait_for("countries in the Places album", 120, || {
        let countries = api.call("SYNO.Foto.Browse.Geocoding", "list", 1, &[("parent_id", "0"), ("limit", "100")]);
        countries["data"]["list"].as_array().is_some_and(|list| list.len() >= 3)
    });
    api
}

#[test]
fn the_demo_prints_how_to_sign_in_and_serves_the_sample_twice_in_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path());
    assert_eq!(demo.account, "photosd-demo");
    let api = sign_in_and_see_the_sample(&demo, 100);
    let sample = api.items("Foto").len();

    // The demo's own advice: a photo dropped into the folder it printed appears, with its thumbnail.
    let dropped = Path::new(&demo.drop_folder).join("dropped-in.jpg");
    std::fs::copy(photosd_tests::corpus().join("camera_jpeg/exif-samples/Nikon_D70.jpg"), &dropped).unwrap();
    photosd_tests::wait_for("the dropped photo with its thumbnail", 15, || {
        api.item_id("Foto", "dropped-in.jpg").is_some_and(|id| api.thumbnail_served("Foto", id, "sm"))
    });
    let (first_password, first_url) = (demo.password.clone(), demo.url.clone());
    stop(demo, dir.path(), true);
    assert!(ureq::get(&first_url).call().is_err(), "nothing answers after Ctrl-C");

    let again = start(dir.path());
    assert_eq!(again.password, first_password, "the same account and password in the same folder");
    let api = sign_in_and_see_the_sample(&again, sample + 1);
    assert_eq!(api.items("Foto").len(), sample + 1, "the same library: nothing twice, the dropped photo kept");
    // Only the demo account signs in: another account of the machine, with its right password, may not.
    let other = photosd_tests::test_user("pdt-frank", "frank-Pa55word", &[]);
    let mut api = Api::new(again.url.trim_end_matches("/photo/"));
    assert_eq!(photosd_tests::error_code(&api.login(other.name, other.password)), 402);
    stop(again, dir.path(), false);
}

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

/// Ctrl-C: SIGINT to the demo's whole process group, then nothing of it may be left.
fn interrupt(mut demo: Demo, dir: &Path) {
    let group = nix::unistd::Pid::from_raw(-(demo.child.id() as i32));
    nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGINT).unwrap();
    photosd_tests::wait_for("the demo to end after Ctrl-C", 20, || demo.child.try_wait().unwrap().is_some());
    let dir = dir.display().to_string();
    photosd_tests::wait_for("no process of the demo left", 10, || {
        !std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&dir)
        })
    });
}

fn items(api: &Api, family: &str) -> Vec<serde_json::Value> {
    let listed = api.call(&format!("SYNO.{family}.Browse.Item"), "list", 5, &[("limit", "500")]);
    listed["data"]["list"].as_array().cloned().unwrap_or_default()
}

fn thumbnail_served(api: &Api, family: &str, id: &str) -> bool {
    let response = api.get_raw(&format!("SYNO.{family}.Thumbnail"), "get", 2, &[("id", id), ("size", "sm")], &[]);
    response.status() == 200 && response.header("content-type") == Some("image/jpeg")
}

/// Signs in as the demo says, and waits for the sample: at least `personal` items, the first 20 of them with
/// thumbnails, and photos in the Shared Space.
fn sign_in_and_see_the_sample(demo: &Demo, personal: usize) -> Api {
    let base = demo.url.trim_end_matches("/photo/");
    let mut api = Api::new(base);
    let login = api.login(&demo.account, &demo.password);
    assert_eq!(login["success"], true, "the printed account and password sign in: {login}");
    let portal = ureq::get(&demo.url).call().expect("the portal answers");
    assert!(portal.into_string().unwrap().contains("<html"), "the printed address is the portal");
    photosd_tests::wait_for("the sample in the Personal Space", 180, || items(&api, "Foto").len() >= personal);
    photosd_tests::wait_for("thumbnails of the sample", 180, || {
        items(&api, "Foto").iter().take(20).all(|i| thumbnail_served(&api, "Foto", &i["id"].to_string()))
    });
    photosd_tests::wait_for("photos in the Shared Space", 60, || {
        let shared = items(&api, "FotoTeam");
        shared.len() >= 5 && thumbnail_served(&api, "FotoTeam", &shared[0]["id"].to_string())
    });
    api
}

#[test]
fn the_demo_prints_how_to_sign_in_and_serves_the_sample_twice_in_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path());
    assert_eq!(demo.account, "photosd-demo");
    let api = sign_in_and_see_the_sample(&demo, 100);
    let sample = items(&api, "Foto").len();

    // The demo's own advice: a photo dropped into the folder it printed appears, with its thumbnail.
    let dropped = Path::new(&demo.drop_folder).join("dropped-in.jpg");
    std::fs::copy(photosd_tests::corpus().join("camera_jpeg/exif-samples/Nikon_D70.jpg"), &dropped).unwrap();
    photosd_tests::wait_for("the dropped photo with its thumbnail", 15, || {
        let listed = items(&api, "Foto");
        let id = listed.iter().find(|i| i["filename"] == "dropped-in.jpg").map(|i| i["id"].to_string());
        id.is_some_and(|id| thumbnail_served(&api, "Foto", &id))
    });
    let (first_password, first_url) = (demo.password.clone(), demo.url.clone());
    interrupt(demo, dir.path());
    assert!(ureq::get(&first_url).call().is_err(), "nothing answers after Ctrl-C");

    let again = start(dir.path());
    assert_eq!(again.password, first_password, "the same account and password in the same folder");
    let api = sign_in_and_see_the_sample(&again, sample + 1);
    assert_eq!(items(&api, "Foto").len(), sample + 1, "the same library: nothing twice, the dropped photo kept");
    interrupt(again, dir.path());
}

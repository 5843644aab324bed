//! Videos a browser cannot play get an H.264/AAC MP4 through the indexer; the test decodes each output with the
//! ffmpeg CLI and checks its duration (within 0.5 s), its frames (all kept, the last one too) and rotation (kept,
//! so it displays upright).

use std::process::Command;

use photosd_tests::{corpus, json_lines, photosd, wait_for, workers_of, Daemon, Library};

fn probe(path: &std::path::Path, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn rotation(path: &std::path::Path) -> i64 {
    probe(path, "stream_side_data=rotation").lines().next().and_then(|l| l.trim().parse().ok()).unwrap_or(0)
}

/// Each item gets the work it needs and no more: photos and a video browsers play as it is get their import and
/// their thumbnails, and only the video browsers cannot play gets a transcode job.
#[test]
fn only_a_video_that_needs_it_gets_a_transcode_job() {
    let lib = Library::new();
    for name in ["one.jpg", "two.jpg"] {
        std::fs::copy(photosd_tests::sample_jpeg(), lib.photos().join(name)).unwrap();
    }
    std::fs::copy(corpus().join("video/jcodec/orientation.mp4"), lib.photos().join("plays.mp4")).unwrap();
    std::fs::copy(corpus().join("video/exiv2/small_video.mp4"), lib.photos().join("needs.mp4")).unwrap();
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let out = photosd(&lib.args("index", &pattern, &data));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let jobs = stdout.lines().find_map(|l| l.trim().strip_prefix("jobs run: ")).unwrap_or_else(|| panic!("{stdout}"));
    // (The purge follows every reconcile, once per space.)
    assert_eq!(jobs, "import 4, purge 1, thumbs 4, transcode 1", "{stdout}");
    let state = |name: &str| -> Option<String> {
        lib.db().query_row("SELECT video_state FROM item WHERE filename = ?1", [name], |r| r.get(0)).unwrap()
    };
    assert_eq!(state("plays.mp4").as_deref(), Some("original"), "streamed as it is");
    assert_eq!(state("needs.mp4").as_deref(), Some("ready"));
    assert_eq!(state("one.jpg"), None);
}

#[test]
fn videos_browsers_cannot_play_get_a_playable_transcode() {
    let lib = Library::new();
    // HEVC (rotated), HEVC, ProRes, H.264 in AVI, MJPEG, H.263 in 3GP, a one-frame MPEG-4 in Matroska
    let needs = [
        "video/photoprism/quicktime-hvc1.mov",
        "video/exiv2/small_video.mp4",
        "video/jcodec/test.prores.mov",
        "video/photoprism/earth.avi",
        "video/file-type/fixture-mjpeg.mov",
        "video/file-type/fixture.3gp",
        "video/file-type/fixture.mkv",
    ];
    let plays = "video/jcodec/orientation.mp4"; // H.264 + rotation: played as it is
    for f in needs.iter().chain([&plays]) {
        std::fs::copy(corpus().join(f), lib.photos().join(std::path::Path::new(f).file_name().unwrap())).unwrap();
    }
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let out = photosd(&lib.args("index", &pattern, &data));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = lib.db();
    for f in needs {
        let name = std::path::Path::new(f).file_name().unwrap().to_str().unwrap();
        let (state, hash, error): (Option<String>, String, Option<String>) = conn
            .query_row("SELECT video_state, hash, video_error FROM item WHERE filename = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(state.as_deref(), Some("ready"), "{name}: {error:?}");
        let output = lib.data().join("video").join(&hash[0..2]).join(&hash[2..4]).join(format!("{hash}_720p.mp4"));
        let original = corpus().join(f);
        let decoded =
            Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&output).args(["-f", "null", "-"]).output().unwrap();
        assert!(
            decoded.status.success() && decoded.stderr.is_empty(),
            "{name}: the transcode does not decode cleanly: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
        let codecs = probe(&output, "stream=codec_name");
        assert!(codecs.starts_with("h264"), "{name}: {codecs}");
        let duration = |p: &std::path::Path| probe(p, "format=duration").parse::<f64>().unwrap();
        assert!(
            (duration(&output) - duration(&original)).abs() <= 0.5,
            "{name}: {} s vs {} s",
            duration(&output),
            duration(&original)
        );
        assert_eq!(rotation(&output), rotation(&original), "{name}: rotation kept");
        // Every frame a player shows: the last one too (without a duration, MP4 cut it off), within 1% (frames
        // with a timestamp already shown are dropped).
        let frames = |p: &std::path::Path| {
            let counted = Command::new("ffprobe")
                .args(["-v", "error", "-count_frames", "-select_streams", "v", "-show_entries"])
                .args(["stream=nb_read_frames", "-of", "csv=p=0"])
                .arg(p)
                .output()
                .unwrap();
            String::from_utf8_lossy(&counted.stdout).trim().trim_end_matches(',').parse::<u64>().unwrap_or(0)
        };
        let (kept, shot) = (frames(&output), frames(&original));
        assert!(kept <= shot && kept >= shot - shot / 100 && kept > 0, "{name}: {kept} frames of {shot}");
        let dims: Vec<u32> = probe(&output, "stream=width,height").lines().filter_map(|l| l.parse().ok()).collect();
        assert!(dims[0].min(dims[1]) <= 720, "{name}: {dims:?}");
    }
    let state: Option<String> =
        conn.query_row("SELECT video_state FROM item WHERE filename = 'orientation.mp4'", [], |r| r.get(0)).unwrap();
    assert_eq!(state.as_deref(), Some("original"), "H.264 in MP4 plays in browsers as it is");
}

/// The nice value (field 19 of /proc/PID/stat) of a process.
fn nice_of(pid: u32) -> i64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit(')').next().unwrap().split_whitespace().nth(16).unwrap().parse().unwrap()
}

fn partial_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = vec![];
    for entry in photosd_tests::files_under(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".part") {
            found.push(name);
        }
    }
    found
}

#[test]
fn a_long_transcode_reports_progress_runs_niced_can_be_cancelled_and_survives_a_killed_daemon() {
    let lib = Library::new();
    // 40 s of 1080p MPEG-2 (which no browser plays): long enough to watch the transcode while it runs.
    let video = lib.photos().join("holiday.mpg");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi"])
        .args(["-i", "sine=frequency=440", "-t", "40", "-c:v", "mpeg2video", "-q:v", "6", "-c:a", "mp2"])
        .arg(&video)
        .status()
        .unwrap();
    assert!(made.success());
    let state = |lib: &Library| -> (i64, Option<String>, Option<f64>, String) {
        lib.db()
            .query_row(
                "SELECT id, video_state, video_progress, hash FROM item WHERE filename = 'holiday.mpg'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<String>>(3)?.unwrap_or_default())),
            )
            .unwrap_or((0, None, None, String::new()))
    };
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let transcodes = |extra: &[&str]| {
        let mut args = lib.args("transcodes", &pattern, &data);
        args.extend_from_slice(extra);
        photosd(&args)
    };

    let daemon = Daemon::start(&lib);
    wait_for("the transcode to report progress", 60, || {
        let (_, s, p, _) = state(&lib);
        s.as_deref() == Some("running") && p.unwrap_or(0.0) > 0.0
    });
    let (item, _, first, hash) = state(&lib);
    let transcoder = workers_of(daemon.pid(), "--nice 10");
    assert_eq!(transcoder.len(), 1, "one transcoding worker");
    assert_eq!(nice_of(transcoder[0]), 10, "the transcoder runs at the configured nice level");
    for pid in workers_of(daemon.pid(), "--nice 0") {
        assert_eq!(nice_of(pid), 0, "thumbnail workers keep normal priority");
    }
    wait_for("the progress to move on", 20, || state(&lib).2.unwrap_or(0.0) > first.unwrap());
    let listed = transcodes(&["--json"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let rows = json_lines(&listed.stdout);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0]["item_id"].as_i64(), rows[0]["state"].as_str()), (Some(item), Some("running")));
    assert!(rows[0]["progress"].as_f64().unwrap() > 0.0);

    // Cancel: the worker is stopped, its temp file removed, and nothing is published.
    let cancelled = transcodes(&["--cancel", &item.to_string()]);
    assert!(cancelled.status.success(), "{}", String::from_utf8_lossy(&cancelled.stderr));
    wait_for("the transcoding worker to stop", 10, || workers_of(daemon.pid(), "--nice 10").is_empty());
    assert_eq!(state(&lib).1.as_deref(), Some("cancelled"));
    let output = lib.data().join("video").join(&hash[0..2]).join(&hash[2..4]).join(format!("{hash}_720p.mp4"));
    assert!(!output.exists());
    wait_for("the temp file to go", 5, || partial_files(&lib.data()).is_empty());
    let again = transcodes(&["--cancel", &item.to_string()]);
    assert!(!again.status.success(), "nothing left to cancel");

    // Restart it, then kill the daemon outright: the worker dies with it and leaves no published file.
    let retried = transcodes(&["--retry", &item.to_string()]);
    assert!(retried.status.success(), "{}", String::from_utf8_lossy(&retried.stderr));
    wait_for("the transcode to run again", 30, || state(&lib).2.unwrap_or(0.0) > 0.0);
    let transcoder = workers_of(daemon.pid(), "--nice 10");
    assert_eq!(transcoder.len(), 1);
    daemon.kill();
    wait_for("the orphaned worker to die with the daemon", 10, || {
        !std::path::Path::new(&format!("/proc/{}", transcoder[0])).exists()
            || std::fs::read_to_string(format!("/proc/{}/stat", transcoder[0])).unwrap_or_default().contains(") Z")
    });
    assert!(!output.exists());

    // The next start cleans up and finishes the job.
    let daemon = Daemon::start(&lib);
    wait_for("the transcode to finish after the restart", 120, || state(&lib).1.as_deref() == Some("ready"));
    assert!(partial_files(&lib.data()).is_empty(), "{:?}", partial_files(&lib.data()));
    let duration = |p: &std::path::Path| probe(p, "format=duration").parse::<f64>().unwrap();
    assert!((duration(&output) - duration(&video)).abs() <= 0.5, "{} s vs {} s", duration(&output), duration(&video));
    daemon.stop();
}

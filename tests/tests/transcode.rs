//! Videos a browser cannot play get an H.264/AAC MP4 through the indexer; the test decodes each output with the
//! ffmpeg CLI and checks its duration (within 0.5 s) and rotation (kept, so it displays upright).

use std::process::Command;

use photosd_tests::{corpus, photosd, Library};

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

#[test]
fn videos_browsers_cannot_play_get_a_playable_transcode() {
    let lib = Library::new();
    // HEVC (rotated), HEVC, ProRes, H.264 in AVI, MJPEG, H.263 in 3GP
    let needs = [
        "video/photoprism/quicktime-hvc1.mov",
        "video/exiv2/small_video.mp4",
        "video/jcodec/test.prores.mov",
        "video/photoprism/earth.avi",
        "video/file-type/fixture-mjpeg.mov",
        "video/file-type/fixture.3gp",
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
        let dims: Vec<u32> = probe(&output, "stream=width,height").lines().filter_map(|l| l.parse().ok()).collect();
        assert!(dims[0].min(dims[1]) <= 720, "{name}: {dims:?}");
    }
    let state: Option<String> =
        conn.query_row("SELECT video_state FROM item WHERE filename = 'orientation.mp4'", [], |r| r.get(0)).unwrap();
    assert_eq!(state.as_deref(), Some("original"), "H.264 in MP4 plays in browsers as it is");
}

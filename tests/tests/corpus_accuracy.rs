//! Metadata accuracy on the real-media corpus, against exiftool's and ffprobe's readings of the same files
//! (expected values derived by tests/corpus/ground_truth.py). Prints the figures recorded in docs/metadata.md.

use std::collections::HashMap;

use photosd_tests::{corpus, json_lines, photosd, workspace};
use serde_json::Value;

#[derive(Default)]
struct Score {
    scored: usize,
    correct: usize,
    misses: Vec<String>,
}

impl Score {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.scored += 1;
        if ok {
            self.correct += 1;
        } else {
            self.misses.push(what());
        }
    }
    /// A criterion that scored nothing (its reference readings missing, or no file of its kind) is 0%, a
    /// failure: it would otherwise pass on nothing.
    fn percent(&self) -> f64 {
        if self.scored == 0 {
            0.0
        } else {
            100.0 * self.correct as f64 / self.scored as f64
        }
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.trim().to_string())
}

#[test]
fn metadata_matches_exiftool_on_the_corpus() {
    let corpus = corpus();
    let script = workspace().join("tests/corpus/ground_truth.py");
    let out = std::process::Command::new("python3").arg(&script).arg(&corpus).output().expect("python3 runs");
    assert!(out.status.success(), "ground_truth.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let expected = json_lines(&out.stdout);
    // The reference readings are exiftool's and ffprobe's, stored with the corpus: without them nothing is scored.
    assert!(expected.len() > 500, "the corpus has {} files with reference readings", expected.len());
    let files: Vec<String> = expected
        .iter()
        .filter(|e| e["exiftool_ok"] == true && e["kind"] != "sidecar")
        .map(|e| corpus.join(e["path"].as_str().unwrap()).display().to_string())
        .collect();
    let data = tempfile::tempdir().unwrap();
    let mut args = vec!["inspect", "--no-hash", "--data", data.path().to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let out = photosd(&args);
    assert!(out.status.success(), "photosd inspect failed: {}", String::from_utf8_lossy(&out.stderr));
    let actual: HashMap<String, Value> = json_lines(&out.stdout)
        .into_iter()
        .map(|v| (v["path"].as_str().unwrap().trim_start_matches(&format!("{}/", corpus.display())).to_string(), v))
        .collect();

    let [mut taken, mut camera, mut gps, mut no_gps, mut orientation, mut size, mut duration, mut rotation]: [Score;
        8] = Default::default();
    for e in expected.iter().filter(|e| e["exiftool_ok"] == true && e["kind"] != "sidecar") {
        let path = e["path"].as_str().unwrap();
        let a = actual.get(path).unwrap_or_else(|| panic!("no reading for {path}"));
        let is_video = e["kind"] == "video";
        if let Some(t) = text(&e["taken"]) {
            let got = a["taken"].as_str().map(|s| s.get(..19).unwrap_or(s).to_string());
            score(&mut taken, got.as_deref() == Some(t.as_str()), path, &t, &got);
        }
        let (em, emo) = (text(&e["make"]), text(&e["model"]));
        if em.is_some() || emo.is_some() {
            let ok = (em.is_none() || text(&a["make"]) == em) && (emo.is_none() || text(&a["model"]) == emo);
            score(&mut camera, ok, path, format!("{em:?} {emo:?}"), format!("{:?} {:?}", a["make"], a["model"]));
        }
        match e["gps"].as_array() {
            Some(fix) => {
                let (lat, lon) = (fix[0].as_f64().unwrap(), fix[1].as_f64().unwrap());
                let ok = a["gps"]["lat"].as_f64().is_some_and(|v| (v - lat).abs() <= 1e-5)
                    && a["gps"]["lon"].as_f64().is_some_and(|v| (v - lon).abs() <= 1e-5);
                score(&mut gps, ok, path, format!("{lat},{lon}"), &a["gps"]);
            }
            None => score(&mut no_gps, a["gps"].is_null(), path, "no GPS", &a["gps"]),
        }
        if !is_video {
            let want = e["orientation"].as_u64().unwrap_or(1);
            let got = a["orientation"].as_u64().unwrap_or(1);
            score(&mut orientation, want == got, path, want, got);
        }
        if let (Some(w), Some(h)) = (e["width"].as_u64(), e["height"].as_u64()) {
            let got = (a["width"].as_u64(), a["height"].as_u64());
            score(&mut size, got == (Some(w), Some(h)), path, format!("{w}x{h}"), got);
        }
        if is_video && e["ffprobe_ok"] == true {
            if let Some(d) = e["duration"].as_f64() {
                let ok = a["duration"].as_f64().is_some_and(|g| (g - d).abs() <= 0.1);
                score(&mut duration, ok, path, d, &a["duration"]);
            }
            let want = e["rotation"].as_i64().unwrap_or(0);
            score(&mut rotation, a["rotation"].as_i64().unwrap_or(0) == want, path, want, &a["rotation"]);
        }
    }
    let table = [
        ("taken time, exact to the second", &taken, 98.0),
        ("make and model", &camera, 99.0),
        ("GPS within 1e-5 deg (real fixes)", &gps, 100.0),
        ("no GPS invented", &no_gps, 100.0),
        ("orientation", &orientation, 100.0),
        ("width and height after orientation", &size, 99.0),
        ("video duration within 0.1 s", &duration, 100.0),
        ("video rotation", &rotation, 100.0),
    ];
    println!("\nmetadata accuracy on ../shared/corpus ({} files exiftool reads without error)", files.len());
    println!("| criterion | scored | correct | accuracy | target |\n|---|---|---|---|---|");
    for (name, s, target) in &table {
        println!("| {name} | {} | {} | {:.1}% | ≥ {target}% |", s.scored, s.correct, s.percent());
    }
    let mut failed = Vec::new();
    for (name, s, target) in &table {
        for m in &s.misses {
            println!("  miss [{name}] {m}");
        }
        if s.percent() < *target {
            failed.push(format!("{name}: {:.1}% < {target}%", s.percent()));
        }
    }
    assert!(failed.is_empty(), "below target: {failed:?}");
}

fn score(s: &mut Score, ok: bool, path: &str, want: impl std::fmt::Debug, got: impl std::fmt::Debug) {
    s.check(ok, || format!("{path}: want {want:?}, got {got:?}"));
}

/// Camera photos saved as WebP (libvips writes EXIF and XMP after the image data, as cameras and converters
/// do): photosd reads the same make, model and date as exiftool, also when the EXIF chunk lies far beyond the
/// first 64 KiB that are read up front.
#[test]
fn webp_photos_keep_their_camera_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        "camera_jpeg/exifr/canon-dslr.jpg",
        "camera_jpeg/exif-samples/mobile/HMD_Nokia_8.3_5G.jpg",
        "camera_jpeg/exif-samples/hdr/iphone_hdr_YES.jpg",
        "camera_jpeg/exif-samples/Nikon_D70.jpg",
    ];
    let mut webps = Vec::new();
    let mut exif_beyond_head = 0;
    for source in sources {
        let webp = dir.path().join(std::path::Path::new(source).with_extension("webp").file_name().unwrap());
        let made = std::process::Command::new("vips").arg("copy").arg(corpus().join(source)).arg(&webp).output();
        let made = made.expect("vips (libvips-tools, installed by tests/setup.sh)");
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let bytes = std::fs::read(&webp).unwrap();
        let mut pos = 12;
        while pos + 8 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
            if &bytes[pos..pos + 4] == b"EXIF" && pos > 64 * 1024 {
                exif_beyond_head += 1;
            }
            pos += 8 + len + (len & 1);
        }
        webps.push(webp.display().to_string());
    }
    assert!(exif_beyond_head >= 2, "the large photos put their EXIF chunk after 64 KiB of image data");
    let exiftool = std::process::Command::new("exiftool")
        .args(["-j", "-Make", "-Model", "-DateTimeOriginal", "-d", "%Y-%m-%dT%H:%M:%S"])
        .args(&webps)
        .output()
        .expect("exiftool");
    let expected: Vec<Value> = serde_json::from_slice(&exiftool.stdout).expect("exiftool's JSON");
    let data = tempfile::tempdir().unwrap();
    let mut args = vec!["inspect", "--no-hash", "--data", data.path().to_str().unwrap()];
    args.extend(webps.iter().map(String::as_str));
    let out = photosd(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let actual = json_lines(&out.stdout);
    for want in &expected {
        let path = want["SourceFile"].as_str().unwrap();
        let got = actual.iter().find(|a| a["path"] == path).unwrap_or_else(|| panic!("no reading for {path}"));
        assert!(text(&want["Model"]).is_some() && text(&want["DateTimeOriginal"]).is_some(), "{want}");
        assert_eq!(text(&got["make"]), text(&want["Make"]), "{path}");
        assert_eq!(text(&got["model"]), text(&want["Model"]), "{path}");
        let taken = got["taken"].as_str().map(|t| t.get(..19).unwrap_or(t).to_string());
        assert_eq!(taken, text(&want["DateTimeOriginal"]), "{path}");
    }
}

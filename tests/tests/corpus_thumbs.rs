//! Thumbnails for the whole corpus through the real indexer: every photo and video gets `ready` sm/m/xl files,
//! except files that no reference tool can render either (libvips for stills, the ffmpeg CLI for a frame),
//! which must end `broken` with a reason; and every malformed file ends `ready` or `broken` with a reason.

use std::path::Path;
use std::process::Command;

use photosd_tests::{copy_tree, corpus, photosd, Library};

/// (relative path, thumb state, thumb error, hash) of every item.
fn thumb_states(lib: &Library) -> Vec<(String, String, Option<String>, Option<String>)> {
    let conn = lib.db();
    let mut stmt = conn
        .prepare(
            "SELECT CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END, i.thumb_state, i.thumb_error, i.thumb_hash
             FROM item i JOIN folder f ON f.id = i.folder_id ORDER BY 1",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

fn index(lib: &Library) {
    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    let out = photosd(&lib.args("index", &pattern, &data));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Whether libvips or the ffmpeg CLI can render anything from the file.
fn a_reference_tool_renders(file: &Path, tmp: &Path) -> bool {
    let png = tmp.join("reference.png");
    let vips = Command::new("vips").arg("thumbnail").arg(file).arg(&png).arg("64").output();
    let ffmpeg = Command::new("ffmpeg")
        .args(["-loglevel", "quiet", "-y", "-i"])
        .arg(file)
        .args(["-frames:v", "1"])
        .arg(&png)
        .output();
    vips.is_ok_and(|o| o.status.success()) || ffmpeg.is_ok_and(|o| o.status.success() && png.exists())
}

#[test]
fn every_photo_and_video_of_the_corpus_gets_thumbnails() {
    let lib = Library::new();
    for entry in std::fs::read_dir(corpus()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.file_type().unwrap().is_dir() && !["malformed", "exiftool_stubs", "ffprobe"].contains(&name.as_str()) {
            copy_tree(&entry.path(), &lib.photos().join(&name));
        }
    }
    index(&lib);
    let states = thumb_states(&lib);
    assert!(states.len() > 400, "the corpus was indexed ({} items)", states.len());
    // Without the reference tools, every failure would look excused.
    for (tool, version) in [("vips", "--version"), ("ffmpeg", "-version")] {
        let runs = Command::new(tool).arg(version).output().is_ok_and(|o| o.status.success());
        assert!(runs, "the reference tool {tool} is missing (tests/setup.sh installs it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut ready, mut excused, mut failures) = (0, Vec::new(), Vec::new());
    for (path, state, error, hash) in &states {
        if state == "ready" {
            let hash = hash.as_deref().unwrap();
            for size in ["sm", "m", "xl"] {
                let file =
                    lib.data().join("thumbs").join(&hash[0..2]).join(&hash[2..4]).join(format!("{hash}_{size}.jpg"));
                assert!(file.exists(), "{path}: ready but {} is missing", file.display());
            }
            ready += 1;
        } else if state == "broken"
            && error.as_deref().is_some_and(|e| !e.is_empty())
            && !a_reference_tool_renders(&lib.photos().join(path), tmp.path())
        {
            excused.push(format!("{path}: {}", error.as_deref().unwrap_or("")));
        } else {
            failures.push(format!("{path}: {state} {error:?}"));
        }
    }
    println!("{ready} items with thumbnails; {} that no reference tool can render either:", excused.len());
    for e in &excused {
        println!("  {e}");
    }
    assert!(failures.is_empty(), "missing thumbnails:\n{}", failures.join("\n"));
    // At most 3% of the corpus may be what no reference tool renders either (today 10 files of 431).
    assert!(ready * 100 >= states.len() * 97, "only {ready} of {} items have thumbnails", states.len());
}

#[test]
fn every_malformed_file_ends_ready_or_broken_with_a_reason() {
    let lib = Library::new();
    copy_tree(&corpus().join("malformed"), &lib.photos().join("malformed"));
    index(&lib);
    let states = thumb_states(&lib);
    assert!(states.len() > 50);
    let (mut ready, mut broken) = (0, 0);
    for (path, state, error, _) in &states {
        match state.as_str() {
            "ready" => ready += 1,
            "broken" => {
                assert!(error.as_deref().is_some_and(|e| !e.is_empty()), "{path}: broken without a reason");
                broken += 1;
            }
            // A file whose bytes could not even be hashed has nothing to render; its import says why.
            _ => {
                let conn = lib.db();
                let reason: Option<String> = conn
                    .query_row(
                        "SELECT error FROM item WHERE filename = ?1",
                        [Path::new(path).file_name().unwrap().to_str().unwrap()],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert!(reason.is_some(), "{path}: left {state} with no reason");
            }
        }
    }
    println!("malformed: {ready} ready, {broken} broken with a reason, of {}", states.len());
}

//! Faces: photosd's YuNet and SFace (candle, `daemon/src/ml/`) against the reference implementation of the same
//! weights, OpenCV's FaceDetectorYN and onnxruntime, on the corpus' face photos (`tests/ml/reference.py`), and
//! the `photosd faces` command's behaviour on files it cannot read.

use photosd_tests::{corpus, photosd_bin, workspace};

fn models() -> std::path::PathBuf {
    workspace().join("target/models")
}

#[test]
fn detection_and_embeddings_agree_with_opencv_and_onnxruntime() {
    let python = workspace().join("target/mlenv/bin/python");
    assert!(python.exists(), "tests/setup.sh installs the model tooling into target/mlenv");
    let out = std::process::Command::new(python)
        .arg(workspace().join("tests/ml/reference.py"))
        .args(["--photosd", &photosd_bin().display().to_string()])
        .args(["--models", &models().display().to_string()])
        .args(["--corpus", &corpus().join("faces").display().to_string()])
        .output()
        .expect("the reference script runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    println!("{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "photosd's faces differ from the reference:\n{printed}");
    assert!(printed.contains("embedding of the same aligned crop"), "the script compared embeddings");
}

#[test]
fn a_file_that_is_no_image_is_an_error_of_its_own_and_the_rest_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0 not really a JPEG").unwrap();
    let face = corpus().join("faces/barack_obama/fr_obama.jpg");
    let out = std::process::Command::new(photosd_bin())
        .env("PHOTOSD_FACES_MODELS_DIR", models())
        .args(["faces", "--embedding"])
        .args([&broken, &face])
        .output()
        .unwrap();
    let lines = photosd_tests::json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(lines[0]["error"].as_str().is_some_and(|e| !e.is_empty()), "{:?}", lines[0]);
    let faces = lines[1]["faces"].as_array().expect("the photo after the broken file is read");
    assert_eq!(faces.len(), 1, "one face in {}: {faces:?}", face.display());
    let embedding: Vec<f64> = faces[0]["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(embedding.len(), 128);
    let norm: f64 = embedding.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "embeddings are L2-normalised: {norm}");
    assert!(!out.status.success(), "the command says that one file failed");
}

#[test]
fn missing_models_are_named_not_blamed_on_the_photo() {
    let dir = tempfile::tempdir().unwrap();
    let face = corpus().join("faces/barack_obama/fr_obama.jpg");
    let out = std::process::Command::new(photosd_bin())
        .env("PHOTOSD_FACES_MODELS_DIR", dir.path())
        .arg("faces")
        .arg(&face)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("yunet.safetensors") && said.contains("models/fetch.py"), "{said}");
}

#[test]
fn every_malformed_file_gets_an_answer_and_a_good_photo_after_them_its_faces() {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut dirs = vec![corpus().join("malformed")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 100, "the malformed corpus: {} files", files.len());
    files.push(corpus().join("faces/barack_obama/fr_obama.jpg"));
    let out = std::process::Command::new(photosd_bin())
        .env("PHOTOSD_FACES_MODELS_DIR", models())
        .args(["faces", "--embedding"])
        .args(&files)
        .output()
        .unwrap();
    let lines = photosd_tests::json_lines(&out.stdout);
    assert_eq!(lines.len(), files.len(), "one answer per file: {}", String::from_utf8_lossy(&out.stderr));
    let crashed: Vec<_> = lines.iter().filter(|l| l["error"].as_str().is_some_and(|e| e.contains("worker"))).collect();
    println!(
        "{} malformed files: {} with an error of their own, {} read (no face or some), {} that stopped a worker",
        files.len() - 1,
        lines.iter().filter(|l| l.get("error").is_some()).count(),
        lines.iter().filter(|l| l.get("faces").is_some()).count() - 1,
        crashed.len()
    );
    assert!(crashed.is_empty(), "no malformed file stops a worker: {crashed:?}");
    assert_eq!(lines.last().unwrap()["faces"].as_array().map(Vec::len), Some(1), "the good photo after them");
}

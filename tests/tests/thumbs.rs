//! Thumbnails against reference renderings by libvips: orientation (every file of the orientation corpus comes
//! out upright) and colour (a Display P3 photo converted to sRGB matches `vips icc_transform` within a small ΔE).

use std::path::{Path, PathBuf};
use std::process::Command;

use photosd_tests::{corpus, photosd};

fn vips(args: &[&str]) -> bool {
    Command::new("vips").args(args).output().expect("vips (tests/setup.sh installs it)").status.success()
}

/// Renders `file` at `size` through `photosd thumb`; returns the JPEG written, or the error line.
fn render(file: &Path, size: &str, out: &Path) -> Result<PathBuf, String> {
    let o = photosd(&[
        "thumb",
        "--data",
        out.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--size",
        size,
        file.to_str().unwrap(),
    ]);
    let line = String::from_utf8_lossy(&o.stdout).to_string();
    if !o.status.success() {
        return Err(line);
    }
    let path = line.split(": ").nth(1).and_then(|rest| rest.split(' ').next()).ok_or(line.clone())?;
    Ok(PathBuf::from(path))
}

/// The image as RGB, transparent areas composited onto white as photosd's thumbnails show them.
fn rgb(path: &Path) -> image::RgbImage {
    let rgba = image::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display())).into_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = p[3] as u32;
        image::Rgb([0, 1, 2].map(|i| ((p[i] as u32 * a + 255 * (255 - a) + 127) / 255) as u8))
    })
}

/// Mean absolute difference per channel after bringing both to the same small size.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let (w, h) = (24, 24);
    let a = image::imageops::resize(a, w, h, image::imageops::FilterType::Triangle);
    let b = image::imageops::resize(b, w, h, image::imageops::FilterType::Triangle);
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| (*x as i64 - *y as i64).unsigned_abs()).sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn every_orientation_sample_comes_out_upright() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("orientation"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut checked, mut failures, mut undecodable) = (0, Vec::new(), Vec::new());
    for (i, file) in files.iter().enumerate() {
        let reference = tmp.path().join(format!("ref{i}.png"));
        // vips thumbnail applies the orientation (EXIF, or HEIF irot/imir through libheif) and, with an export
        // profile, the embedded ICC profile (several samples carry Apple's Generic RGB).
        // The AVIF transform samples encode the kimono so that, once irot/imir are applied, it shows as the plain
        // kimono.avif does; libvips 8.14 cannot open some of them, so that one is the reference there.
        let source = match file.parent().and_then(|p| p.file_name()) {
            Some(dir) if dir == "avif-irot-imir" => corpus().join("avif/link-u/kimono.avif"),
            _ => file.clone(),
        };
        let reference_ok = vips(&[
            "thumbnail",
            source.to_str().unwrap(),
            reference.to_str().unwrap(),
            "256",
            "--export-profile",
            "srgb",
        ]);
        let ours = render(file, "sm", tmp.path());
        match (reference_ok, ours) {
            (true, Ok(ours)) => {
                let (r, o) = (rgb(&reference), rgb(&ours));
                let same_shape = (r.width() > r.height()) == (o.width() > o.height());
                let diff = difference(&r, &o);
                checked += 1;
                if !same_shape || diff > 12.0 {
                    failures.push(format!(
                        "{}: ours {}x{}, vips {}x{}, difference {diff:.1}",
                        file.display(),
                        o.width(),
                        o.height(),
                        r.width(),
                        r.height()
                    ));
                }
            }
            (true, Err(e)) if file.to_string_lossy().contains(".crop.") => {
                undecodable.push(format!("{} ({e})", file.display()))
            }
            (true, Err(e)) => failures.push(format!("{}: vips renders it, photosd does not: {e}", file.display())),
            (false, _) => undecodable.push(file.display().to_string()),
        }
    }
    println!("{checked} orientation samples match vips; not decodable: {undecodable:?}");
    assert!(failures.is_empty(), "not upright:\n{}", failures.join("\n"));
    assert!(checked >= 50, "only {checked} samples checked");
}

fn srgb_to_lab(p: &[u8]) -> [f64; 3] {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(p[0]), lin(p[1]), lin(p[2]));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
}

/// Mean CIE76 ΔE between two images of the same size, compared at an eighth of their size so that JPEG
/// compression noise (which is not what this measures) averages out.
fn delta_e(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (w, h) = ((a.width() / 8).max(1), (a.height() / 8).max(1));
    let a = image::imageops::resize(a, w, h, image::imageops::FilterType::Triangle);
    let b = image::imageops::resize(b, w, h, image::imageops::FilterType::Triangle);
    let sum: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| {
            let (l1, l2) = (srgb_to_lab(&p.0), srgb_to_lab(&q.0));
            ((l1[0] - l2[0]).powi(2) + (l1[1] - l2[1]).powi(2) + (l1[2] - l2[2]).powi(2)).sqrt()
        })
        .sum();
    sum / (a.width() * a.height()) as f64
}

#[test]
fn a_display_p3_photo_is_converted_to_srgb() {
    let tmp = tempfile::tempdir().unwrap();
    let p3 = corpus().join("camera_jpeg/photoprism/Iceland-P3.jpg");
    let reference = tmp.path().join("ref.png");
    let untouched = tmp.path().join("untouched.png");
    assert!(vips(&["icc_transform", p3.to_str().unwrap(), reference.to_str().unwrap(), "srgb"]));
    // The same pixel values read as if they were sRGB: what a thumbnailer that ignores the profile shows.
    assert!(vips(&["copy", p3.to_str().unwrap(), untouched.to_str().unwrap()]));
    let ours = render(&p3, "xl", tmp.path()).expect("renders");
    let (ours, reference, untouched) = (rgb(&ours), rgb(&reference), rgb(&untouched));
    let converted = delta_e(&ours, &reference);
    let ignored = delta_e(&untouched, &reference);
    println!("mean ΔE76 against vips icc_transform: photosd {converted:.2}; profile ignored {ignored:.2}");
    assert!(ignored > 3.0, "the sample must be one where the profile matters ({ignored:.2})");
    assert!(converted < 1.5, "photosd's thumbnail is off by ΔE {converted:.2}");
}

/// What a C library prints while decoding (dav1d, through libheif, says "Frame size 722x1024 exceeds limit" for
/// a cropped AVIF) goes to photosd's log as the worker's words, at debug level, never straight to the terminal.
#[test]
fn a_decoders_chatter_goes_to_the_log_not_the_terminal() {
    let out = tempfile::tempdir().unwrap();
    let file = corpus().join("orientation/avif-irot-imir/kimono.crop.avif");
    let thumb = |log: &str| {
        Command::new(photosd_tests::photosd_bin())
            .args(["thumb", "--data", out.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()])
            .arg(&file)
            .env("RUST_LOG", log)
            .output()
            .unwrap()
    };
    let quiet = String::from_utf8_lossy(&thumb("info").stderr).to_string();
    assert!(!quiet.contains("exceeds limit"), "the decoder's line on the terminal:\n{quiet}");
    let debug = String::from_utf8_lossy(&thumb("photosd=debug").stderr).to_string();
    let said = debug.lines().find(|l| l.contains("exceeds limit")).expect("the line is in the debug log");
    assert!(said.contains("DEBUG") && said.contains("worker="), "logged as the worker's, at debug: {said}");
}

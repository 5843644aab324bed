//! iPhone Live Photos: a photo and a MOV with the same base name and the same Apple content identifier are one
//! item of type `live`; the video half is linked to it. The test builds the pair the way an iPhone writes it:
//! the identifier in the photo's Apple maker note (tag 0x11) and in the MOV's `mdta` keys.

use std::process::Command;

use photosd_tests::{corpus, json_lines, photosd, Library};

const ID: &str = "4D3B5C2A-1111-2222-3333-444455556666";

/// A big-endian TIFF block: IFD0 → Exif IFD → an Apple maker note holding the content identifier.
fn apple_exif(content_id: &str) -> Vec<u8> {
    let mut note = b"Apple iOS\0\0\x01MM".to_vec();
    let text = format!("{content_id}\0");
    note.extend_from_slice(&1u16.to_be_bytes());
    note.extend_from_slice(&0x11u16.to_be_bytes());
    note.extend_from_slice(&2u16.to_be_bytes());
    note.extend_from_slice(&(text.len() as u32).to_be_bytes());
    note.extend_from_slice(&32u32.to_be_bytes()); // offset from the start of the maker note
    note.extend_from_slice(&0u32.to_be_bytes());
    note.extend_from_slice(text.as_bytes());
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes());
    for (tag, kind, count, value) in [(0x8769u16, 4u16, 1u32, 26u32), (0x927c, 7, note.len() as u32, 44)] {
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&tag.to_be_bytes());
        tiff.extend_from_slice(&kind.to_be_bytes());
        tiff.extend_from_slice(&count.to_be_bytes());
        tiff.extend_from_slice(&value.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
    }
    assert_eq!(tiff.len(), 44);
    tiff.extend_from_slice(&note);
    tiff
}

fn write_live_pair(dir: &std::path::Path, stem: &str, photo_id: &str, video_id: &str) {
    let jpeg = std::fs::read(corpus().join("metadata_edge/exifr/noexif.jpg")).unwrap();
    let tiff = apple_exif(photo_id);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    std::fs::write(dir.join(format!("{stem}.JPG")), out).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(corpus().join("video/file-type/fixture.mov"))
        .args(["-c", "copy", "-movflags", "use_metadata_tags", "-metadata"])
        .arg(format!("com.apple.quicktime.content.identifier={video_id}"))
        .arg(dir.join(format!("{stem}.MOV")))
        .status()
        .expect("ffmpeg (tests/setup.sh installs it)");
    assert!(status.success());
}

#[test]
fn a_photo_and_mov_with_the_same_content_identifier_are_one_live_photo() {
    let lib = Library::new();
    let photos = lib.photos();
    write_live_pair(&photos, "IMG_0001", ID, ID);
    write_live_pair(&photos, "IMG_0002", ID, "0000-NOT-THE-SAME");

    let files: Vec<String> =
        ["IMG_0001.JPG", "IMG_0001.MOV", "IMG_0002.JPG"].iter().map(|n| photos.join(n).display().to_string()).collect();
    let mut args = vec!["inspect", "--no-hash"];
    args.extend(files.iter().map(String::as_str));
    let readings = json_lines(&photosd(&args).stdout);
    assert_eq!(readings[0]["type"], "live");
    assert_eq!(readings[0]["content_id"], ID);
    assert_eq!(readings[1]["type"], "video");
    assert_eq!(readings[1]["content_id"], ID);
    assert_eq!(readings[2]["type"], "photo", "a different identifier is not a pair");

    let (pattern, data) = (lib.pattern(), lib.data().display().to_string());
    assert!(photosd(&lib.args("index", &pattern, &data)).status.success());
    let conn = lib.db();
    let kind = |name: &str| -> (i64, String, Option<i64>) {
        conn.query_row("SELECT id, type, live_photo_id FROM item WHERE filename = ?1", [name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
    };
    let (photo_id, photo_type, _) = kind("IMG_0001.JPG");
    assert_eq!(photo_type, "live");
    assert_eq!(kind("IMG_0001.MOV").2, Some(photo_id), "the video half points at its photo");
    assert_eq!(kind("IMG_0002.JPG").1, "photo");
    assert_eq!(kind("IMG_0002.MOV").2, None);
}

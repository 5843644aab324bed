//! iPhone Live Photos for the tests: a photo and a MOV with the same base name, the content identifier in the
//! photo's Apple maker note (tag 0x11) and in the MOV's `mdta` keys, as an iPhone writes them.

use std::process::Command;

use crate::corpus;

/// A content identifier, as iPhones write them.
pub const ID: &str = "4D3B5C2A-1111-2222-3333-444455556666";

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

/// Writes `<stem>.JPG` and `<stem>.MOV` into `dir` as an iPhone does, with these content identifiers.
pub fn write_live_pair(dir: &std::path::Path, stem: &str, photo_id: &str, video_id: &str) {
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

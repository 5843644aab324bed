//! iPhone Live Photos: a photo and a MOV with the same base name and the same Apple content identifier are one
//! item of type `live`; the video half is linked to it. The test builds the pair the way an iPhone writes it:
//! the identifier in the photo's Apple maker note (tag 0x11) and in the MOV's `mdta` keys.

use photosd_tests::live::{write_live_pair, ID};
use photosd_tests::{json_lines, photosd, Library};

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

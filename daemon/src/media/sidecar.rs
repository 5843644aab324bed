//! XMP sidecars: `IMG_1.jpg.xmp` (darktable, digiKam, photosd) or, failing that, `IMG_1.xmp` (Lightroom,
//! Capture One): what a person set about a photo outside the file itself (description, rating, keywords,
//! corrected date, position). A sidecar wins over the file's own values, so edits survive re-indexing from scratch and
//! other tools see them.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::reading::Reading;

/// Sidecars larger than this are not photo metadata.
const MAX_SIDECAR: u64 = 1 << 20;

pub fn sidecar_path(original: &Path) -> PathBuf {
    let mut name = original.as_os_str().to_owned();
    name.push(".xmp");
    PathBuf::from(name)
}

/// Where the sidecar of `original` may be, in the order they are tried: photosd's own form, then Adobe's.
pub fn candidates(original: &Path) -> Vec<PathBuf> {
    let adobe = original.with_extension("xmp");
    let mut found = vec![sidecar_path(original)];
    if adobe != original {
        found.push(adobe);
    }
    found
}

/// Lays the values of the sidecar (already open) over what the file said.
pub fn apply(sidecar: Option<&std::fs::File>, reading: &mut Reading) {
    let Some(file) = sidecar else { return };
    let mut packet = Vec::new();
    if file.take(MAX_SIDECAR).read_to_end(&mut packet).is_err() {
        return;
    }
    let xmp = super::xmp::parse(&packet);
    if xmp.description.is_some() {
        reading.description = xmp.description;
    }
    if xmp.rating.is_some() {
        reading.rating = xmp.rating;
    }
    for tag in xmp.tags {
        if !reading.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            reading.tags.push(tag);
        }
    }
    if xmp.gps.is_some() {
        reading.gps = xmp.gps;
    }
    if let Some(taken) = xmp.date_time_original {
        reading.taken = Some(taken);
        reading.taken_source = Some("XMP sidecar".into());
    }
}

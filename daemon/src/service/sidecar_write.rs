//! Writing edits to XMP sidecars (`IMG_1.jpg.xmp`) beside the original, which stays untouched: description,
//! rating, keywords, a corrected date and a position set by hand, in the form darktable and digiKam read. A sidecar that another program
//! wrote is never overwritten (its edits would be lost); the edit then lives in the database only.

use std::io::Write;
use std::path::Path;

use super::space_write::{Duplicate, TempFile};
use crate::domain::Error;
use crate::domain::SidecarValues;

/// The marker photosd puts in its own sidecars.
const CREATOR: &str = "photosd";

/// Writes (or rewrites) the sidecar of `folder/filename`. Returns false when a foreign sidecar is in the way.
pub fn write(
    root: &Path,
    folder: &str,
    filename: &str,
    values: &SidecarValues,
    uid: u32,
    gid: u32,
) -> Result<bool, Error> {
    let name = format!("{filename}.xmp");
    if let Ok(mut existing) = super::space_fs::open_file(root, folder, &name) {
        let mut head = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&mut existing, 64 * 1024), &mut head);
        if !head.contains(&format!("xmp:CreatorTool=\"{CREATOR}\"")) {
            tracing::info!(file = name, "a sidecar from another program is there; the edit stays in the database");
            return Ok(false);
        }
    }
    let mut temp = TempFile::create(root, folder)?;
    if let Err(e) = temp.file.write_all(xml(values).as_bytes()) {
        temp.discard();
        return Err(e.into());
    }
    temp.publish(&name, Duplicate::Overwrite, uid, gid, None)?;
    Ok(true)
}

fn xml(v: &SidecarValues) -> String {
    let mut attributes = format!(" xmp:CreatorTool=\"{CREATOR}\"");
    if let Some(rating) = v.rating {
        attributes.push_str(&format!(" xmp:Rating=\"{rating}\""));
    }
    if let Some(taken) = &v.taken_local {
        attributes.push_str(&format!(" exif:DateTimeOriginal=\"{}\"", escape(taken)));
    }
    if let Some((lat, lon)) = v.position {
        attributes.push_str(&format!(
            " exif:GPSLatitude=\"{}\" exif:GPSLongitude=\"{}\"",
            coordinate(lat, 'N', 'S'),
            coordinate(lon, 'E', 'W')
        ));
    }
    let mut elements = String::new();
    if let Some(description) = &v.description {
        elements.push_str(&format!(
            "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            escape(description)
        ));
    }
    if !v.tags.is_empty() {
        let items: String = v.tags.iter().map(|t| format!("<rdf:li>{}</rdf:li>", escape(t))).collect();
        elements.push_str(&format!("   <dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>\n"));
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n \
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:exif=\"http://ns.adobe.com/exif/1.0/\"{attributes}>\n{elements}  </rdf:Description>\n \
         </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n"
    )
}

/// XMP's GPSCoordinate: degrees, then minutes with decimals, then the hemisphere ("48,51.396N").
fn coordinate(value: f64, positive: char, negative: char) -> String {
    let hemisphere = if value < 0.0 { negative } else { positive };
    let value = value.abs();
    let degrees = value.trunc();
    format!("{},{:.6}{hemisphere}", degrees as i64, (value - degrees) * 60.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"jpeg").unwrap();
        let values = SidecarValues {
            description: Some("Fish & <chips>".into()),
            rating: Some(4),
            taken_local: Some("2023-11-14T22:13:20".into()),
            tags: vec!["Iceland".into(), "Aurora \"borealis\"".into()],
            position: Some((-33.917535, 18.40261)),
        };
        let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
        assert!(write(dir.path(), "", "a.jpg", &values, uid, gid).unwrap());
        let mut reading = crate::media::Reading::default();
        let source = crate::media::input::Source::open(&dir.path().join("a.jpg")).unwrap();
        crate::media::sidecar::apply(source.sidecar.as_ref(), &mut reading);
        assert_eq!(reading.description.as_deref(), Some("Fish & <chips>"));
        assert_eq!(reading.rating, Some(4));
        assert_eq!(reading.tags, ["Iceland", "Aurora \"borealis\""]);
        assert_eq!(reading.taken.unwrap().to_iso(), "2023-11-14T22:13:20");
        let gps = reading.gps.expect("the position reads back");
        assert!((gps.lat + 33.917535).abs() < 1e-6 && (gps.lon - 18.40261).abs() < 1e-6, "{gps:?}");
        // Someone else's sidecar is left alone.
        std::fs::write(dir.path().join("b.jpg.xmp"), "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>").unwrap();
        assert!(!write(dir.path(), "", "b.jpg", &values, uid, gid).unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.jpg.xmp")).unwrap(),
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>"
        );
    }
}

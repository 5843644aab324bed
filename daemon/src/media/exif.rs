//! EXIF/TIFF fields, parsed by kamadak-exif, gathered from one or more TIFF blocks into one view, and turned
//! into photosd's fields: camera, exposure, dates with offsets, GPS, orientation, Apple's content identifier,
//! and the XMP and IPTC blocks that TIFF files carry as tags.

use std::collections::HashMap;

use exif::{Context, In, Tag, Value};

use super::reading::{Gps, Taken};
use super::taken::{parse_datetime, parse_offset};
use super::tiff_ifd::Tiff;

#[derive(Default)]
pub struct ExifView {
    fields: HashMap<(Context, u16), Value>,
    /// Primary-image size from IFD0 (TIFF-based formats: may be a preview in RAW files).
    pub ifd0_size: Option<(u32, u32)>,
}

impl ExifView {
    /// Adds the fields of one TIFF block. `as_context` re-files IFD0 fields under another context, for CR3's
    /// separate Exif and GPS blocks. Corrupt parts are skipped; what could be read is kept.
    pub fn add_tiff(&mut self, mut tiff: Vec<u8>, as_context: Option<Context>) -> Result<(), String> {
        normalise_pointer_types(&mut tiff);
        let exif = match exif::Reader::new().continue_on_error(true).read_raw(tiff) {
            Ok(e) => e,
            Err(e) => e.distill_partial_result(|_| {}).map_err(|e| e.to_string())?,
        };
        for f in exif.fields().filter(|f| f.ifd_num == In::PRIMARY) {
            let context = match (as_context, f.tag.context()) {
                (Some(c), Context::Tiff) => c,
                (_, c) => c,
            };
            self.fields.entry((context, f.tag.number())).or_insert_with(|| f.value.clone());
        }
        if self.ifd0_size.is_none() {
            let dim = |t: Tag| exif.get_field(t, In::PRIMARY).and_then(|f| f.value.get_uint(0));
            if let (Some(w), Some(h)) = (dim(Tag::ImageWidth), dim(Tag::ImageLength)) {
                self.ifd0_size = Some((w, h));
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn get(&self, tag: Tag) -> Option<&Value> {
        self.fields.get(&(tag.context(), tag.number()))
    }

    pub fn text(&self, tag: Tag) -> Option<String> {
        let raw = match self.get(tag)? {
            Value::Ascii(v) => v.iter().find(|s| !s.is_empty())?.clone(),
            Value::Undefined(v, _) | Value::Byte(v) => v.clone(),
            _ => return None,
        };
        // Invalid UTF-8 shows as '?', as exiftool shows it, rather than as mojibake.
        let s = String::from_utf8_lossy(&raw).replace('\u{FFFD}', "?");
        let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
        (!s.is_empty()).then_some(s)
    }

    pub fn uint(&self, tag: Tag) -> Option<u32> {
        self.get(tag)?.get_uint(0)
    }

    pub fn float(&self, tag: Tag) -> Option<f64> {
        let v = match self.get(tag)? {
            Value::Rational(v) => v.first()?.to_f64(),
            Value::SRational(v) => v.first()?.to_f64(),
            Value::Short(v) => *v.first()? as f64,
            Value::Long(v) => *v.first()? as f64,
            Value::Float(v) => *v.first()? as f64,
            Value::Double(v) => *v.first()?,
            _ => return None,
        };
        v.is_finite().then_some(v)
    }

    pub fn bytes(&self, tag: Tag) -> Option<&[u8]> {
        match self.get(tag)? {
            Value::Undefined(v, _) | Value::Byte(v) => Some(v),
            _ => None,
        }
    }

    /// A date field with its offset and sub-second companions.
    pub fn taken(&self, date: Tag, offset: Tag) -> Option<Taken> {
        let local = parse_datetime(&self.text(date)?)?;
        let offset_minutes = self.text(offset).and_then(|s| parse_offset(&s));
        Some(Taken { local, offset_minutes })
    }

    /// The UTC time of the GPS fix, used to infer the offset of a local time that lacks one.
    pub fn gps_utc(&self) -> Option<time::PrimitiveDateTime> {
        let date = self.text(Tag::GPSDateStamp)?;
        let Value::Rational(hms) = self.get(Tag::GPSTimeStamp)? else { return None };
        let [h, m, s] = [hms.first()?, hms.get(1)?, hms.get(2)?].map(|r| r.to_f64());
        if !(h.is_finite() && m.is_finite() && s.is_finite()) {
            return None;
        }
        parse_datetime(&format!("{} {:02}:{:02}:{:02}", date.trim(), h as u32, m as u32, s as u32))
    }

    pub fn gps(&self) -> Option<Gps> {
        let coordinate = |tag: Tag, reference: Tag, negative: char| -> Option<f64> {
            // A 0/0 part ("no seconds") is zero, not a reason to drop the fix. Some phones write SRATIONAL.
            let parts: Vec<f64> = match self.get(tag)? {
                Value::Rational(v) => v.iter().map(|r| if r.denom == 0 { 0.0 } else { r.to_f64() }).collect(),
                Value::SRational(v) => v.iter().map(|r| if r.denom == 0 { 0.0 } else { r.to_f64() }).collect(),
                _ => return None,
            };
            let mut parts = parts.into_iter();
            let d = parts.next()? + parts.next().unwrap_or(0.0) / 60.0 + parts.next().unwrap_or(0.0) / 3600.0;
            let negative = self.text(reference).is_some_and(|r| r.starts_with(negative));
            d.is_finite().then_some(if negative { -d } else { d })
        };
        let lat = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, 'S')?;
        let lon = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, 'W')?;
        if (lat == 0.0 && lon == 0.0) || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return None; // an empty GPS block, not a fix
        }
        let alt = self.float(Tag::GPSAltitude).map(|a| if self.uint(Tag::GPSAltitudeRef) == Some(1) { -a } else { a });
        Some(Gps { lat, lon, alt })
    }

    pub fn orientation(&self) -> Option<u8> {
        self.uint(Tag::Orientation).and_then(|o| u8::try_from(o).ok()).filter(|o| (1..=8).contains(o))
    }

    pub fn xmp(&self) -> Option<&[u8]> {
        self.bytes(Tag(Context::Tiff, 700))
    }

    pub fn iptc(&self) -> Option<Vec<u8>> {
        match self.get(Tag(Context::Tiff, 0x83bb))? {
            Value::Undefined(v, _) | Value::Byte(v) => Some(v.clone()),
            // Some writers store IPTC as LONGs; the bytes are the same, in file order.
            Value::Long(v) => Some(v.iter().flat_map(|l| l.to_be_bytes()).collect()),
            _ => None,
        }
    }

    /// Reconyx trail cameras (HyperFire) keep the date only in their maker note: six little-endian 16-bit words
    /// at byte 0x16: second, minute, hour, month, day, year.
    pub fn reconyx_taken(&self) -> Option<time::PrimitiveDateTime> {
        let note = self.bytes(Tag::MakerNote)?;
        if !note.starts_with(&[0x01, 0xF1]) {
            return None;
        }
        let w: Vec<u16> =
            note.get(0x16..0x16 + 12)?.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        parse_datetime(&format!("{:04}:{:02}:{:02} {:02}:{:02}:{:02}", w[5], w[3], w[4], w[2], w[1], w[0]))
    }

    /// Apple's MakerNote tag 0x11: the identifier shared by the photo and video of a Live Photo.
    pub fn apple_content_id(&self) -> Option<String> {
        let note = self.bytes(Tag::MakerNote)?;
        if !note.starts_with(b"Apple iOS\0") {
            return None;
        }
        let be = note.get(12..14)? == b"MM";
        let u16_at = |o: usize| {
            note.get(o..o + 2)
                .map(|b| if be { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
        };
        let u32_at = |o: usize| {
            note.get(o..o + 4).map(|b| {
                let a = [b[0], b[1], b[2], b[3]];
                if be {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                }
            })
        };
        let count = u16_at(14)? as usize;
        for i in 0..count.min(200) {
            let entry = 16 + i * 12;
            if u16_at(entry)? == 0x11 && u16_at(entry + 2)? == 2 {
                let len = u32_at(entry + 4)? as usize;
                let start = if len <= 4 { entry + 8 } else { u32_at(entry + 8)? as usize };
                let raw = note.get(start..start.checked_add(len)?)?;
                let id = String::from_utf8_lossy(raw).trim_end_matches('\0').to_string();
                return (!id.is_empty()).then_some(id);
            }
        }
        None
    }
}

/// Some cameras write the Exif/GPS/Interop IFD pointers as SLONG or IFD instead of LONG; exiftool follows them,
/// kamadak-exif rejects them. Retype them in our copy of the block so the GPS and Exif IFDs are not lost.
fn normalise_pointer_types(tiff: &mut [u8]) {
    let Some(walker) = Tiff::new(tiff) else { return };
    let le = walker.little_endian();
    let mut to_fix = Vec::new();
    let mut ifds: Vec<usize> = walker.first_ifd().into_iter().collect();
    let mut visited = 0;
    while let Some(offset) = ifds.pop() {
        // IFD0 and the Exif IFD are all that hold these pointers; a crafted loop ends here.
        visited += 1;
        if visited > 2 {
            break;
        }
        let Some((entries, _)) = walker.ifd(offset) else { continue };
        for e in entries.iter().filter(|e| matches!(e.tag, 0x8769 | 0x8825 | 0xA005)) {
            if matches!(e.kind, 9 | 13) {
                to_fix.push(e.pos);
            }
            // The Exif IFD holds the Interop pointer.
            if e.tag == 0x8769 {
                ifds.extend(walker.uints(e).first().map(|&o| o as usize));
            }
        }
    }
    let long = if le { 4u16.to_le_bytes() } else { 4u16.to_be_bytes() };
    for pos in to_fix {
        tiff[pos..pos + 2].copy_from_slice(&long);
    }
}

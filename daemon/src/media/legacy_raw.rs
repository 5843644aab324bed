//! Camera RAW formats that are not TIFF or ISO-BMFF underneath: Minolta MRW (a TIFF block inside its own
//! blocks), Canon CRW (CIFF heaps), Sigma X3F (UTF-16 property lists) and Kyocera RAW (fixed offsets, strings
//! stored reversed). No maintained crate reads their metadata; each reader is small and checks every offset.

use super::blocks::{Blocks, Direct};
use super::input::Input;
use super::taken::parse_datetime;

/// MRW: "\0MRM" header, then blocks: PRD (sizes), TTW (a TIFF block with the EXIF).
pub fn mrw(input: &Input) -> Blocks {
    let mut blocks = Blocks::default();
    let Ok(header) = input.range(0, 8) else { return blocks };
    let end = 8 + u32::from_be_bytes(header[4..8].try_into().unwrap_or([0; 4])) as u64;
    let mut pos = 8u64;
    while pos + 8 <= end.min(input.len) {
        let Ok(h) = input.range(pos, 8) else { break };
        let len = u32::from_be_bytes(h[4..8].try_into().unwrap_or([0; 4])) as u64;
        let Ok(body) = input.range(pos + 8, len) else { break };
        match &h[0..4] {
            b"\0PRD" if body.len() >= 16 => {
                let height = u16::from_be_bytes([body[12], body[13]]) as u32;
                let width = u16::from_be_bytes([body[14], body[15]]) as u32;
                blocks.size = Some((width, height));
            }
            b"\0TTW" => blocks.tiff.push((body.to_vec(), None)),
            _ => {}
        }
        pos += 8 + len;
    }
    blocks
}

/// CRW (Canon CIFF): a tree of heaps; each heap ends with the offset of its entry table.
pub fn crw(input: &Input) -> Blocks {
    let mut blocks = Blocks::default();
    if let Ok(data) = input.all() {
        ciff(&data, &mut blocks);
    }
    blocks
}

/// Reads a CIFF block ("II", header length, "HEAP...") into `blocks`: whole CRW files, and the APP0 segment
/// of early Canon JPEGs.
pub fn ciff(data: &[u8], blocks: &mut Blocks) {
    let Some(header_len) = data.get(2..6).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize) else {
        return;
    };
    if header_len <= data.len() {
        let mut budget = 5_000; // heap entries in all: real files have a few hundred
        ciff_heap(data, header_len, data.len(), 0, blocks, &mut budget);
    }
}

fn ciff_heap(data: &[u8], start: usize, end: usize, depth: u8, blocks: &mut Blocks, budget: &mut usize) {
    let le32 = |o: usize| data.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize);
    let le16 = |o: usize| data.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    if depth > 8 || end <= start + 4 {
        return;
    }
    let Some(table) = le32(end - 4).map(|t| start + t) else { return };
    let Some(count) = le16(table) else { return };
    for i in 0..count.min(1000) as usize {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let entry = table + 2 + i * 10;
        let (Some(tag), Some(size), Some(offset)) = (le16(entry), le32(entry + 2), le32(entry + 6)) else { return };
        let in_entry = tag & 0xC000 == 0x4000;
        let value = if in_entry {
            data.get(entry + 2..entry + 10)
        } else {
            start.checked_add(offset).and_then(|o| data.get(o..o.checked_add(size)?))
        };
        let Some(value) = value else { continue };
        match tag & 0x3FFF {
            // Sub-heaps (ImageProps, ExifInformation...) nest the same structure.
            // A sub-heap must be a strict part of its parent, or a crafted file could recurse without end.
            _ if matches!(tag & 0x3800, 0x2800 | 0x3000) && !in_entry && size < end - start => {
                let sub_start = start + offset;
                ciff_heap(data, sub_start, sub_start + size, depth + 1, blocks, budget);
            }
            0x080a => {
                // Make is a fixed 6-byte field, the model follows (exiftool's CanonRawMakeModel).
                blocks.direct.make = c_text(&value[..value.len().min(6)]);
                blocks.direct.model = value.get(6..).and_then(c_text);
            }
            0x180e if value.len() >= 4 => {
                // Seconds since 1970 of the camera's local clock.
                let seconds = u32::from_le_bytes(value[0..4].try_into().unwrap_or([0; 4])) as i64;
                if let Ok(t) = time::OffsetDateTime::from_unix_timestamp(seconds) {
                    blocks.direct.taken = Some(time::PrimitiveDateTime::new(t.date(), t.time()));
                    blocks.direct.taken_source = "MakerNotes:DateTimeOriginal";
                }
            }
            0x1810 if value.len() >= 8 => {
                let w = u32::from_le_bytes(value[0..4].try_into().unwrap_or([0; 4]));
                let h = u32::from_le_bytes(value[4..8].try_into().unwrap_or([0; 4]));
                blocks.size = Some((w, h));
            }
            _ => {}
        }
    }
}

/// X3F (Sigma/Foveon): sizes in the header; make, model and time in a PROP section listed in the directory
/// whose offset is the file's last four bytes.
/// A fixed-size text field: up to its first NUL, trimmed; nothing when empty.
fn c_text(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    Some(String::from_utf8_lossy(&b[..end]).trim().to_string()).filter(|s| !s.is_empty())
}

pub fn x3f(input: &Input) -> Blocks {
    let mut blocks = Blocks::default();
    let Ok(data) = input.all() else { return blocks };
    let le32 = |o: usize| data.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize);
    if let (Some(w), Some(h)) = (le32(0x1c), le32(0x20)) {
        blocks.size = Some((w as u32, h as u32));
    }
    let Some(dir) = data.len().checked_sub(4).and_then(le32) else { return blocks };
    if data.get(dir..dir + 4) != Some(b"SECd") {
        return blocks;
    }
    let count = le32(dir + 8).unwrap_or(0).min(64);
    for i in 0..count {
        let entry = dir + 12 + i * 12;
        let (Some(offset), Some(len)) = (le32(entry), le32(entry + 4)) else { break };
        if data.get(entry + 8..entry + 12) != Some(b"PROP") {
            continue;
        }
        let Some(section) = data.get(offset..offset.saturating_add(len)) else { continue };
        for (name, value) in x3f_properties(section) {
            match name.as_str() {
                "CAMMANUF" => blocks.direct.make = Some(value),
                "CAMMODEL" => blocks.direct.model = Some(value),
                "TIME" => {
                    if let Some(t) =
                        value.parse::<i64>().ok().and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                    {
                        blocks.direct.taken = Some(time::PrimitiveDateTime::new(t.date(), t.time()));
                        blocks.direct.taken_source = "X3F:TIME";
                    }
                }
                _ => {}
            }
        }
    }
    blocks
}

fn x3f_properties(section: &[u8]) -> Vec<(String, String)> {
    let le32 = |o: usize| section.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize);
    if !section.starts_with(b"SECp") {
        return Vec::new();
    }
    let count = le32(8).unwrap_or(0).min(1000);
    let chars_at = 24 + count * 8;
    let utf16 = |start: usize| -> Option<String> {
        let from = chars_at.checked_add(start.checked_mul(2)?)?;
        let units: Vec<u16> = section
            .get(from..)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .take(1024)
            .collect();
        Some(String::from_utf16_lossy(&units))
    };
    (0..count)
        .filter_map(|i| {
            let (name, value) = (le32(24 + i * 8)?, le32(28 + i * 8)?);
            Some((utf16(name)?, utf16(value)?))
        })
        .collect()
}

/// Kyocera RAW: fixed offsets, and every string stored back to front.
pub fn kyocera(input: &Input) -> Blocks {
    let mut blocks = Blocks::default();
    let reversed = |offset: usize, len: usize| -> Option<String> {
        let raw = input.head.get(offset..offset + len)?;
        let s: String = raw.iter().rev().map(|&b| b as char).collect();
        let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
        (!s.is_empty()).then_some(s)
    };
    blocks.direct = Direct {
        model: reversed(0x0c, 12),
        make: reversed(0x19, 7),
        taken: reversed(0x21, 20).and_then(|s| parse_datetime(&s)),
        taken_source: "MakerNotes:DateTimeOriginal",
    };
    blocks
}

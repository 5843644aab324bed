//! ISO base media file format (HEIF/HEIC/AVIF images and Canon CR3): just enough of the box tree to find the
//! primary image's size and transforms (`ispe`, `irot`, `imir`) and its Exif and XMP items. Decoding stays with
//! libheif; this is the cheap metadata path. Every length is checked against its parent box.

use super::input::Input;

pub struct HeifInfo {
    /// Stored size of the primary image (before `irot`).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Counter-clockwise quarter turns from `irot`.
    pub rotation_quarters: u8,
    /// Whether the primary image also carries `imir` (mirror) or `clap` (crop) transforms.
    pub other_transforms: bool,
    /// TIFF bytes of the Exif item, with the item's header offset already skipped.
    pub exif: Option<Vec<u8>>,
    pub xmp: Option<Vec<u8>>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn sized(&mut self, size: u8) -> Option<u64> {
        match size {
            0 => Some(0),
            4 => self.u32().map(u64::from),
            8 => self.take(8).map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8]))),
            _ => None,
        }
    }
    fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        self.pos += end + 1;
        Some(&rest[..end])
    }
}

/// Iterates over the boxes in `data`: (type, payload).
pub fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let header = data.get(pos..pos + 8)?;
        let mut size = u32::from_be_bytes(header[0..4].try_into().ok()?) as u64;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let mut header_len = 8u64;
        if size == 1 {
            size = u64::from_be_bytes(data.get(pos + 8..pos + 16)?.try_into().ok()?);
            header_len = 16;
        } else if size == 0 {
            size = (data.len() - pos) as u64;
        }
        if size < header_len {
            return None;
        }
        let end = pos.checked_add(usize::try_from(size).ok()?)?;
        let payload = data.get(pos + header_len as usize..end.min(data.len()))?;
        pos = end;
        Some((kind, payload))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, p)| p)
}

/// Reads the HEIF `meta` box. `None` when the file has no usable `meta` (not a HEIF image).
pub fn read_heif(input: &Input) -> Option<HeifInfo> {
    let meta = top_level_box(input, b"meta")?;
    let meta = meta.get(4..)?; // FullBox header
    let primary = child(meta, b"pitm").and_then(|p| {
        let mut c = Cursor::new(p);
        let version = c.u8()?;
        c.take(3)?;
        if version == 0 {
            c.u16().map(u32::from)
        } else {
            c.u32()
        }
    })?;
    let items = item_types(child(meta, b"iinf")?);
    let locations = child(meta, b"iloc").map(item_locations).unwrap_or_default();
    let idat = child(meta, b"idat");
    let mut info =
        HeifInfo { width: None, height: None, rotation_quarters: 0, other_transforms: false, exif: None, xmp: None };
    if let Some(iprp) = child(meta, b"iprp") {
        let properties: Vec<([u8; 4], &[u8])> = child(iprp, b"ipco").map(|p| boxes(p).collect()).unwrap_or_default();
        for index in associations(child(iprp, b"ipma")?, primary) {
            let Some((kind, payload)) = properties.get(index.wrapping_sub(1) as usize) else { continue };
            let mut c = Cursor::new(payload);
            match kind {
                b"ispe" => {
                    c.take(4);
                    info.width = c.u32();
                    info.height = c.u32();
                }
                b"irot" => info.rotation_quarters = c.u8().unwrap_or(0) & 3,
                b"imir" | b"clap" => info.other_transforms = true,
                _ => {}
            }
        }
    }
    let read_item = |id: u32| -> Option<Vec<u8>> {
        let (method, extents) = locations.iter().find(|(i, _, _)| *i == id).map(|(_, m, e)| (*m, e))?;
        let mut out = Vec::new();
        for &(offset, len) in extents {
            if out.len() as u64 + len > super::input::MAX_BLOCK {
                return None;
            }
            match method {
                0 => out.extend_from_slice(&input.range(offset, len).ok()?),
                1 => out.extend_from_slice(idat?.get(offset as usize..(offset + len) as usize)?),
                _ => return None,
            }
        }
        Some(out)
    };
    // Metadata items describe the primary image through `cdsc` references; in practice there is one of each.
    for (id, kind, content_type) in &items {
        if kind == b"Exif" && info.exif.is_none() {
            info.exif = read_item(*id).and_then(|data| {
                let skip = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?) as usize;
                data.get(4 + skip..).map(<[u8]>::to_vec)
            });
        } else if kind == b"mime" && content_type.as_deref() == Some(b"application/rdf+xml".as_slice()) {
            info.xmp = info.xmp.take().or_else(|| read_item(*id));
        }
    }
    Some(info)
}

/// Finds a top-level box, reading it from the file when it lies beyond the head.
fn top_level_box<'a>(input: &'a Input, kind: &[u8; 4]) -> Option<std::borrow::Cow<'a, [u8]>> {
    let mut pos = 0u64;
    // Real files have a handful of top-level boxes; millions of empty ones are an attack, not a photo.
    for _ in 0..10_000 {
        if pos + 8 > input.len {
            break;
        }
        let header = input.range(pos, 16.min(input.len - pos)).ok()?;
        let mut size = u32::from_be_bytes(header[0..4].try_into().ok()?) as u64;
        let mut header_len = 8;
        if size == 1 {
            size = u64::from_be_bytes(header.get(8..16)?.try_into().ok()?);
            header_len = 16;
        } else if size == 0 {
            size = input.len - pos;
        }
        if size < header_len {
            return None;
        }
        if &header[4..8] == kind {
            return input.range(pos + header_len, size - header_len).ok();
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// (item id, item type, MIME content type) from `iinf`.
fn item_types(iinf: &[u8]) -> Vec<(u32, [u8; 4], Option<Vec<u8>>)> {
    let mut c = Cursor::new(iinf);
    let Some(version) = c.u8() else { return Vec::new() };
    c.take(3);
    if version == 0 {
        c.u16().map(u32::from)
    } else {
        c.u32()
    };
    let rest = iinf.get(c.pos..).unwrap_or(&[]);
    boxes(rest)
        .filter(|(k, _)| k == b"infe")
        .filter_map(|(_, p)| {
            let mut c = Cursor::new(p);
            let version = c.u8()?;
            c.take(3)?;
            if version < 2 {
                return None;
            }
            let id = if version == 2 { c.u16().map(u32::from)? } else { c.u32()? };
            c.u16()?;
            let kind: [u8; 4] = c.take(4)?.try_into().ok()?;
            c.cstr();
            let content_type = if &kind == b"mime" { c.cstr().map(<[u8]>::to_vec) } else { None };
            Some((id, kind, content_type))
        })
        .collect()
}

/// (item id, construction method, extents (offset, length)) of one item.
type ItemLocation = (u32, u8, Vec<(u64, u64)>);

/// Every item's location, from `iloc`.
fn item_locations(iloc: &[u8]) -> Vec<ItemLocation> {
    let parse = || -> Option<Vec<ItemLocation>> {
        let mut c = Cursor::new(iloc);
        let version = c.u8()?;
        c.take(3)?;
        let sizes = c.u16()?;
        let (offset_size, length_size, base_size) =
            ((sizes >> 12) as u8, (sizes >> 8 & 15) as u8, (sizes >> 4 & 15) as u8);
        let index_size = if version >= 1 { (sizes & 15) as u8 } else { 0 };
        let count = if version < 2 { c.u16()? as u32 } else { c.u32()? };
        let mut out = Vec::new();
        for _ in 0..count.min(10_000) {
            let id = if version < 2 { c.u16()? as u32 } else { c.u32()? };
            let method = if version >= 1 { (c.u16()? & 15) as u8 } else { 0 };
            c.u16()?;
            let base = c.sized(base_size)?;
            let extents = c.u16()?.min(1024);
            let mut list = Vec::new();
            for _ in 0..extents {
                c.sized(index_size)?;
                let offset = c.sized(offset_size)?;
                let len = c.sized(length_size)?;
                list.push((base.checked_add(offset)?, len));
            }
            out.push((id, method, list));
        }
        Some(out)
    };
    parse().unwrap_or_default()
}

/// The 1-based property indices associated with `item` in `ipma`.
fn associations(ipma: &[u8], item: u32) -> Vec<u16> {
    let parse = || -> Option<Vec<u16>> {
        let mut c = Cursor::new(ipma);
        let version = c.u8()?;
        let flags = c.take(3)?;
        let wide = flags[2] & 1 == 1;
        let count = c.u32()?;
        for _ in 0..count.min(100_000) {
            let id = if version < 1 { c.u16()? as u32 } else { c.u32()? };
            let n = c.u8()?;
            let mut list = Vec::new();
            for _ in 0..n {
                list.push(if wide { c.u16()? & 0x7fff } else { (c.u8()? & 0x7f) as u16 });
            }
            if id == item {
                return Some(list);
            }
        }
        None
    };
    parse().unwrap_or_default()
}

/// Canon CR3: the TIFF blocks in `moov/uuid(85c0b687...)`: CMT1 (IFD0), CMT2 (Exif IFD), CMT4 (GPS IFD).
pub fn read_cr3(input: &Input) -> Vec<([u8; 4], Vec<u8>)> {
    const CANON_UUID: [u8; 16] =
        [0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48];
    let Some(moov) = top_level_box(input, b"moov") else { return Vec::new() };
    boxes(&moov)
        .filter(|(k, p)| k == b"uuid" && p.get(..16) == Some(&CANON_UUID[..]))
        .flat_map(|(_, p)| {
            boxes(&p[16..]).filter(|(k, _)| k.starts_with(b"CMT")).map(|(k, d)| (k, d.to_vec())).collect::<Vec<_>>()
        })
        .collect()
}

/// What a QuickTime/MP4/3GP/HEIF-sequence movie header says: the creation time (UTC, `mvhd`), the first
/// visual track's size (`tkhd`), and the user-data date (`udta/date` or `udta/©day`, local time with offset).
#[derive(Debug, Default)]
pub struct MovieHeader {
    pub created_utc: Option<time::PrimitiveDateTime>,
    pub track_size: Option<(u32, u32)>,
    pub user_date: Option<String>,
}

pub fn read_movie_header(input: &Input) -> MovieHeader {
    let mut out = MovieHeader::default();
    let Some(moov) = top_level_box(input, b"moov") else { return out };
    // QuickTime counts seconds from 1904-01-01; zero means "not set".
    const EPOCH_1904: i64 = -2_082_844_800;
    for (kind, payload) in boxes(&moov) {
        match &kind {
            b"mvhd" => {
                let mut c = Cursor::new(payload);
                let version = c.u8().unwrap_or(0);
                c.take(3);
                let created = if version == 1 { c.sized(8) } else { c.u32().map(u64::from) };
                out.created_utc = created
                    .filter(|&s| s > 0)
                    .and_then(|s| time::OffsetDateTime::from_unix_timestamp(EPOCH_1904 + s as i64).ok())
                    .map(|t| time::PrimitiveDateTime::new(t.date(), t.time()));
            }
            b"trak" if out.track_size.is_none() => {
                if let Some(tkhd) = child(payload, b"tkhd") {
                    let version = tkhd.first().copied().unwrap_or(0);
                    let at = if version == 1 { 4 + 32 + 52 } else { 4 + 20 + 52 };
                    let mut c = Cursor::new(tkhd.get(at..).unwrap_or(&[]));
                    if let (Some(w), Some(h)) = (c.u32(), c.u32()) {
                        let (w, h) = (w >> 16, h >> 16);
                        if w > 0 && h > 0 {
                            out.track_size = Some((w, h));
                        }
                    }
                }
            }
            b"udta" => {
                // 3GPP phones write a bare `date` box holding the text.
                if let Some(date) = child(payload, b"date") {
                    out.user_date = Some(String::from_utf8_lossy(date).trim_matches('\0').trim().to_string());
                }
                if let Some(day) = child(payload, b"\xa9day") {
                    // QuickTime text: u16 length, u16 language, then the text.
                    let mut c = Cursor::new(day);
                    if let (Some(len), Some(_)) = (c.u16(), c.u16()) {
                        out.user_date = c.take(len as usize).map(|t| String::from_utf8_lossy(t).trim().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

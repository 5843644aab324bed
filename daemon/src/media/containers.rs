//! Finds the metadata blocks (EXIF/TIFF, XMP, IPTC) and the stored pixel size inside each image container:
//! JPEG segments, PNG chunks, WebP chunks, HEIF items, the TIFF family, RAF and CR3. Parsing what is inside a
//! block is the job of `exif`, `xmp` and `iptc`.

use exif::Context;

use super::blocks::Blocks;
use super::bmff;
use super::detect::Format;
use super::input::Input;
use super::legacy_raw;
use super::tiff_ifd;

pub fn read_blocks(format: Format, input: &Input) -> Result<Blocks, String> {
    match format {
        Format::Jpeg => jpeg(input, 0),
        Format::Png => Ok(png(input)),
        Format::Webp => Ok(webp(input)),
        Format::Gif | Format::Bmp | Format::OtherImage => {
            Ok(Blocks { size: pixel_size(&input.head), ..Blocks::default() })
        }
        Format::Tiff | Format::TiffRaw => {
            let mut data = input.all().map_err(|e| e.to_string())?.into_owned();
            let panasonic = data.get(2..4) == Some(b"U\0");
            // ORF ("IIRO"/"MMOR") and RW2 ("IIU\0") are TIFF with another magic number.
            if data.len() > 4 && (data[2..4] == *b"RO" || data[2..4] == *b"OR" || data[2..4] == *b"RS" || panasonic) {
                let magic = if data[0] == b'I' { b"*\0" } else { b"\0*" };
                data[2..4].copy_from_slice(magic);
            }
            let mut blocks = Blocks::default();
            if let Some(tiff) = tiff_ifd::Tiff::new(&data) {
                if format == Format::TiffRaw {
                    blocks.size = if panasonic { tiff.panasonic_size() } else { tiff.dng_crop_size() };
                    blocks.fallback_size = tiff.main_image_size();
                }
            }
            if format == Format::Tiff {
                blocks.size = pixel_size(&input.head); // also reads BigTIFF, which the EXIF parser does not
            }
            blocks.tiff.push((data, None));
            Ok(blocks)
        }
        Format::Heif => {
            let movie = bmff::read_movie_header(input);
            let mut blocks = match bmff::read_heif(input) {
                Some(info) => Blocks {
                    tiff: info.exif.map(|e| vec![(e, None)]).unwrap_or_default(),
                    xmp: info.xmp.into_iter().collect(),
                    size: info.width.zip(info.height),
                    heif_rotation: Some(info.rotation_quarters),
                    ..Blocks::default()
                },
                // An image sequence (avis, msf1) may have only a movie.
                None if movie.track_size.is_some() => Blocks::default(),
                None => return Err("HEIF file without a readable meta box".into()),
            };
            blocks.size = blocks.size.or(movie.track_size);
            blocks.direct.taken = movie.created_utc;
            blocks.direct.taken_source = "QuickTime:CreateDate";
            Ok(blocks)
        }
        Format::Raf => {
            // The RAF header points at a full JPEG preview that carries the EXIF.
            let offset =
                u32::from_be_bytes(input.range(84, 4).map_err(|e| e.to_string())?[..4].try_into().unwrap_or([0; 4]));
            let mut blocks = jpeg(input, offset as u64)?;
            blocks.size = raf_cropped_size(input); // not the preview's size
            Ok(blocks)
        }
        Format::Cr3 => {
            let mut blocks = Blocks::default();
            for (kind, data) in bmff::read_cr3(input) {
                let context = match &kind {
                    b"CMT1" => None,
                    b"CMT2" => Some(Context::Exif),
                    b"CMT4" => Some(Context::Gps),
                    _ => continue,
                };
                blocks.tiff.push((data, context));
            }
            Ok(blocks)
        }
        Format::Mrw => Ok(legacy_raw::mrw(input)),
        Format::Crw => Ok(legacy_raw::crw(input)),
        Format::X3f => Ok(legacy_raw::x3f(input)),
        Format::Kyocera => Ok(legacy_raw::kyocera(input)),
        Format::Jp2 | Format::Jxl => Ok(jpeg2000_or_xl(input)),
        Format::Video | Format::Unknown => Ok(Blocks::default()),
    }
}

fn pixel_size(data: &[u8]) -> Option<(u32, u32)> {
    imagesize::blob_size(data).ok().map(|s| (s.width as u32, s.height as u32))
}

/// Walks JPEG segments from `start` up to the first frame header (SOFn), which gives the size. Garbage between
/// segments is skipped as exiftool does, so a damaged file still gives the metadata it has.
fn jpeg(input: &Input, start: u64) -> Result<Blocks, String> {
    let mut blocks = Blocks::default();
    let mut pos = start;
    let mut extended_xmp: Vec<u8> = Vec::new();
    // Every byte skipped while resynchronising counts: a file of 0xFF bytes must end the walk quickly.
    let mut skipped = 0u64;
    let mut segments = 0;
    loop {
        segments += 1;
        if skipped > 64 * 1024 || segments > 10_000 {
            break;
        }
        let Ok(marker) = input.range(pos, 4) else { break };
        if marker[0] != 0xFF {
            skipped += 1;
            pos += 1;
            continue;
        }
        let kind = marker[1];
        if kind == 0xFF || kind == 0x00 || kind == 0x01 || (0xD0..=0xD8).contains(&kind) {
            let step = if kind == 0xFF { 1 } else { 2 }; // fill byte, or a marker without a length
            skipped += step;
            pos += step;
            continue;
        }
        if kind == 0xD9 || kind == 0xDA {
            break; // end of image, or start of scan without a frame header
        }
        let len = u16::from_be_bytes([marker[2], marker[3]]) as u64;
        if len < 2 {
            skipped += 2; // a marker-like byte pair inside damaged data: resynchronise on the next one
            pos += 2;
            continue;
        }
        let is_sof = matches!(kind, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if is_sof || matches!(kind, 0xE0 | 0xE1 | 0xED) {
            let Ok(body) = input.range(pos + 4, len - 2) else { break };
            if is_sof {
                if body.len() >= 5 {
                    let h = u16::from_be_bytes([body[1], body[2]]) as u32;
                    let w = u16::from_be_bytes([body[3], body[4]]) as u32;
                    blocks.size = Some((w, h));
                }
                break;
            } else if kind == 0xE0 && body.get(6..10) == Some(b"HEAP") {
                legacy_raw::ciff(&body, &mut blocks);
            } else if kind == 0xE1 && body.starts_with(b"Exif\0") && blocks.tiff.is_empty() {
                blocks.tiff.push((body.get(6..).unwrap_or(&[]).to_vec(), None));
            } else if kind == 0xE1 && body.starts_with(b"http://ns.adobe.com/xap/1.0/\0") {
                blocks.xmp.push(body[29..].to_vec());
            } else if kind == 0xE1 && body.starts_with(b"http://ns.adobe.com/xmp/extension/\0") {
                // Extended XMP: GUID(32) + full length(4) + offset(4), then a slice of the packet.
                if let Some(part) = body.get(35 + 40..) {
                    extended_xmp.extend_from_slice(part);
                }
            } else if kind == 0xED && body.starts_with(b"Photoshop 3.0\0") {
                blocks.iptc = photoshop_iptc(&body[14..]);
            }
        }
        pos += 2 + len;
    }
    if !extended_xmp.is_empty() {
        blocks.xmp.push(extended_xmp);
    }
    if blocks.size.is_none() && blocks.tiff.is_empty() && blocks.xmp.is_empty() {
        return Err("corrupt JPEG: no frame header and no metadata could be found".into());
    }
    Ok(blocks)
}

/// The IPTC resource (id 0x0404) in a Photoshop image-resource block.
fn photoshop_iptc(mut data: &[u8]) -> Option<Vec<u8>> {
    while data.len() >= 12 && data.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([data[4], data[5]]);
        let name_len = data[6] as usize;
        let name_total = (1 + name_len + 1) & !1; // Pascal string padded to even
        let size_at = 6 + name_total;
        let size = u32::from_be_bytes(data.get(size_at..size_at + 4)?.try_into().ok()?) as usize;
        let body = data.get(size_at + 4..(size_at + 4).checked_add(size)?)?;
        if id == 0x0404 {
            return Some(body.to_vec());
        }
        data = data.get(size_at + 4 + ((size + 1) & !1)..)?;
    }
    None
}

/// PNG chunks. EXIF may come after the image data (older writers), so the walk goes on past IDAT, reading only
/// chunk headers from the file.
fn png(input: &Input) -> Blocks {
    let mut blocks = Blocks { size: pixel_size(&input.head), ..Blocks::default() };
    let mut pos = 8u64;
    let mut chunks = 0;
    while let Ok(header) = input.range(pos, 8) {
        chunks += 1;
        if chunks > 100_000 {
            break;
        }
        let len = u32::from_be_bytes(header[0..4].try_into().unwrap_or([0; 4])) as u64;
        let kind: [u8; 4] = header[4..8].try_into().unwrap_or([0; 4]);
        if &kind == b"IEND" {
            break;
        }
        let wanted = matches!(&kind, b"eXIf" | b"iTXt");
        if wanted {
            let Ok(body) = input.range(pos + 8, len) else { break };
            match &kind {
                b"eXIf" => blocks.tiff.push((strip_exif_prefix(&body).to_vec(), None)),
                b"iTXt" if body.starts_with(b"XML:com.adobe.xmp\0") => {
                    // keyword\0 compression-flag method language\0 translated\0 text
                    let rest = &body[18..];
                    if let (Some(0), Some(after)) = (rest.first(), rest.get(2..)) {
                        let mut parts = after.splitn(3, |&b| b == 0);
                        if let (Some(_), Some(_), Some(text)) = (parts.next(), parts.next(), parts.next()) {
                            blocks.xmp.push(text.to_vec());
                        }
                    }
                }
                _ => {}
            }
        }
        pos += 12 + len;
    }
    blocks
}

/// WebP's RIFF chunks. Cameras and converters write EXIF and XMP after the image data (VP8/VP8L), usually far
/// beyond the head, so chunks are read where they are; the image data itself is skipped, never read.
fn webp(input: &Input) -> Blocks {
    let mut blocks = Blocks { size: pixel_size(&input.head), ..Blocks::default() };
    let mut pos = 12u64;
    let mut chunks = 0;
    while let Ok(header) = input.range(pos, 8) {
        chunks += 1;
        if chunks > 100_000 {
            break;
        }
        let len = u64::from(u32::from_le_bytes(header[4..8].try_into().unwrap_or([0; 4])));
        let kind: [u8; 4] = header[0..4].try_into().unwrap_or([0; 4]);
        if matches!(&kind, b"EXIF" | b"XMP ") {
            let Ok(body) = input.range(pos + 8, len) else { break };
            match &kind {
                b"EXIF" => blocks.tiff.push((strip_exif_prefix(&body).to_vec(), None)),
                _ => blocks.xmp.push(body.into_owned()),
            }
        }
        pos += 8 + len + (len & 1);
    }
    blocks
}

/// Some writers put JPEG's "Exif\0\0" marker in front of the TIFF data of PNG and WebP.
fn strip_exif_prefix(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"Exif\0\0").unwrap_or(body)
}

/// JPEG 2000 and JPEG XL containers: EXIF in a `uuid` box (JP2) or an `Exif` box (JXL), XMP in an `xml ` box,
/// and (JP2) the size in `jp2h/ihdr`.
fn jpeg2000_or_xl(input: &Input) -> Blocks {
    const EXIF_UUID: &[u8; 16] = b"JpgTiffExif->JP2";
    const XMP_UUID: [u8; 16] =
        [0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac];
    let mut blocks = Blocks::default();
    let Ok(data) = input.all() else { return blocks };
    for (kind, payload) in bmff::boxes(&data) {
        match &kind {
            b"jp2h" => {
                if let Some(ihdr) = bmff::boxes(payload).find(|(k, _)| k == b"ihdr").map(|(_, p)| p) {
                    if ihdr.len() >= 8 {
                        let h = u32::from_be_bytes(ihdr[0..4].try_into().unwrap_or([0; 4]));
                        let w = u32::from_be_bytes(ihdr[4..8].try_into().unwrap_or([0; 4]));
                        blocks.size = Some((w, h));
                    }
                }
            }
            b"uuid" if payload.starts_with(EXIF_UUID) => {
                blocks.tiff.push((strip_exif_prefix(&payload[16..]).to_vec(), None));
            }
            b"uuid" if payload.starts_with(&XMP_UUID) => blocks.xmp.push(payload[16..].to_vec()),
            b"Exif" if payload.len() > 4 => {
                let skip = u32::from_be_bytes(payload[0..4].try_into().unwrap_or([0; 4])) as usize;
                if let Some(tiff) = payload.get(4 + skip..) {
                    blocks.tiff.push((tiff.to_vec(), None));
                }
            }
            b"xml " => blocks.xmp.push(payload.to_vec()),
            _ => {}
        }
    }
    blocks
}

/// RAF: the raw directory the header points at (offset 92) lists RawImageCroppedSize (tag 0x111, height then
/// width), the size exiftool and raw converters show.
fn raf_cropped_size(input: &Input) -> Option<(u32, u32)> {
    let offset = u32::from_be_bytes(input.range(92, 4).ok()?[..4].try_into().ok()?) as u64;
    let header = input.range(offset, 4).ok()?;
    let count = u32::from_be_bytes(header[..4].try_into().ok()?).min(256);
    let mut pos = offset + 4;
    for _ in 0..count {
        let entry = input.range(pos, 4).ok()?;
        let (tag, size) = (u16::from_be_bytes([entry[0], entry[1]]), u16::from_be_bytes([entry[2], entry[3]]) as u64);
        if tag == 0x111 && size >= 4 {
            let v = input.range(pos + 4, 4).ok()?;
            let (h, w) = (u16::from_be_bytes([v[0], v[1]]) as u32, u16::from_be_bytes([v[2], v[3]]) as u32);
            return Some((w, h)).filter(|(w, h)| *w > 0 && *h > 0);
        }
        pos += 4 + size;
    }
    None
}

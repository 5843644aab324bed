//! The embedded preview of a RAW file: camera RAW formats all carry a full-size or large JPEG rendered by the
//! camera. Rather than following each maker's pointers, the file is searched for JPEG streams and the largest
//! 8-bit one wins; the lossless JPEG that holds the sensor data itself (SOF3, or more than 8 bits) is skipped.

/// The largest baseline or progressive 8-bit JPEG stream inside `data`, from its start to the end of the data.
pub fn largest_jpeg(data: &[u8]) -> Option<&[u8]> {
    let mut best: Option<(u64, usize)> = None;
    let mut pos = 0;
    let mut candidates = 0;
    while let Some(found) = find_soi(&data[pos..]) {
        let start = pos + found;
        candidates += 1;
        if candidates > 256 {
            break;
        }
        if let Some((w, h)) = frame_size(&data[start..]) {
            let area = w as u64 * h as u64;
            if best.is_none_or(|(a, _)| area > a) {
                best = Some((area, start));
            }
        }
        pos = start + 3;
    }
    best.map(|(_, start)| &data[start..])
}

fn find_soi(data: &[u8]) -> Option<usize> {
    data.windows(3).position(|w| w == [0xFF, 0xD8, 0xFF])
}

/// Width and height from the frame header of the JPEG starting at `data`, if it is an 8-bit colour or grey
/// image a decoder can show.
fn frame_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut pos = 2;
    for _ in 0..64 {
        if *data.get(pos)? != 0xFF {
            return None;
        }
        let marker = *data.get(pos + 1)?;
        let len = u16::from_be_bytes([*data.get(pos + 2)?, *data.get(pos + 3)?]) as usize;
        match marker {
            0xC0..=0xC2 => {
                let body = data.get(pos + 4..pos + 2 + len)?;
                let (precision, h, w, components) =
                    (body[0], u16::from_be_bytes([body[1], body[2]]), u16::from_be_bytes([body[3], body[4]]), body[5]);
                let usable = precision == 8 && (components == 1 || components == 3) && w > 0 && h > 0;
                return usable.then_some((w as u32, h as u32));
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDA | 0xD9 => return None,
            _ => pos += 2 + len,
        }
    }
    None
}

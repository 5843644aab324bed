//! Video metadata through FFmpeg's demuxers (ffmpeg-next): duration, codecs, size, frame rate, bitrate,
//! rotation (display matrix), creation time, GPS (ISO 6709, Apple and Android keys) and Apple's Live Photo
//! content identifier. Only containers are parsed here; nothing is decoded.

use ffmpeg::codec::packet::side_data::Type as SideDataType;
use ffmpeg::media::Type as StreamType;
use ffmpeg_next as ffmpeg;

use super::bmff;
use super::input::Input;
use super::reading::{Gps, Reading, Taken};
use super::taken::parse_iso;

pub fn init() {
    let _ = ffmpeg::init();
    ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
}

pub fn read(source: &crate::media::input::Source, reading: &mut Reading) -> Result<(), String> {
    let input = crate::ffi::open_media(source).map_err(|e| format!("FFmpeg cannot read this video: {e}"))?;
    let duration = input.duration();
    if duration > 0 {
        reading.duration = Some(duration as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE));
    }
    if input.bit_rate() > 0 {
        reading.bitrate = Some(input.bit_rate() as u64);
    }
    let meta = input.metadata();
    let get = |keys: &[&str]| keys.iter().find_map(|k| meta.get(k)).map(str::to_string);
    reading.make = get(&["com.apple.quicktime.make", "make"]);
    reading.model = get(&["com.apple.quicktime.model", "model"]);
    reading.content_id = get(&["com.apple.quicktime.content.identifier"]);
    reading.description =
        get(&["com.apple.quicktime.description", "description", "comment"]).filter(|d| !d.trim().is_empty());
    if let Some(location) = get(&["com.apple.quicktime.location.ISO6709", "location", "location-eng"]) {
        reading.gps = parse_iso6709(&location);
    }
    // Apple's creationdate carries the local offset; creation_time is UTC.
    let local =
        get(&["com.apple.quicktime.creationdate"]).and_then(|s| parse_iso(&s)).filter(|t| t.offset_minutes.is_some());
    // Matroska keeps the date on the streams.
    let stream_date = input.streams().find_map(|s| s.metadata().get("creation_time").map(str::to_string));
    let utc = get(&["creation_time"]).or(stream_date).and_then(|s| parse_iso(&s)).filter(|t| t.local.year() > 1970);
    if let Some(t) = local {
        reading.taken = Some(t);
        reading.taken_source = Some("QuickTime:CreationDate".into());
    } else if let Some(t) = utc {
        reading.taken = Some(Taken { local: t.local, offset_minutes: Some(0) });
        reading.taken_source = Some("QuickTime:CreateDate".into());
    }
    let video = input
        .streams()
        .filter(|s| s.parameters().medium() == StreamType::Video)
        .find(|s| !s.disposition().contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC));
    if let Some(stream) = video {
        let parameters = stream.parameters();
        reading.video_codec = Some(parameters.id().name().to_string());
        let (w, h) = crate::ffi::codec_dimensions(&parameters);
        let rotation = display_rotation(&stream).unwrap_or(0);
        reading.rotation = Some(rotation);
        if w > 0 && h > 0 {
            let (w, h) = (w as u32, h as u32);
            let (w, h) = if rotation % 180 == 90 { (h, w) } else { (w, h) };
            reading.width = Some(w);
            reading.height = Some(h);
        }
        let rate = f64::from(stream.avg_frame_rate());
        if rate.is_finite() && rate > 0.0 {
            reading.frame_rate = Some((rate * 1000.0).round() / 1000.0);
        }
        // AVI headers count video frames; the container duration there is the longest stream (often audio).
        if input.format().name() == "avi" {
            let from_stream = (stream.duration() > 0).then(|| stream.duration() as f64 * f64::from(stream.time_base()));
            let from_frames = (stream.frames() > 0 && rate > 0.0).then(|| stream.frames() as f64 / rate);
            if let Some(d) = from_stream.or(from_frames).filter(|d| *d > 0.0) {
                reading.duration = Some(d);
            }
        }
    }
    if let Some(audio) = input.streams().best(StreamType::Audio) {
        reading.audio_codec = Some(audio.parameters().id().name().to_string());
    }
    Ok(())
}

/// Clockwise degrees (0, 90, 180, 270) to turn the stored frames upright, from the display matrix; the same
/// arithmetic as FFmpeg's av_display_rotation_get.
pub fn display_rotation(stream: &ffmpeg::format::stream::Stream) -> Option<i32> {
    let side = stream.side_data().find(|sd| sd.kind() == SideDataType::DisplayMatrix)?;
    let d = side.data();
    let m: Vec<f64> =
        d.chunks_exact(4).take(9).map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]) as f64 / 65536.0).collect();
    if m.len() < 5 {
        return None;
    }
    let (s0, s1) = (m[0].hypot(m[3]), m[1].hypot(m[4]));
    if s0 == 0.0 || s1 == 0.0 {
        return None;
    }
    let ccw = -(m[1] / s1).atan2(m[0] / s0).to_degrees();
    let cw = (-ccw).round() as i32;
    Some(((cw + 45).div_euclid(90) * 90).rem_euclid(360))
}

/// ISO 6709 as phones write it: "+35.6586+139.7454+040.000/" (altitude optional).
pub fn parse_iso6709(s: &str) -> Option<Gps> {
    let s = s.trim().trim_end_matches('/');
    let mut numbers = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices().skip(1) {
        if c == '+' || c == '-' {
            numbers.push(&s[start..i]);
            start = i;
        }
    }
    numbers.push(&s[start..]);
    let lat: f64 = numbers.first()?.parse().ok()?;
    let lon: f64 = numbers.get(1)?.parse().ok()?;
    let alt = numbers.get(2).and_then(|a| a.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse().ok());
    if (lat == 0.0 && lon == 0.0) || lat.abs() > 90.0 || lon.abs() > 180.0 {
        return None;
    }
    Some(Gps { lat, lon, alt })
}

/// Dates FFmpeg does not expose: the QuickTime user-data date (`©day`, local time with offset, written by
/// phones into MOV/3GP), and, for files FFmpeg cannot open at all, the ASF and Matroska header dates.
pub fn read_container_dates(input: &Input, reading: &mut Reading) {
    let head = &input.head;
    if head.get(4..8).is_some_and(|b| b == b"ftyp" || b == b"moov" || b == b"free" || b == b"wide" || b == b"mdat") {
        let movie = bmff::read_movie_header(input);
        let user_date = movie.user_date.and_then(|d| parse_iso(&d)).filter(|t| t.offset_minutes.is_some());
        let from_apple_keys = reading.taken_source.as_deref() == Some("QuickTime:CreationDate");
        if let (Some(t), false) = (user_date, from_apple_keys) {
            reading.taken = Some(t);
            reading.taken_source = Some("QuickTime:UserData:DateTimeOriginal".into());
        }
        return;
    }
    if reading.taken.is_some() {
        return;
    }
    const ASF_HEADER: [u8; 16] =
        [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C];
    const ASF_FILE_PROPERTIES: [u8; 16] =
        [0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65];
    let found = if head.starts_with(&ASF_HEADER) {
        // File Properties: GUID, size (8), file id (16), file size (8), creation date (FILETIME, UTC).
        head.windows(16).position(|w| w == ASF_FILE_PROPERTIES).and_then(|at| {
            let ticks = u64::from_le_bytes(head.get(at + 48..at + 56)?.try_into().ok()?);
            let unix = (ticks / 10_000_000) as i64 - 11_644_473_600;
            Some((unix, "ASF:CreationDate"))
        })
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // Matroska Info/DateUTC: element 0x4461, 8 bytes, nanoseconds since 2001-01-01 UTC.
        head.windows(3).position(|w| w == [0x44, 0x61, 0x88]).and_then(|at| {
            let ns = i64::from_be_bytes(head.get(at + 3..at + 11)?.try_into().ok()?);
            Some((978_307_200 + ns / 1_000_000_000, "Matroska:DateUTC"))
        })
    } else {
        None
    };
    if let Some((unix, source)) = found {
        if let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) {
            reading.taken =
                Some(Taken { local: time::PrimitiveDateTime::new(t.date(), t.time()), offset_minutes: Some(0) });
            reading.taken_source = Some(source.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709() {
        let g = parse_iso6709("+35.6586+139.7454+040.000/").unwrap();
        assert_eq!((g.lat, g.lon, g.alt), (35.6586, 139.7454, Some(40.0)));
        let g = parse_iso6709("-33.8688-070.6693/").unwrap();
        assert_eq!((g.lat, g.lon, g.alt), (-33.8688, -70.6693, None));
        assert!(parse_iso6709("+00.0000+000.0000/").is_none());
    }
}

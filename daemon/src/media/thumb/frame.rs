//! The poster frame of a video: the first frame at or after 1 s (or the first frame of a shorter clip),
//! decoded by FFmpeg and scaled to RGB at the smallest size that still covers the target.

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling::{Context as Scaler, Flags};
use ffmpeg_next as ffmpeg;

use super::pixels::Pixels;
use crate::media::input::Source;

const POSTER_AT_SECONDS: f64 = 1.0;

/// Returns the frame and the clockwise rotation that displays it upright.
pub fn poster(source: &Source, target_short_side: u32) -> Result<(Pixels, i32), String> {
    crate::media::video::init();
    let mut input = crate::ffi::open_media(source).map_err(|e| format!("FFmpeg cannot read this video: {e}"))?;
    let stream = input
        .streams()
        .filter(|s| s.parameters().medium() == ffmpeg::media::Type::Video)
        .find(|s| !s.disposition().contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC))
        .ok_or("the file has no video stream")?;
    let index = stream.index();
    let rotation = crate::media::video::display_rotation(&stream).unwrap_or(0);
    let time_base = f64::from(stream.time_base());
    let mut context =
        ffmpeg::codec::context::Context::from_parameters(stream.parameters()).map_err(|e| e.to_string())?;
    // One thread: workers already run one per core.
    context.set_threading(ffmpeg::threading::Config { kind: ffmpeg::threading::Type::Frame, count: 1, safe: true });
    let mut decoder = context.decoder().video().map_err(|e| format!("no decoder for this video: {e}"))?;
    let duration = input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE);
    let wanted = if duration > POSTER_AT_SECONDS * 2.0 { POSTER_AT_SECONDS } else { 0.0 };
    if wanted > 0.0 {
        let ts = (wanted * f64::from(ffmpeg::ffi::AV_TIME_BASE)) as i64;
        // A failed seek leaves us at the start, which still gives a frame.
        let _ = input.seek(ts, ..ts);
    }
    let mut frame = ffmpeg::frame::Video::empty();
    let mut chosen: Option<ffmpeg::frame::Video> = None;
    let mut video_packets = 0usize;
    // A bound on the packets read: a poster lies within the first seconds, and a damaged file must not keep a
    // worker busy until its timeout.
    'packets: for (s, packet) in input.packets().take(5_000) {
        if s.index() != index {
            continue;
        }
        video_packets += 1;
        if decoder.send_packet(&packet).is_err() {
            continue;
        }
        while decoder.receive_frame(&mut frame).is_ok() {
            let at = frame.timestamp().map(|t| t as f64 * time_base).unwrap_or(wanted);
            if at + 0.001 >= wanted || chosen.is_none() {
                chosen = Some(frame.clone());
                if at + 0.001 >= wanted {
                    break 'packets;
                }
            }
        }
    }
    if chosen.is_none() {
        let _ = decoder.send_eof();
        if decoder.receive_frame(&mut frame).is_ok() {
            chosen = Some(frame.clone());
        }
    }
    if video_packets == 0 {
        return Err("the video track holds no picture data (the file is cut short, or only its header)".into());
    }
    let frame = chosen.ok_or("no frame could be decoded from this video")?;
    to_pixels(&frame, target_short_side).map(|p| (p, rotation))
}

fn to_pixels(frame: &ffmpeg::frame::Video, target: u32) -> Result<Pixels, String> {
    let (w, h) = (frame.width(), frame.height());
    let short = w.min(h).max(1);
    let (dw, dh) = if short > target {
        let scale = target as f64 / short as f64;
        (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1))
    } else {
        (w, h)
    };
    let mut scaler =
        Scaler::get(frame.format(), w, h, Pixel::RGB24, dw, dh, Flags::BILINEAR).map_err(|e| e.to_string())?;
    let mut rgb = ffmpeg::frame::Video::empty();
    scaler.run(frame, &mut rgb).map_err(|e| format!("cannot convert the frame: {e}"))?;
    let stride = rgb.stride(0);
    let row = dw as usize * 3;
    let mut data = Vec::with_capacity(row * dh as usize);
    for line in rgb.data(0).chunks(stride).take(dh as usize) {
        data.extend_from_slice(&line[..row]);
    }
    Pixels::new(dw, dh, 3, data)
}

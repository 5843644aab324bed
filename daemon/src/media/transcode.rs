//! Transcoding videos that browsers cannot play (HEVC, ProRes, MPEG-2, MJPEG, H.263...) to H.264/AAC MP4 at
//! 720p on the short side, with faststart and the rotation kept as a display matrix. Runs in a worker; the
//! caller writes to a temp file and renames it when this returns Ok.

use ffmpeg::{codec, format, frame, media, software::scaling, threading, Packet, Rescale};
use ffmpeg_next as ffmpeg;

use ffmpeg::format::{sample, Pixel, Sample};
use nix::errno::Errno;

use crate::media::input::OutputError;
use ffmpeg::{decoder, encoder, software::resampling, ChannelLayout, Dictionary, Rational}; // + the §1 imports
type Out = ffmpeg::format::context::Output;
const FLTP: Sample = Sample::F32(sample::Type::Planar);

/// Writes what the encoder has ready. A packet without a duration gets `duration` (in `etb` units; 0: none):
/// OpenH264's packets carry none, and MP4 ends a track at its last packet's start, so a last frame without a
/// duration would be cut off by the edit list (a one-frame video would show nothing).
fn write_packets(
    enc: &mut encoder::Encoder,
    octx: &mut Out,
    out: usize,
    etb: Rational,
    otb: Rational,
    duration: i64,
) -> Result<(), ffmpeg::Error> {
    let mut pkt = Packet::empty();
    loop {
        match enc.receive_packet(&mut pkt) {
            Ok(()) => {
                if pkt.duration() <= 0 && duration > 0 {
                    pkt.set_duration(duration);
                }
                pkt.set_stream(out);
                pkt.rescale_ts(etb, otb);
                pkt.write_interleaved(octx)?;
            }
            Err(ffmpeg::Error::Eof) | Err(ffmpeg::Error::Other { errno: ffmpeg::error::EAGAIN }) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
struct Video {
    dec: decoder::Video,
    enc: encoder::video::Encoder,
    sws: Option<scaling::Context>,
    last: i64,
    tb: Rational,
    /// One frame at the stream's frame rate, in `tb` units.
    frame_duration: i64,
    /// The file's start time in `tb` units: subtracted so the output starts at 0 (MPEG-PS/TS start at 0.5 s or
    /// more, which an MP4 would otherwise play as a still first frame).
    origin: i64,
    out: usize,
    otb: Rational,
}
impl Video {
    fn pump(&mut self, octx: &mut Out) -> Result<(), ffmpeg::Error> {
        let mut f = frame::Video::empty();
        while self.dec.receive_frame(&mut f).is_ok() {
            let Some(pts) = f.timestamp() else { continue };
            if pts <= self.last {
                continue;
            } // the encoder and mov need strictly increasing pts
            self.last = pts;
            let same = self.sws.as_ref().is_some_and(|s| {
                *s.input() == scaling::context::Definition { format: f.format(), width: f.width(), height: f.height() }
            });
            if !same {
                // (re)build the scaler on the first frame / on a mid-stream size change
                self.sws = Some(scaling::Context::get(
                    f.format(),
                    f.width(),
                    f.height(),
                    Pixel::YUV420P,
                    self.enc.width(),
                    self.enc.height(),
                    scaling::Flags::BICUBIC,
                )?);
            }
            let mut y = frame::Video::empty(); // fresh frame each time: the encoder may keep a ref to it
            self.sws.as_mut().unwrap().run(&f, &mut y)?;
            y.set_pts(Some(pts - self.origin)); // sws copies no props; pict_type stays None (a decoded I/P/B kind would force the encoder's frame types)
            self.enc.send_frame(&y)?;
            write_packets(&mut self.enc, octx, self.out, self.tb, self.otb, self.frame_duration)?;
        }
        Ok(())
    }
}
struct Audio {
    index: usize,
    tb: Rational,
    /// As `Video::origin`, in `tb` units.
    origin: i64,
    dec: decoder::Audio,
    enc: encoder::audio::Encoder,
    out: usize,
    otb: Rational,
    swr: Option<resampling::Context>,
    buf: [Vec<f32>; 2],
    next_pts: Option<i64>,
}
impl Audio {
    fn pump(&mut self, octx: &mut Out) -> Result<(), ffmpeg::Error> {
        let mut f = frame::Audio::empty();
        while self.dec.receive_frame(&mut f).is_ok() {
            // 5.1: swr_convert_frame compares the frame's layout with the context's (else Err(InputChanged)); 0 = unknown
            if f.channel_layout().is_empty() {
                f.set_channel_layout(ChannelLayout::default(f.channels() as i32));
            }
            if self.next_pts.is_none() {
                self.next_pts =
                    Some(f.timestamp().map_or(0, |t| (t - self.origin).max(0).rescale(self.tb, (1, 48_000))));
            }
            if self.swr.is_none() {
                self.swr = Some(resampling::Context::get(
                    f.format(),
                    f.channel_layout(),
                    f.rate(),
                    FLTP,
                    ChannelLayout::STEREO,
                    48_000,
                )?);
            }
            let swr = self.swr.as_mut().unwrap();
            // Pre-size the output: `run` with an EMPTY output allocates only input.samples(), and on 44.1→48 kHz the
            // surplus piles up inside swr. An empty frame can't be passed to flush() either (format -1 ⇒ OutputChanged).
            let cap = swr.delay().map_or(0, |d| d.output as usize) + f.samples() * 48_000 / f.rate() as usize + 32;
            let mut o = frame::Audio::new(FLTP, cap, ChannelLayout::STEREO);
            swr.run(&f, &mut o)?; // sets o.nb_samples to the count produced
            self.push(&o);
            self.encode(octx, false)?;
        }
        Ok(())
    }
    fn push(&mut self, o: &frame::Audio) {
        for ch in 0..2 {
            self.buf[ch].extend_from_slice(&o.plane::<f32>(ch)[..o.samples()]);
        }
    }
    /// AAC takes exactly frame_size (1024) samples per frame; only the last frame may be shorter (CAP_SMALL_LAST_FRAME).
    fn encode(&mut self, octx: &mut Out, last: bool) -> Result<(), ffmpeg::Error> {
        let size = self.enc.frame_size() as usize;
        while self.buf[0].len() >= size || (last && !self.buf[0].is_empty()) {
            let n = size.min(self.buf[0].len());
            let mut fr = frame::Audio::new(FLTP, n, ChannelLayout::STEREO);
            fr.set_rate(48_000);
            for ch in 0..2 {
                fr.plane_mut::<f32>(ch).copy_from_slice(&self.buf[ch][..n]);
                self.buf[ch].drain(..n);
            }
            let pts = self.next_pts.unwrap_or(0);
            fr.set_pts(Some(pts));
            self.next_pts = Some(pts + n as i64);
            self.enc.send_frame(&fr)?;
            write_packets(&mut self.enc, octx, self.out, Rational(1, 48_000), self.otb, 0)?;
        }
        Ok(())
    }
    fn finish(&mut self, octx: &mut Out) -> Result<(), ffmpeg::Error> {
        self.dec.send_eof()?;
        self.pump(octx)?;
        if let Some(mut swr) = self.swr.take() {
            // take(): the loop would otherwise hold &mut self.swr across push()
            loop {
                let mut o = frame::Audio::new(FLTP, 4096, ChannelLayout::STEREO);
                swr.flush(&mut o)?;
                if o.samples() == 0 {
                    break;
                }
                self.push(&o);
            }
        }
        self.encode(octx, true)?;
        self.enc.send_eof()?;
        write_packets(&mut self.enc, octx, self.out, Rational(1, 48_000), self.otb, 0)
    }
}

/// The target bit rate of a transcode: 2.5 Mbit/s for 720p at 30 fps, scaled by pixels and frame rate (within
/// 0.3–6 Mbit/s), about what x264's CRF 23 spent on the corpus's phone videos.
fn h264_bit_rate(width: u32, height: u32, fps: f64) -> usize {
    let per_pixel_frame = 2_500_000.0 / (1280.0 * 720.0 * 30.0);
    let rate = per_pixel_frame * f64::from(width) * f64::from(height) * fps.clamp(10.0, 60.0);
    rate.clamp(300_000.0, 6_000_000.0) as usize
}

pub fn transcode(
    src: &crate::media::input::Source,
    dst: &std::path::Path,
    mut progress: impl FnMut(f64),
) -> Result<(), ffmpeg::Error> {
    let mut ictx = crate::ffi::open_media(src)?;
    // The earliest start of the sound and picture, in AV_TIME_BASE units (ffmpeg-next has no accessor for the
    // container's own start_time).
    let origin = ictx
        .streams()
        .filter(|s| matches!(s.parameters().medium(), media::Type::Video | media::Type::Audio))
        .filter(|s| s.start_time() != ffmpeg::ffi::AV_NOPTS_VALUE)
        .map(|s| s.start_time().rescale(s.time_base(), ffmpeg::rescale::TIME_BASE))
        .min()
        .unwrap_or(0);
    let mut octx = format::output_as(dst, "mp4")?;
    let global = octx.format().flags().contains(format::Flags::GLOBAL_HEADER); // true for mp4
    let vst = ictx.streams().best(media::Type::Video).ok_or(ffmpeg::Error::StreamNotFound)?;
    let (v_in, v_tb, rate, rotation) =
        (vst.index(), vst.time_base(), vst.avg_frame_rate(), crate::media::video::display_rotation(&vst).unwrap_or(0));
    let v_start = if vst.start_time() == ffmpeg::ffi::AV_NOPTS_VALUE { 0 } else { vst.start_time() };
    let mut c = codec::context::Context::from_parameters(vst.parameters())?;
    c.set_threading(threading::Config { kind: threading::Type::Frame, count: 2, ..Default::default() });
    let mut d = c.decoder();
    d.set_packet_time_base(v_tb);
    let vdec = d.video()?;
    let (iw, ih) = (vdec.width(), vdec.height()); // coded size (codecpar); 0 ⇒ unusable
    let s = (720.0 / iw.min(ih).max(1) as f64).min(1.0);
    let even = |x: f64| (((x / 2.0).round() as u32) * 2).max(2); // yuv420p needs even sizes
    let (ow, oh) = (even(iw as f64 * s), even(ih as f64 * s));
    // OpenH264 (BSD) rather than x264 (GPL), so that the package stays free to ship with photosd's MIT licence.
    let h264 = encoder::find_by_name("libopenh264").ok_or(ffmpeg::Error::EncoderNotFound)?;
    let v_out = octx.add_stream(h264)?.index();
    let mut ve = codec::context::Context::new_with_codec(h264).encoder().video()?;
    ve.set_width(ow);
    ve.set_height(oh);
    ve.set_format(Pixel::YUV420P);
    ve.set_time_base(v_tb); // keep source pts untouched (VFR-safe)
                            // OpenH264's rate control works per frame at this rate; without one it would take 1/time_base (90,000 fps).
    let fps = if rate.numerator() > 0 && rate.denominator() > 0 { rate } else { Rational(30, 1) };
    ve.set_frame_rate(Some(fps));
    ve.set_bit_rate(h264_bit_rate(ow, oh, f64::from(fps)));
    if vdec.aspect_ratio().numerator() > 0 {
        ve.set_aspect_ratio(vdec.aspect_ratio());
    }
    let mut o = Dictionary::new();
    o.set("profile", "high"); // CABAC: about a sixth smaller than constrained baseline at the same quality
    o.set("rc_mode", "quality");
    o.set("threads", "2");
    if global {
        o.set("flags", "+global_header");
    }
    let venc = ve.open_with(o)?;
    {
        let mut ost = octx.stream_mut(v_out).unwrap();
        ost.set_parameters(&venc);
        ost.set_time_base(v_tb);
    }
    if rotation != 0 {
        crate::ffi::set_display_matrix(&mut octx, v_out, &display_matrix(rotation, ow, oh))?;
    }
    let mut audio = None;
    if let Some(ast) = ictx.streams().best(media::Type::Audio) {
        let (index, tb) = (ast.index(), ast.time_base());
        let mut d = codec::context::Context::from_parameters(ast.parameters())?.decoder();
        d.set_packet_time_base(tb);
        let dec = d.audio()?;
        let aac = encoder::find(codec::Id::AAC).ok_or(ffmpeg::Error::EncoderNotFound)?;
        let out = octx.add_stream(aac)?.index();
        let mut ae = codec::context::Context::new_with_codec(aac).encoder().audio()?;
        ae.set_rate(48_000);
        ae.set_format(FLTP);
        ae.set_channel_layout(ChannelLayout::STEREO);
        ae.set_channels(2); // exists only for FFmpeg < 7 (the 5.1 target)
        ae.set_bit_rate(128_000);
        ae.set_time_base((1, 48_000));
        let mut o = Dictionary::new();
        if global {
            o.set("flags", "+global_header");
        }
        let enc = ae.open_with(o)?;
        octx.stream_mut(out).unwrap().set_parameters(&enc);
        audio = Some(Audio {
            index,
            tb,
            origin: origin.rescale(ffmpeg::rescale::TIME_BASE, tb),
            dec,
            enc,
            out,
            otb: Rational(1, 1),
            swr: None,
            buf: [Vec::new(), Vec::new()],
            next_pts: None,
        });
    }
    // optional: octx.set_metadata(ictx.metadata().to_owned()); // creation_time, location (©xyz)
    let mut mux = Dictionary::new();
    mux.set("movflags", "+faststart");
    octx.write_header_with(mux)?;
    // the muxer picks its own timescales at write_header: read the stream time bases only now
    let mut video = Video {
        dec: vdec,
        enc: venc,
        sws: None,
        last: i64::MIN,
        tb: v_tb,
        frame_duration: 1i64.rescale(Rational(fps.denominator(), fps.numerator()), v_tb).max(1),
        origin: origin.rescale(ffmpeg::rescale::TIME_BASE, v_tb),
        out: v_out,
        otb: octx.stream(v_out).unwrap().time_base(),
    };
    if let Some(a) = audio.as_mut() {
        a.otb = octx.stream(a.out).unwrap().time_base();
    }
    let total_us = ictx.duration(); // AV_TIME_BASE; <= 0 or AV_NOPTS_VALUE when unknown
    loop {
        let mut pkt = Packet::empty();
        match pkt.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(e),
        }
        if pkt.stream() == v_in {
            if let Some(t) = pkt.pts().or(pkt.dts()).filter(|_| total_us > 0) {
                progress(
                    ((t - v_start).rescale(v_tb, ffmpeg::rescale::TIME_BASE) as f64 / total_us as f64).clamp(0.0, 1.0),
                );
            }
            if video.dec.send_packet(&pkt).is_ok() {
                video.pump(&mut octx)?;
            }
        } else if let Some(a) = audio.as_mut().filter(|a| a.index == pkt.stream()) {
            if a.dec.send_packet(&pkt).is_ok() {
                a.pump(&mut octx)?;
            }
        }
    }
    video.dec.send_eof()?;
    video.pump(&mut octx)?;
    video.enc.send_eof()?;
    write_packets(&mut video.enc, &mut octx, v_out, v_tb, video.otb, video.frame_duration)?;
    if let Some(a) = audio.as_mut() {
        a.finish(&mut octx)?;
    }
    octx.write_trailer() // faststart: rewrites the whole file here (not cancellable, takes a while)
}

/// Clockwise degrees → tkhd matrix (16.16; w = 2.30) with the translation that FFmpeg 4.x movenc wrote for the OUTPUT size.
/// Copying the source's 36 bytes verbatim also works, but its tx/ty refer to the source's pixel size.
fn display_matrix(cw: i32, w: u32, h: u32) -> [i32; 9] {
    let (a, b, c, d, tx, ty) = match cw.rem_euclid(360) {
        90 => (0, 1, -1, 0, h as i32, 0),
        180 => (-1, 0, 0, -1, w as i32, h as i32),
        270 => (0, -1, 1, 0, 0, w as i32),
        _ => (1, 0, 0, 1, 0, 0),
    };
    [a << 16, b << 16, 0, c << 16, d << 16, 0, tx << 16, ty << 16, 1 << 30]
}

/// Whether a browser plays the file as it is: H.264 in MP4/QuickTime, with AAC or MP3 sound (or none).
pub fn browser_plays(video_codec: Option<&str>, audio_codec: Option<&str>, mime: Option<&str>) -> bool {
    let container = matches!(mime, Some("video/mp4") | Some("video/quicktime") | Some("video/x-m4v"));
    container && video_codec == Some("h264") && matches!(audio_codec, None | Some("aac") | Some("mp3"))
}

/// Transcodes `src` into `dst` through a temp file beside it. `progress` gets the fraction done (0 to 1) as the
/// source is read; cancelling is killing the process (the daemon then removes the temp file).
pub fn transcode_file(
    src: &crate::media::input::Source,
    dst: &std::path::Path,
    progress: impl FnMut(f64),
) -> Result<(), OutputError> {
    crate::media::video::init();
    if let Some(dir) = dst.parent() {
        crate::media::input::check_writable(dir)?;
    }
    crate::media::input::write_beside_then_rename(dst, |tmp| {
        transcode(src, tmp, progress).map_err(|e| match e {
            // Only the output is written: these are the data dir's, never the video's.
            ffmpeg::Error::Other { errno }
                if [Errno::ENOSPC, Errno::EDQUOT, Errno::EROFS, Errno::EACCES, Errno::EPERM]
                    .contains(&Errno::from_raw(errno)) =>
            {
                OutputError::Storage(format!("cannot write {}: {}", tmp.display(), Errno::from_raw(errno).desc()))
            }
            e => OutputError::File(format!("FFmpeg could not transcode this video: {e}")),
        })
    })
}

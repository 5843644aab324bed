//! Decoding for thumbnails: each format through its library, at the smallest scale that covers the target
//! size. JPEG uses libjpeg-turbo's DCT scaling (M/8), HEIF/AVIF libheif (which applies irot/imir itself), RAW
//! files their embedded preview, videos a frame from FFmpeg; the rest goes through the `image` crate.

use super::pixels::Pixels;
use super::{frame, raw_preview};
use crate::media::detect::{self, Format};
use crate::media::input::{Input, Source};

pub struct Decoded {
    pub pixels: Pixels,
    /// EXIF orientation still to apply (1 when the decoder already turned the image).
    pub orientation: u8,
    /// The source's ICC profile, for conversion to sRGB.
    pub icc: Option<Vec<u8>>,
    pub how: String,
}

/// The most a decoded image may hold, in pixels: a bigger claim is a decompression bomb, not a photo.
const MAX_PIXELS: u64 = 200_000_000;

pub fn decode(source: &Source, target_short_side: u32) -> Result<Decoded, String> {
    let path = source.path.as_path();
    let data_head = read_head(source)?;
    let (format, _) = detect::detect(path, &data_head);
    let reading = crate::media::read_source(source, false);
    let orientation = reading.orientation.unwrap_or(1);
    if !matches!(format, Format::Jpeg | Format::TiffRaw | Format::Cr3 | Format::Raf) {
        // Other decoders allocate their own buffers: give the kept ones back to malloc for them to reuse.
        release_kept_buffers();
    }
    match format {
        Format::Jpeg => {
            let mut decoded = with_file_bytes(source, |data| decode_jpeg(data, target_short_side))?;
            decoded.orientation = orientation;
            Ok(decoded)
        }
        // HEIF/AVIF image sequences (msf1, avis) and some files libheif rejects still play as movies.
        Format::Heif => decode_heif(source, target_short_side).or_else(|heif_error| {
            if !data_head.windows(4).any(|w| w == b"moov")
                && !data_head.get(8..12).is_some_and(|b| b == b"msf1" || b == b"avis")
            {
                return Err(heif_error);
            }
            frame::poster(source, target_short_side)
                .map(|(pixels, _)| Decoded { pixels, orientation: 1, icc: None, how: "heif sequence frame".into() })
                .map_err(|_| heif_error)
        }),
        Format::TiffRaw | Format::Cr3 | Format::Raf | Format::Mrw | Format::Crw | Format::X3f | Format::Kyocera => {
            let preview = with_file_bytes(source, |data| match raw_preview::largest_jpeg(data) {
                Some(preview) => decode_jpeg(preview, target_short_side).map(Some),
                None => Ok(None),
            })?;
            let mut decoded = match preview {
                Some(decoded) => decoded,
                // Some DNGs and old NEFs keep only an uncompressed RGB preview, as the first TIFF page.
                // or only a page FFmpeg's TIFF decoder reads
                None if format == Format::TiffRaw => decode_with_image_crate(source)
                    .or_else(|e| {
                        frame::poster(source, target_short_side)
                            .map(|(pixels, _)| Decoded { pixels, orientation: 1, icc: None, how: "tiff page".into() })
                            .map_err(|_| e)
                    })
                    .map_err(|e| format!("this RAW file has no embedded preview photosd can show ({e})"))?,
                None => return Err("this RAW file has no embedded preview to show".into()),
            };
            decoded.orientation = orientation;
            decoded.how = format!("raw preview, {}", decoded.how);
            Ok(decoded)
        }
        // FFmpeg decodes JPEG 2000 (OpenJPEG) and JPEG XL (libjxl) stills as one-frame videos.
        Format::Jp2 | Format::Jxl => {
            let (pixels, _) = frame::poster(source, target_short_side)?;
            Ok(Decoded { pixels, orientation, icc: None, how: "ffmpeg still".into() })
        }
        Format::Video => {
            let (pixels, rotation) = frame::poster(source, target_short_side)?;
            let orientation = match rotation {
                90 => 6,
                180 => 3,
                270 => 8,
                _ => 1,
            };
            Ok(Decoded { pixels, orientation, icc: None, how: "video frame".into() })
        }
        Format::Png | Format::Webp | Format::Gif | Format::Bmp | Format::Tiff | Format::OtherImage => {
            let mut decoded = decode_with_image_crate(source)?;
            // A PNG's eXIf orientation is not applied, as libvips (and so Immich) and most viewers do not: the
            // corpus sample orientation/photoprism/rotate6.png is upright as stored and tagged 6.
            decoded.orientation = if format == Format::Png { 1 } else { orientation };
            Ok(decoded)
        }
        Format::Unknown => Err(reading.error.unwrap_or_else(|| "not a format photosd can decode".into())),
    }
}

fn read_head(source: &Source) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    source.reader().and_then(|r| r.take(4096).read_to_end(&mut head)).map_err(|e| format!("cannot read: {e}"))?;
    Ok(head)
}

// Buffers kept by each worker between jobs: a camera JPEG is read and decoded into memory that is already
// there, instead of tens of MB freshly allocated (and page-faulted) for every photo.
thread_local! {
    static FILE_BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    static DECODED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// Beyond this, a kept buffer is released after use: one huge file must not pin its memory in the worker.
const KEEP_BUFFER: usize = 48 << 20;

fn with_kept<T>(
    cell: &'static std::thread::LocalKey<std::cell::RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> T,
) -> T {
    cell.with(|b| {
        let mut buffer = b.borrow_mut();
        let result = f(&mut buffer);
        if buffer.capacity() > KEEP_BUFFER {
            *buffer = Vec::new();
        }
        result
    })
}

fn release_kept_buffers() {
    for cell in [&FILE_BYTES, &DECODED] {
        cell.with(|b| *b.borrow_mut() = Vec::new());
    }
}

/// Runs `f` on the whole file, read into the worker's kept buffer.
fn with_file_bytes<T>(source: &Source, f: impl FnOnce(&[u8]) -> Result<T, String>) -> Result<T, String> {
    with_kept(&FILE_BYTES, |buffer| {
        source.read_all(buffer).map_err(|e| format!("cannot read: {e}"))?;
        f(buffer)
    })
}

/// The smallest of libjpeg-turbo's M/8 scales whose short side still reaches `target`.
fn jpeg_scale(width: usize, height: usize, target: u32) -> turbojpeg::ScalingFactor {
    let short = width.min(height);
    for m in 1..8 {
        if short * m / 8 >= target as usize {
            return turbojpeg::ScalingFactor::new(m, 8);
        }
    }
    turbojpeg::ScalingFactor::ONE
}

pub fn decode_jpeg(data: &[u8], target: u32) -> Result<Decoded, String> {
    let mut decompressor = turbojpeg::Decompressor::new().map_err(|e| e.to_string())?;
    let header = decompressor.read_header(data).map_err(|e| format!("not a readable JPEG: {e}"))?;
    if header.width as u64 * header.height as u64 > MAX_PIXELS {
        return Err(format!("image of {}x{} pixels is too large to decode", header.width, header.height));
    }
    let factor = jpeg_scale(header.width, header.height, target);
    decompressor.set_scaling_factor(factor).map_err(|e| e.to_string())?;
    let scaled = header.scaled(factor);
    let cmyk = matches!(header.colorspace, turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK);
    let (format, channels) = if cmyk { (turbojpeg::PixelFormat::CMYK, 4) } else { (turbojpeg::PixelFormat::RGB, 3) };
    let (w, h) = (scaled.width as u32, scaled.height as u32);
    let reduced = with_kept(&DECODED, |buffer| -> Result<Pixels, String> {
        buffer.resize(scaled.width * scaled.height * channels, 0);
        let image = turbojpeg::Image {
            pixels: buffer.as_mut_slice(),
            width: scaled.width,
            pitch: scaled.width * channels,
            height: scaled.height,
            format,
        };
        if let Err(e) = decompressor.decompress(data, image) {
            // libjpeg warnings (a truncated tail, a corrupt MCU) come back as errors, but the picture is there
            // and shows what the camera took, as other viewers show it.
            let message = e.to_string();
            if !(message.contains("Premature end of JPEG file") || message.contains("Corrupt JPEG data")) {
                return Err(format!("JPEG decoding failed: {message}"));
            }
        }
        // Reduced straight out of the kept buffer (CMYK too: mixing ink values is as valid as mixing RGB).
        Pixels::fit_borrowed(buffer, (w, h), channels as u8, false, target)
    })?;
    let icc = jpeg_icc_profile(data);
    let how = format!("jpeg at {}/{}", factor.num(), factor.denom());
    if cmyk {
        let rgb = cmyk_to_rgb(&reduced.data, icc.as_deref(), has_adobe_marker(data));
        let pixels = Pixels::new(reduced.width, reduced.height, 3, rgb)?;
        return Ok(Decoded { pixels, orientation: 1, icc: None, how: format!("{how}, CMYK") });
    }
    Ok(Decoded { pixels: reduced, orientation: 1, icc, how })
}

/// CMYK to RGB: through the file's own CMYK profile when it has one, else the plain formula. Adobe
/// applications (APP14 "Adobe" marker) store CMYK inverted.
fn cmyk_to_rgb(cmyk: &[u8], icc: Option<&[u8]>, inverted: bool) -> Vec<u8> {
    if let Some(profile) = icc.and_then(|p| lcms2::Profile::new_icc(p).ok()) {
        if profile.color_space() == lcms2::ColorSpaceSignature::CmykData {
            let srgb = lcms2::Profile::new_srgb();
            if let Ok(t) = lcms2::Transform::<[u8; 4], [u8; 3]>::new(
                &profile,
                if inverted { lcms2::PixelFormat::CMYK_8_REV } else { lcms2::PixelFormat::CMYK_8 },
                &srgb,
                lcms2::PixelFormat::RGB_8,
                lcms2::Intent::Perceptual,
            ) {
                let (src, _) = cmyk.as_chunks::<4>();
                let mut out = vec![[0u8; 3]; src.len()];
                t.transform_pixels(src, &mut out);
                return out.into_iter().flatten().collect();
            }
        }
    }
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let v = |x: u8| if inverted { x as u32 } else { 255 - x as u32 };
            let k = v(p[3]);
            [0, 1, 2].map(|i| (v(p[i]) * k / 255) as u8)
        })
        .collect()
}

fn has_adobe_marker(data: &[u8]) -> bool {
    jpeg_segments(data).any(|(marker, body)| marker == 0xEE && body.starts_with(b"Adobe"))
}

/// The segments before the image data: (marker, body).
fn jpeg_segments(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut pos = 2;
    std::iter::from_fn(move || {
        while data.get(pos) == Some(&0xFF) && data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if data.get(pos) != Some(&0xFF) {
            return None;
        }
        let marker = *data.get(pos + 1)?;
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = u16::from_be_bytes([*data.get(pos + 2)?, *data.get(pos + 3)?]) as usize;
        let body = data.get(pos + 4..(pos + 2 + len).max(pos + 4))?;
        pos += 2 + len.max(2);
        Some((marker, body))
    })
}

/// The ICC profile of a JPEG: the APP2 "ICC_PROFILE" chunks, joined in order.
fn jpeg_icc_profile(data: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = jpeg_segments(data)
        .filter(|(marker, body)| *marker == 0xE2 && body.starts_with(b"ICC_PROFILE\0") && body.len() > 14)
        .map(|(_, body)| (body[12], &body[14..]))
        .collect();
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    Some(chunks.into_iter().flat_map(|(_, c)| c.iter().copied()).collect())
}

/// The file is read whole into the worker's kept buffer: libheif reading through a callback made about 2,000
/// small reads of a phone HEIC.
fn decode_heif(source: &Source, target_short_side: u32) -> Result<Decoded, String> {
    with_file_bytes(source, |bytes| decode_heif_bytes(source, bytes, target_short_side))
}

fn decode_heif_bytes(source: &Source, bytes: &[u8], target_short_side: u32) -> Result<Decoded, String> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma, SecurityLimits};
    let mut context = HeifContext::new().map_err(|e| e.to_string())?;
    // Our own pixel cap, set explicitly: libheif's default limits also bound the AV1 decoder's frame size, and
    // refuse some valid cropped AVIFs.
    let mut limits = SecurityLimits::new();
    limits.set_max_image_size_pixels(MAX_PIXELS);
    context.set_security_limits(&limits).map_err(|e| e.to_string())?;
    context.read_bytes(bytes).map_err(|e| format!("libheif cannot read this file: {e}"))?;
    // One decoding thread: there is already one worker per core, and every extra thread costs a malloc arena
    // of address space under the worker's limit.
    context.set_max_decoding_threads(1);
    // A rotation alone (how phones store portrait photos) is applied by photosd to the small thumbnail, not by
    // libheif to the full-size image: that rotated copy was the largest allocation of a 16 MP HEIC. Mirrors and
    // crops are left to libheif.
    let transforms = Input::of(source).ok().and_then(|input| crate::media::bmff::read_heif(&input));
    let rotate_ourselves = transforms.as_ref().is_some_and(|t| !t.other_transforms);
    let orientation = match transforms.as_ref().map(|t| t.rotation_quarters) {
        Some(1) if rotate_ourselves => 8,
        Some(2) if rotate_ourselves => 3,
        Some(3) if rotate_ourselves => 6,
        _ => 1,
    };
    let mut options = libheif_rs::DecodingOptions::new().ok_or("libheif cannot allocate decoding options")?;
    options.set_ignore_transformations(rotate_ourselves);
    let handle = context.primary_image_handle().map_err(|e| format!("no primary image: {e}"))?;
    if handle.width() as u64 * handle.height() as u64 > MAX_PIXELS {
        return Err(format!("image of {}x{} pixels is too large to decode", handle.width(), handle.height()));
    }
    let lib = LibHeif::new();
    let icc = handle.color_profile_raw().map(|p| p.data);
    if let Some(pixels) = super::heif_yuv::decode(&lib, &handle, target_short_side, rotate_ourselves) {
        return Ok(Decoded { pixels: pixels?, orientation, icc, how: "heif 4:2:0 planes".into() });
    }
    let alpha = handle.has_alpha_channel();
    let chroma = if alpha { RgbChroma::Rgba } else { RgbChroma::Rgb };
    let image = lib
        .decode(&handle, ColorSpace::Rgb(chroma), Some(options))
        .map_err(|e| format!("libheif cannot decode this image: {e}"))?;
    let plane = image.planes().interleaved.ok_or("libheif returned no interleaved plane")?;
    let channels: usize = if alpha { 4 } else { 3 };
    let (w, h) = (plane.width as usize, plane.height as usize);
    let row = w * channels;
    // Reduced straight from libheif's buffer when its rows are packed (they usually are), and the full-size
    // image is freed before anything else is done.
    let pixels = if plane.stride == row && plane.data.len() >= row * h {
        Pixels::fit_borrowed(&plane.data[..row * h], (w as u32, h as u32), channels as u8, alpha, target_short_side)?
    } else {
        let mut data = Vec::with_capacity(row * h);
        for line in plane.data.chunks(plane.stride).take(h) {
            data.extend_from_slice(line.get(..row).ok_or("libheif returned a short row")?);
        }
        Pixels::new(w as u32, h as u32, channels as u8, data)?.fit_short_side(target_short_side)?
    };
    Ok(Decoded { pixels, orientation, icc, how: "heif".into() })
}

fn decode_with_image_crate(source: &Source) -> Result<Decoded, String> {
    use image::ImageDecoder;
    let file = source.reader().map_err(|e| format!("cannot read: {e}"))?;
    let mut reader = image::ImageReader::new(std::io::BufReader::new(file));
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let reader = reader.with_guessed_format().map_err(|e| format!("cannot read: {e}"))?;
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot decode this image: {e}"))?;
    let icc = decoder.icc_profile().ok().flatten();
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > MAX_PIXELS || decoder.total_bytes() > 1 << 30 {
        return Err(format!("image of {w}x{h} pixels is too large to decode"));
    }
    let alpha = decoder.color_type().has_alpha();
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode this image: {e}"))?;
    let pixels = if alpha {
        Pixels::new(w, h, 4, image.into_rgba8().into_raw())?
    } else {
        Pixels::new(w, h, 3, image.into_rgb8().into_raw())?
    };
    Ok(Decoded { pixels, orientation: 1, icc, how: "image crate".into() })
}

//! An 8-bit RGB or RGBA buffer and the operations thumbnails need on it: resize (fast_image_resize, SIMD),
//! EXIF orientation, alpha flattened onto white, ICC profile to sRGB (Little CMS), and JPEG encoding
//! (libjpeg-turbo).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA).
    pub channels: u8,
    pub data: Vec<u8>,
}

impl Pixels {
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Result<Pixels, String> {
        if width == 0 || height == 0 || !(channels == 3 || channels == 4) {
            return Err(format!("bad image: {width}x{height}, {channels} channels"));
        }
        if data.len() != width as usize * height as usize * channels as usize {
            return Err(format!("bad image buffer: {} bytes for {width}x{height}x{channels}", data.len()));
        }
        Ok(Pixels { width, height, channels, data })
    }

    /// Resized so the short side is `short_side`, or unchanged if it is already that small (never upscaled).
    pub fn fit_short_side(self, short_side: u32) -> Result<Pixels, String> {
        let (w, h) = fitted(self.width, self.height, short_side);
        if (w, h) == (self.width, self.height) {
            return Ok(self);
        }
        self.resize(w, h)
    }

    /// Resized so the long side is `long_side`, or unchanged if it is already that small (never upscaled).
    pub fn fit_long_side(self, long_side: u32) -> Result<Pixels, String> {
        let long = self.width.max(self.height);
        if long <= long_side {
            return Ok(self);
        }
        let scale = f64::from(long_side) / f64::from(long);
        let fit = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, long_side);
        let (width, height) = (fit(self.width), fit(self.height));
        self.resize(width, height)
    }

    /// The largest square in the middle of the image.
    pub fn centre_square(self) -> Pixels {
        let side = self.width.min(self.height);
        if self.width == self.height {
            return self;
        }
        let (x0, y0) = ((self.width - side) / 2, (self.height - side) / 2);
        let c = self.channels as usize;
        let mut data = Vec::with_capacity(side as usize * side as usize * c);
        for y in y0..y0 + side {
            let row = (y as usize * self.width as usize + x0 as usize) * c;
            data.extend_from_slice(&self.data[row..row + side as usize * c]);
        }
        Pixels { width: side, height: side, channels: self.channels, data }
    }

    /// Resized to exactly `width` × `height` (up or down; unchanged when it is that size already).
    pub fn resized(self, width: u32, height: u32) -> Result<Pixels, String> {
        if (width, height) == (self.width, self.height) {
            return Ok(self);
        }
        self.resize(width, height)
    }

    fn resize(self, width: u32, height: u32) -> Result<Pixels, String> {
        resize_packed(&self.data, self.width, self.height, self.channels, self.channels == 4, width, height)
    }

    /// Reduces a packed buffer the caller keeps (a decoder's own output) straight to `short_side`, without
    /// copying it first: for a 12 MP HEIF that copy alone was 36 MB per worker.
    /// With 4 channels and `alpha` false (CMYK), the fourth channel is resized like the others.
    pub fn fit_borrowed(
        data: &[u8],
        (width, height): (u32, u32),
        channels: u8,
        alpha: bool,
        short_side: u32,
    ) -> Result<Pixels, String> {
        let (w, h) = fitted(width, height, short_side);
        resize_packed(data, width, height, channels, alpha, w, h)
    }

    /// Turned and mirrored as EXIF orientation `o` (1-8) asks, so the result is upright.
    pub fn oriented(self, o: u8) -> Pixels {
        if !(2..=8).contains(&o) {
            return self;
        }
        let (w, h, c) = (self.width as usize, self.height as usize, self.channels as usize);
        let (dw, dh) = if o >= 5 { (h, w) } else { (w, h) };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..dh {
            for x in 0..dw {
                let (sx, sy) = match o {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                let (d, s) = ((y * dw + x) * c, (sy * w + sx) * c);
                out[d..d + c].copy_from_slice(&self.data[s..s + c]);
            }
        }
        Pixels { width: dw as u32, height: dh as u32, channels: self.channels, data: out }
    }

    /// RGBA made RGB by compositing onto white, as photo viewers show transparent images.
    pub fn flattened(self) -> Pixels {
        if self.channels == 3 {
            return self;
        }
        let data = self
            .data
            .chunks_exact(4)
            .flat_map(|p| {
                let a = p[3] as u32;
                [0, 1, 2].map(|i| ((p[i] as u32 * a + 255 * (255 - a) + 127) / 255) as u8)
            })
            .collect();
        Pixels { width: self.width, height: self.height, channels: 3, data }
    }

    /// Converted from the embedded ICC profile (Display P3, Adobe RGB...) to sRGB. Without a profile, or with
    /// one that cannot be used, the pixels are taken to be sRGB already.
    pub fn into_srgb(mut self, icc: Option<&[u8]>) -> Pixels {
        let Some(icc) = icc else { return self };
        if self.channels != 3 {
            return self;
        }
        let Ok(profile) = lcms2::Profile::new_icc(icc) else { return self };
        if profile.color_space() != lcms2::ColorSpaceSignature::RgbData || is_srgb(&profile) {
            return self;
        }
        let srgb = lcms2::Profile::new_srgb();
        let Ok(transform) = lcms2::Transform::<[u8; 3], [u8; 3]>::new(
            &profile,
            lcms2::PixelFormat::RGB_8,
            &srgb,
            lcms2::PixelFormat::RGB_8,
            lcms2::Intent::Perceptual,
        ) else {
            return self;
        };
        let (pixels, _) = self.data.as_chunks_mut::<3>();
        transform.transform_in_place(pixels);
        self
    }

    pub fn to_jpeg(&self, quality: u8) -> Result<Vec<u8>, String> {
        let image = turbojpeg::Image {
            pixels: self.data.as_slice(),
            width: self.width as usize,
            pitch: self.width as usize * self.channels as usize,
            height: self.height as usize,
            format: if self.channels == 4 { turbojpeg::PixelFormat::RGBA } else { turbojpeg::PixelFormat::RGB },
        };
        let mut compressor = turbojpeg::Compressor::new().map_err(|e| e.to_string())?;
        compressor.set_quality(quality as i32).map_err(|e| e.to_string())?;
        compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).map_err(|e| e.to_string())?;
        compressor.compress_to_vec(image).map_err(|e| format!("JPEG encoding failed: {e}"))
    }
}

/// The size with the short side brought down to `short_side` (never up), keeping the aspect ratio.
pub fn fitted(width: u32, height: u32, short_side: u32) -> (u32, u32) {
    let short = width.min(height);
    if short <= short_side {
        return (width, height);
    }
    let scale = short_side as f64 / short as f64;
    if width <= height {
        (short_side, ((height as f64 * scale).round() as u32).max(1))
    } else {
        (((width as f64 * scale).round() as u32).max(1), short_side)
    }
}

fn resize_packed(
    data: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    alpha: bool,
    w: u32,
    h: u32,
) -> Result<Pixels, String> {
    if (w, h) == (width, height) {
        return Pixels::new(width, height, channels, data.to_vec());
    }
    let pixel_type = if channels == 4 { PixelType::U8x4 } else { PixelType::U8x3 };
    let src = ImageRef::new(width, height, data, pixel_type).map_err(|e| e.to_string())?;
    let mut dst = Image::new(w, h, pixel_type);
    // A bilinear (triangle) convolution, widened by the scale factor, averages every source pixel: no
    // aliasing, and half the work of Catmull-Rom. The JPEG decode already did most of the reduction.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).use_alpha(alpha);
    Resizer::new().resize(&src, &mut dst, &options).map_err(|e| e.to_string())?;
    Pixels::new(w, h, channels, dst.into_vec())
}

fn is_srgb(profile: &lcms2::Profile) -> bool {
    profile
        .info(lcms2::InfoType::Description, lcms2::Locale::none())
        .is_some_and(|d| d.to_ascii_lowercase().contains("srgb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 image whose pixels are numbered 0..6, as single-channel-looking RGB.
    fn numbered() -> Pixels {
        Pixels::new(3, 2, 3, (0u8..6).flat_map(|v| [v, v, v]).collect()).unwrap()
    }

    fn values(p: &Pixels) -> Vec<u8> {
        p.data.chunks(3).map(|c| c[0]).collect()
    }

    #[test]
    fn orientations_match_the_exif_definitions() {
        // Source rows: [0 1 2] / [3 4 5]
        assert_eq!(values(&numbered().oriented(2)), [2, 1, 0, 5, 4, 3]);
        assert_eq!(values(&numbered().oriented(3)), [5, 4, 3, 2, 1, 0]);
        assert_eq!(values(&numbered().oriented(4)), [3, 4, 5, 0, 1, 2]);
        assert_eq!(values(&numbered().oriented(5)), [0, 3, 1, 4, 2, 5]);
        assert_eq!(values(&numbered().oriented(6)), [3, 0, 4, 1, 5, 2]);
        assert_eq!(values(&numbered().oriented(7)), [5, 2, 4, 1, 3, 0]);
        assert_eq!(values(&numbered().oriented(8)), [2, 5, 1, 4, 0, 3]);
        let turned = numbered().oriented(6);
        assert_eq!((turned.width, turned.height), (2, 3));
    }

    #[test]
    fn never_upscales_and_keeps_the_aspect_ratio() {
        let p = Pixels::new(400, 300, 3, vec![128; 400 * 300 * 3]).unwrap();
        let small = p.clone().fit_short_side(240).unwrap();
        assert_eq!((small.width, small.height), (320, 240));
        let same = p.fit_short_side(1280).unwrap();
        assert_eq!((same.width, same.height), (400, 300));
    }

    #[test]
    fn transparent_pixels_become_white() {
        let p = Pixels::new(1, 1, 4, vec![0, 0, 0, 0]).unwrap().flattened();
        assert_eq!(p.data, [255, 255, 255]);
    }
}

//! Thumbnails, rendered inside a worker: decode once, at the smallest scale that still covers the largest size
//! asked for, then derive every size from that one buffer (resize, orientation, colour, JPEG), and write each file
//! through a temp file and a rename. The daemon decides where the files go; this module only renders.

mod decode;
mod frame;
mod heif_yuv;
mod pixels;
mod raw_preview;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::media::input::{OutputError, Source};
pub use pixels::Pixels;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbSize {
    /// `sm`, `m`, `xl`...
    pub name: String,
    /// Target length of the short side; never upscaled.
    pub short_side: u32,
    /// Where to write it.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbRequest {
    pub path: String,
    pub sizes: Vec<ThumbSize>,
    /// JPEG quality, 1-100.
    pub quality: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbFile {
    pub name: String,
    pub path: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbReport {
    pub files: Vec<ThumbFile>,
    /// How the image was obtained, for logs and benchmarks ("jpeg at 3/8", "heif", "raw preview", "video frame").
    pub decoded: String,
}

/// Renders every size in `request` from `source`, largest first, each from the previous one.
pub fn render(request: &ThumbRequest, source: &Source) -> Result<ThumbReport, OutputError> {
    let largest = request.sizes.iter().map(|s| s.short_side).max().ok_or("no thumbnail size asked for")?;
    for size in &request.sizes {
        if let Some(dir) = Path::new(&size.path).parent() {
            crate::media::input::check_writable(dir)?;
        }
    }
    let decoded = decode::decode(source, largest)?;
    let how = decoded.how.clone();
    // Largest first: each smaller size is resized from the one before it, which is cheap and sharp enough.
    let mut sizes: Vec<&ThumbSize> = request.sizes.iter().collect();
    sizes.sort_by_key(|s| std::cmp::Reverse(s.short_side));
    let mut current = decoded.pixels;
    let mut oriented = false;
    let mut files = Vec::new();
    for size in sizes {
        current = current.fit_short_side(size.short_side)?;
        if !oriented {
            // Orientation and colour are applied once, on the largest thumbnail: far fewer pixels than the source.
            current = current.oriented(decoded.orientation).flattened().into_srgb(decoded.icc.as_deref());
            oriented = true;
        }
        let jpeg = current.to_jpeg(request.quality)?;
        crate::media::input::write_beside_then_rename(Path::new(&size.path), |tmp| {
            std::fs::write(tmp, &jpeg).map_err(|e| OutputError::Storage(format!("cannot write {}: {e}", tmp.display())))
        })?;
        files.push(ThumbFile {
            name: size.name.clone(),
            path: size.path.clone(),
            width: current.width,
            height: current.height,
        });
    }
    files.reverse();
    Ok(ThumbReport { files, decoded: how })
}

/// The upright sRGB image of a file with its short side at most `short_side`: what the thumbnails start from, for
/// analysis (faces) of a file read directly rather than through its thumbnail.
pub fn upright(source: &Source, short_side: u32) -> Result<Pixels, OutputError> {
    let decoded = decode::decode(source, short_side)?;
    Ok(decoded
        .pixels
        .fit_short_side(short_side)?
        .oriented(decoded.orientation)
        .flattened()
        .into_srgb(decoded.icc.as_deref()))
}

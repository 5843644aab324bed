//! Thumbnails as the rest of photosd sees them: content-addressed files under the data dir
//! (`thumbs/ab/cd/<hash>_<size>.jpg`), their state per item, and the request a worker needs to render them.

use std::path::{Path, PathBuf};

use crate::db::{Db, DbError};
use crate::media::thumb::{ThumbRequest, ThumbSize};

/// Synology's sizes: the short side in pixels.
pub const SIZES: [(&str, u32); 3] = [("sm", 240), ("m", 320), ("xl", 1280)];

pub fn short_side(size: &str) -> Option<u32> {
    SIZES.iter().find(|(name, _)| *name == size).map(|(_, px)| *px)
}

/// Where the thumbnail of content `hash` at `size` lives.
pub fn thumb_path(data_dir: &Path, hash: &str, size: &str) -> PathBuf {
    let (a, b) = (hash.get(0..2).unwrap_or("00"), hash.get(2..4).unwrap_or("00"));
    data_dir.join("thumbs").join(a).join(b).join(format!("{hash}_{size}.jpg"))
}

/// The request for every size of one file, written under the data dir.
pub fn request(data_dir: &Path, original: &str, hash: &str, quality: u8) -> ThumbRequest {
    let sizes = SIZES
        .iter()
        .map(|(name, px)| ThumbSize {
            name: name.to_string(),
            short_side: *px,
            path: thumb_path(data_dir, hash, name).display().to_string(),
        })
        .collect();
    ThumbRequest { path: original.to_string(), sizes, quality }
}

/// A thumbnail as the API serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thumbnail {
    /// The file, and a strong ETag (content hash and size: the bytes never change for that pair).
    Ready {
        path: PathBuf,
        etag: String,
    },
    NotReady,
    Broken {
        reason: String,
    },
}

/// The thumbnail of `item_id` at `size`, or None when the item does not exist (access checks come first, in
/// the API layer, so a missing item and a forbidden one look the same from outside).
pub fn thumbnail(db: &Db, data_dir: &Path, item_id: i64, size: &str) -> Result<Option<Thumbnail>, DbError> {
    let Some(state) = db.thumb_state(item_id)? else { return Ok(None) };
    Ok(Some(match (state.state.as_str(), state.hash) {
        ("ready", Some(hash)) => {
            let path = thumb_path(data_dir, &hash, size);
            if path.exists() {
                Thumbnail::Ready { path, etag: format!("\"{hash}_{size}\"") }
            } else {
                Thumbnail::NotReady
            }
        }
        ("broken", _) => Thumbnail::Broken { reason: state.error.unwrap_or_default() },
        _ => Thumbnail::NotReady,
    }))
}

/// True when every size of `hash` is already on disk (a re-indexed file with unchanged content, or a copy).
pub fn all_present(data_dir: &Path, hash: &str) -> bool {
    SIZES.iter().all(|(name, _)| thumb_path(data_dir, hash, name).exists())
}

//! The playable form of a video: the original when a browser plays it, else its transcode under the data dir
//! (`video/ab/cd/<hash>_720p.mp4`).

use std::path::{Path, PathBuf};

use crate::db::{Db, DbError};

pub fn transcode_path(data_dir: &Path, hash: &str) -> PathBuf {
    let (a, b) = (hash.get(0..2).unwrap_or("00"), hash.get(2..4).unwrap_or("00"));
    data_dir.join("video").join(a).join(b).join(format!("{hash}_720p.mp4"))
}

#[cfg_attr(not(test), allow(dead_code))] // the HTTP API (issue 4) is its first caller
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    Original,
    Transcoded(PathBuf),
    /// A transcode is queued or running (or failed: the state says which).
    NotReady(Option<String>),
}

#[cfg_attr(not(test), allow(dead_code))]
pub fn playable(db: &Db, data_dir: &Path, item_id: i64) -> Result<Option<Stream>, DbError> {
    let Some((state, hash)) = db.video_state(item_id)? else { return Ok(None) };
    Ok(Some(match (state.as_deref(), hash) {
        (Some("original"), _) => Stream::Original,
        (Some("ready"), Some(hash)) if transcode_path(data_dir, &hash).exists() => {
            Stream::Transcoded(transcode_path(data_dir, &hash))
        }
        (state, _) => Stream::NotReady(state.map(str::to_string)),
    }))
}

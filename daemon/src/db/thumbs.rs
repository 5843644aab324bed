//! Thumbnail and playable-video state of items: what the thumbnail job needs to render an item, and what the
//! serving layer needs to answer for it.

use rusqlite::{params, OptionalExtension};

use super::{Db, DbError};

/// What the thumbnail job reads about an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ThumbSource {
    pub item_id: i64,
    /// Absolute path of the original.
    pub path: String,
    pub hash: Option<String>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbState {
    pub state: String,
    pub error: Option<String>,
    pub hash: Option<String>,
}

const ABSOLUTE_PATH: &str =
    "s.root || '/' || CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END";

impl Db {
    pub fn thumb_source(&self, item_id: i64) -> Result<Option<ThumbSource>, DbError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT i.id, {ABSOLUTE_PATH}, i.hash, i.size
                     FROM item i JOIN folder f ON f.id = i.folder_id JOIN space s ON s.id = i.space_id WHERE i.id = ?1"
                ),
                [item_id],
                |r| {
                    Ok(ThumbSource {
                        item_id: r.get(0)?,
                        path: r.get(1)?,
                        hash: r.get(2)?,
                        size: r.get::<_, i64>(3)? as u64,
                    })
                },
            )
            .optional()?)
    }

    /// Records the outcome of a thumbnail job, unless the file changed meanwhile (its hash moved on): then the
    /// next job for the new content will record its own.
    pub fn set_thumb_state(&self, item_id: i64, hash: &str, error: Option<&str>) -> Result<(), DbError> {
        let state = if error.is_some() { "broken" } else { "ready" };
        self.lock().execute(
            "UPDATE item SET thumb_state = ?2, thumb_error = ?3, thumb_hash = ?4 WHERE id = ?1 AND hash = ?4",
            params![item_id, state, error, hash],
        )?;
        Ok(())
    }

    pub fn thumb_state(&self, item_id: i64) -> Result<Option<ThumbState>, DbError> {
        Ok(self
            .lock()
            .query_row("SELECT thumb_state, thumb_error, thumb_hash FROM item WHERE id = ?1", [item_id], |r| {
                Ok(ThumbState { state: r.get(0)?, error: r.get(1)?, hash: r.get(2)? })
            })
            .optional()?)
    }
}

/// What the transcode job needs to know about a video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoSource {
    pub path: String,
    pub hash: Option<String>,
    pub kind: String,
    pub mime: Option<String>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub size: u64,
}

impl Db {
    pub fn video_source(&self, item_id: i64) -> Result<Option<VideoSource>, DbError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT {ABSOLUTE_PATH}, i.hash, i.type, i.mime, i.video_codec, i.audio_codec, i.size
                     FROM item i JOIN folder f ON f.id = i.folder_id JOIN space s ON s.id = i.space_id WHERE i.id = ?1"
                ),
                [item_id],
                |r| {
                    Ok(VideoSource {
                        path: r.get(0)?,
                        hash: r.get(1)?,
                        kind: r.get(2)?,
                        mime: r.get(3)?,
                        video_codec: r.get(4)?,
                        audio_codec: r.get(5)?,
                        size: r.get::<_, i64>(6)? as u64,
                    })
                },
            )
            .optional()?)
    }

    /// `original`, `running` (with progress), `ready` or `broken` (with the reason).
    pub fn set_video_state(
        &self,
        item_id: i64,
        state: &str,
        progress: Option<f64>,
        error: Option<&str>,
    ) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE item SET video_state = ?2, video_progress = ?3, video_error = ?4 WHERE id = ?1",
            params![item_id, state, progress, error],
        )?;
        Ok(())
    }

    pub fn video_state(&self, item_id: i64) -> Result<Option<(Option<String>, Option<String>)>, DbError> {
        Ok(self
            .lock()
            .query_row("SELECT video_state, hash FROM item WHERE id = ?1", [item_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

//! Thumbnail and playable-video state of items: what the thumbnail job needs to render an item, and what the
//! serving layer needs to answer for it.

use rusqlite::{params, OptionalExtension};

use super::{Db, DbError};

/// What the thumbnail job reads about an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ThumbSource {
    pub item_id: i64,
    /// Absolute path of the original, to name it in the log.
    pub path: String,
    pub hash: Option<String>,
    pub size: u64,
    /// Where it is opened: its space's root, its folder there, its name.
    pub at: (String, String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbState {
    pub state: String,
    pub error: Option<String>,
    pub hash: Option<String>,
}

const ABSOLUTE_PATH: &str =
    "s.root || '/' || CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END";

/// A video's transcode, as `photosd transcodes` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TranscodeState {
    pub item_id: i64,
    pub path: String,
    pub state: String,
    pub progress: Option<f64>,
    pub error: Option<String>,
}

/// (video_state, hash) of an item.
type VideoState = (Option<String>, Option<String>);

impl Db {
    pub fn thumb_source(&self, item_id: i64) -> Result<Option<ThumbSource>, DbError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT i.id, {ABSOLUTE_PATH}, i.hash, i.size, s.root, f.path, i.filename
                     FROM item i JOIN folder f ON f.id = i.folder_id JOIN space s ON s.id = i.space_id WHERE i.id = ?1"
                ),
                [item_id],
                |r| {
                    Ok(ThumbSource {
                        item_id: r.get(0)?,
                        path: r.get(1)?,
                        hash: r.get(2)?,
                        size: r.get::<_, i64>(3)? as u64,
                        at: (r.get(4)?, r.get(5)?, r.get(6)?),
                    })
                },
            )
            .optional()?)
    }

    /// Items whose thumbnails or transcode an older photosd marked broken because its data dir refused the files
    /// (its messages for an output it could not write, never a file's fault): their state is cleared, and their
    /// ids returned (thumbnails, transcodes), to be queued again.
    pub fn clear_storage_failures(&self) -> Result<(Vec<i64>, Vec<i64>), DbError> {
        const REFUSED: &str =
            "(ERR LIKE 'cannot write %' OR ERR LIKE 'cannot create %' OR ERR LIKE 'cannot move % into place%'
            OR ERR LIKE '%No space left on device%' OR ERR LIKE '%Read-only file system%'
            OR (ERR LIKE '%Permission denied%' AND ERR NOT LIKE 'cannot open%' AND ERR NOT LIKE 'cannot read%'))";
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let ids = |sql: String| -> Result<Vec<i64>, DbError> {
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let thumbs = ids(format!(
            "UPDATE item SET thumb_state = 'notready', thumb_error = NULL
             WHERE thumb_state = 'broken' AND {} RETURNING id",
            REFUSED.replace("ERR", "thumb_error")
        ))?;
        let videos = ids(format!(
            "UPDATE item SET video_state = 'queued', video_error = NULL
             WHERE video_state = 'broken' AND {} RETURNING id",
            REFUSED.replace("ERR", "video_error")
        ))?;
        tx.commit()?;
        Ok((thumbs, videos))
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
    /// Where it is opened: its space's root, its folder there, its name.
    pub at: (String, String, String),
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
                    "SELECT {ABSOLUTE_PATH}, i.hash, i.type, i.mime, i.video_codec, i.audio_codec, i.size, s.root,
                            f.path, i.filename
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
                        at: (r.get(7)?, r.get(8)?, r.get(9)?),
                    })
                },
            )
            .optional()?)
    }

    /// Marks a transcode as started, unless it was cancelled; returns whether it may run.
    pub fn start_transcode(&self, item_id: i64) -> Result<bool, DbError> {
        Ok(self.lock().execute(
            "UPDATE item SET video_state = 'running', video_progress = 0, video_error = NULL
             WHERE id = ?1 AND video_state IS NOT 'cancelled'",
            [item_id],
        )? > 0)
    }

    /// A running transcode the data dir refused goes back to `queued` (unless it was cancelled meanwhile).
    pub fn transcode_waits(&self, item_id: i64) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE item SET video_state = 'queued', video_progress = NULL WHERE id = ?1 AND video_state = 'running'",
            [item_id],
        )?;
        Ok(())
    }

    /// Records how far a running transcode is; returns false once it is no longer running (cancelled).
    pub fn record_transcode_progress(&self, item_id: i64, done: f64) -> Result<bool, DbError> {
        Ok(self.lock().execute(
            "UPDATE item SET video_progress = ?2 WHERE id = ?1 AND video_state = 'running'",
            params![item_id, done],
        )? > 0)
    }

    /// Stops a video's transcode, queued or running (the job notices within a second). Returns false when there
    /// is nothing to cancel: not a video, already transcoded, played as it is, or failed.
    pub fn cancel_transcode(&self, item_id: i64) -> Result<bool, DbError> {
        Ok(self.lock().execute(
            "UPDATE item SET video_state = 'cancelled', video_progress = NULL
             WHERE id = ?1 AND type = 'video' AND (video_state IS NULL OR video_state IN ('queued', 'running'))",
            [item_id],
        )? > 0)
    }

    /// Makes a cancelled or failed transcode eligible to run again; the caller enqueues the job.
    pub fn reset_transcode(&self, item_id: i64) -> Result<bool, DbError> {
        Ok(self.lock().execute(
            "UPDATE item SET video_state = NULL, video_progress = NULL, video_error = NULL
             WHERE id = ?1 AND video_state IN ('cancelled', 'broken')",
            [item_id],
        )? > 0)
    }

    /// Videos whose transcode is queued, running, cancelled or failed, running ones first.
    pub fn transcodes(&self) -> Result<Vec<TranscodeState>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT i.id, {ABSOLUTE_PATH}, coalesce(i.video_state, 'queued'), i.video_progress, i.video_error
             FROM item i JOIN folder f ON f.id = i.folder_id JOIN space s ON s.id = i.space_id
             WHERE i.type = 'video' AND (i.video_state IS NULL OR i.video_state NOT IN ('original', 'ready'))
             ORDER BY i.video_state IS NOT 'running', i.id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(TranscodeState {
                item_id: r.get(0)?,
                path: r.get(1)?,
                state: r.get(2)?,
                progress: r.get(3)?,
                error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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

    /// The item's transcode state and content hash, when the item exists.
    pub fn video_state(&self, item_id: i64) -> Result<Option<VideoState>, DbError> {
        Ok(self
            .lock()
            .query_row("SELECT video_state, hash FROM item WHERE id = ?1", [item_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{Db, SpaceKind};
    use crate::media::Reading;

    /// Only what the data dir refused is queued again at start: never a file photosd cannot read or decode.
    #[test]
    fn only_outputs_the_data_dir_refused_are_retried() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let reasons = [
            ("cannot write /data/thumbs/ab/.x_sm.jpg.9.part: Permission denied (os error 13)", true),
            ("cannot create /data/thumbs/ab/cd: No space left on device (os error 28)", true),
            ("cannot read: Permission denied (os error 13)", false),
            ("cannot open: Permission denied (os error 13)", false),
            ("libheif cannot decode this image", false),
        ];
        let mut items = Vec::new();
        for (n, (reason, _)) in reasons.iter().enumerate() {
            let hash = format!("{n:02}").repeat(32);
            let reading = Reading { hash: Some(hash.clone()), size: 1, ..Reading::default() };
            let item = db.upsert_item(space.id, &format!("{n}.jpg"), 1, &reading).unwrap().id();
            db.set_thumb_state(item, &hash, Some(reason)).unwrap();
            items.push(item);
        }
        let (thumbs, videos) = db.clear_storage_failures().unwrap();
        let expected: Vec<i64> =
            items.iter().zip(reasons).filter(|(_, (_, retried))| *retried).map(|(i, _)| *i).collect();
        assert_eq!((thumbs, videos), (expected, vec![]));
        assert_eq!(db.clear_storage_failures().unwrap(), (vec![], vec![]), "once");
    }
}

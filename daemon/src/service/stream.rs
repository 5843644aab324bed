//! The playable form of a video: the original when a browser plays it, else its transcode under the data dir
//! (`video/ab/cd/<hash>_720p.mp4`).

use std::path::{Path, PathBuf};

use crate::db::{Db, DbError};

pub fn transcode_path(data_dir: &Path, hash: &str) -> PathBuf {
    super::thumbs::derived_path(data_dir, "video", hash, "720p.mp4")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    Original,
    Transcoded(PathBuf),
    /// A transcode is queued or running (or failed: the state says which).
    NotReady(Option<String>),
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SpaceKind;
    use crate::media::{MediaKind, Reading};

    #[test]
    fn the_original_or_the_transcode_once_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let hash = "cd".repeat(32);
        let reading = Reading { kind: MediaKind::Video, hash: Some(hash.clone()), size: 1, ..Reading::default() };
        let item = db.upsert_item(space.id, "clip.mov", 1, &reading).unwrap().id();
        assert_eq!(playable(&db, dir.path(), item).unwrap(), Some(Stream::NotReady(None)));
        db.set_video_state(item, "original", None, None).unwrap();
        assert_eq!(playable(&db, dir.path(), item).unwrap(), Some(Stream::Original));
        db.set_video_state(item, "ready", Some(1.0), None).unwrap();
        assert_eq!(
            playable(&db, dir.path(), item).unwrap(),
            Some(Stream::NotReady(Some("ready".into()))),
            "no file yet"
        );
        let path = transcode_path(dir.path(), &hash);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"mp4").unwrap();
        assert_eq!(playable(&db, dir.path(), item).unwrap(), Some(Stream::Transcoded(path)));
        assert_eq!(playable(&db, dir.path(), item + 1).unwrap(), None);
    }
}

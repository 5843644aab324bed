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

/// The folders of derived files (thumbnails, transcodes): the only ones workers may write to.
pub const TREES: [&str; 2] = ["thumbs", "video"];

/// Where a file derived from content `hash` lives: `<data>/<kind>/ab/cd/<hash>_<suffix>`, two levels of
/// folders so none holds more than a few thousand entries on a million-photo library.
pub fn derived_path(data_dir: &Path, kind: &str, hash: &str, suffix: &str) -> PathBuf {
    let (a, b) = (hash.get(0..2).unwrap_or("00"), hash.get(2..4).unwrap_or("00"));
    data_dir.join(kind).join(a).join(b).join(format!("{hash}_{suffix}"))
}

/// Removes temp files that writers killed mid-write (by a crash, or the daemon's SIGKILL) left in the derived
/// folders. Run at start, before any worker writes; returns how many were removed.
pub fn sweep_partial_files(data_dir: &Path) -> usize {
    let subdirs =
        |dir: PathBuf| std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir());
    TREES
        .into_iter()
        .flat_map(|kind| subdirs(data_dir.join(kind)))
        .flat_map(subdirs)
        .map(|dir| crate::media::input::remove_partial_outputs(&dir, ""))
        .sum()
}

/// Where the thumbnail of content `hash` at `size` lives.
pub fn thumb_path(data_dir: &Path, hash: &str, size: &str) -> PathBuf {
    derived_path(data_dir, "thumbs", hash, &format!("{size}.jpg"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SpaceKind;
    use crate::media::Reading;

    #[test]
    fn answers_path_and_etag_once_ready_and_the_reason_when_broken() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let hash = "ab12cd34".repeat(8);
        let reading = Reading { hash: Some(hash.clone()), size: 1, ..Reading::default() };
        let item = db.upsert_item(space.id, "a.jpg", 1, &reading).unwrap().id();
        assert_eq!(thumbnail(&db, dir.path(), item, "sm").unwrap(), Some(Thumbnail::NotReady));
        for (name, _) in SIZES {
            let path = thumb_path(dir.path(), &hash, name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"jpeg").unwrap();
        }
        db.set_thumb_state(item, &hash, None).unwrap();
        let expected = thumb_path(dir.path(), &hash, "m");
        assert!(expected.ends_with(format!("thumbs/ab/12/{hash}_m.jpg")));
        assert_eq!(
            thumbnail(&db, dir.path(), item, "m").unwrap(),
            Some(Thumbnail::Ready { path: expected, etag: format!("\"{hash}_m\"") })
        );
        db.set_thumb_state(item, &hash, Some("no decoder")).unwrap();
        assert_eq!(
            thumbnail(&db, dir.path(), item, "m").unwrap(),
            Some(Thumbnail::Broken { reason: "no decoder".into() })
        );
        assert_eq!(thumbnail(&db, dir.path(), item + 1, "m").unwrap(), None);
        // New content (another hash) means the old thumbnails no longer apply.
        let edited = Reading { hash: Some("ff".repeat(32)), size: 2, ..Reading::default() };
        db.upsert_item(space.id, "a.jpg", 2, &edited).unwrap();
        assert_eq!(thumbnail(&db, dir.path(), item, "m").unwrap(), Some(Thumbnail::NotReady));
    }
}

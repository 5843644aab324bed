//! The library service: every change to what the library holds goes through here, whether a user asked for it
//! through the API or the watcher found it on disk (a move over SMB, an `mv`, an rsync), so that the same change
//! ends in the same state by either road. It records moves and removals and carries what belongs to a path: a
//! folder's permission rules (the rest, albums, tags and later faces, hang on the item's id, which a move keeps).
//!
//! One difference is on purpose: a folder a user deletes is gone, and its rules with it; a folder that vanishes on
//! disk may be put back by a sync tool, so its rules stay under its path until something else takes that path.

use crate::db::{Db, DbError};

/// A file or folder at `from` (space id, path in the space) is now at `to`: it keeps its id, and a folder keeps
/// its rules and those of every folder under it. `false` when the library did not know it (it is then new).
pub fn moved(db: &Db, from: (i64, &str), to: (i64, &str), is_dir: bool) -> Result<bool, DbError> {
    if is_dir {
        db.move_folder(from, to)
    } else {
        db.move_item(from, to)
    }
}

/// A file or folder is no longer on disk, and nobody here removed it: its items go; a folder's rules stay.
/// Returns how many items went.
pub fn vanished(db: &Db, space: i64, path: &str, is_dir: bool) -> Result<usize, DbError> {
    match is_dir {
        true => db.delete_folder(space, path),
        false => Ok(usize::from(db.delete_item(space, path)?)),
    }
}

/// A user deleted a file or folder (it is in the share's `#recycle` now): its items go, and a folder's rules too.
/// Returns how many items went.
pub fn deleted(db: &Db, space: i64, path: &str, is_dir: bool) -> Result<usize, DbError> {
    match is_dir {
        true => db.forget_folder(space, path),
        false => Ok(usize::from(db.delete_item(space, path)?)),
    }
}

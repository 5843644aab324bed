//! The library service: every change to what the library holds goes through here, whether a user asked for it
//! through the API or the watcher found it on disk (a move over SMB, an `mv`, an rsync), so that the same change
//! ends in the same state by either road. It records moves and removals and carries what belongs to a path: a
//! folder's permission rules (the rest, albums, tags and later faces, hang on the item's id, which a move keeps).
//! A user's changes (uploads, rename, move, copy, delete to `#recycle`, folder create/rename/delete, edits and
//! their sidecars) are made on disk here, then recorded by the same functions the watcher calls. Whether the user may
//! make them is `access`'s question, asked before.
//!
//! One difference is on purpose: a folder a user deletes is gone, and its rules with it; a folder that vanishes on
//! disk may be put back by a sync tool, so its rules stay under its path until something else takes that path.

use std::path::{Path, PathBuf};

use super::space_fs::join;
use super::space_move;
use super::space_write::{Duplicate, TempFile};
use crate::db::{Db, DbError, FolderRow, ItemEdit, ItemFile, Space};
use crate::domain::Error;

/// Who new files and folders belong to (uid, gid).
pub type Owner = (u32, u32);

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

/// Renames or moves an item's file (and its sidecar) within its space; the item keeps its id.
pub async fn move_item(db: &Db, space: &Space, file: &ItemFile, to_folder: &str, to_name: &str) -> Result<(), Error> {
    let (root, f, to, name) = (space.root.clone(), file.clone(), to_folder.to_string(), to_name.to_string());
    super::blocking(move || {
        let root = Path::new(&root);
        space_move::rename(root, &f.folder, &f.filename, &to, &name)?;
        space_move::follow_sidecar(root, &f.folder, &f.filename, &to, &name);
        Ok::<_, Error>(())
    })
    .await?;
    let (space_id, from, to) = (space.id, join(&file.folder, &file.filename), join(to_folder, to_name));
    db.call(move |db| moved(db, (space_id, &from), (space_id, &to), false)).await?;
    Ok(())
}

/// Copies an item's file into folder `to` of the same space, through a temp file, under a free name, and returns
/// that name. The copy is a new file: importing it is the caller's next step.
pub async fn copy_item(space: &Space, file: &ItemFile, to: &str, owner: Owner) -> Result<String, Error> {
    let (root, file, to) = (space.root.clone(), file.clone(), to.to_string());
    super::blocking(move || {
        let root = Path::new(&root);
        let mut source = super::space_fs::open_file(root, &file.folder, &file.filename)
            .map_err(|e| Error::NotFound(format!("{}: {e}", file.filename)))?;
        let mut temp = TempFile::create(root, &to)?;
        if let Err(e) = std::io::copy(&mut source, &mut temp.file) {
            temp.discard();
            return Err(e.into());
        }
        let mtime = source
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        temp.publish(&file.filename, Duplicate::Rename, owner.0, owner.1, mtime.map(|d| d.as_secs() as i64))?
            .ok_or(Error::Exists)
    })
    .await
}

/// Moves an item's file (and its sidecar, so that restoring the photo brings its edits back) to the share's
/// recycle bin and forgets the item. Returns where it went in the bin.
pub async fn recycle_item(db: &Db, space: &Space, file: &ItemFile, owner: Owner) -> Result<String, Error> {
    let (root, personal, f) = (space.root.clone(), space.owner_uid.is_some(), file.clone());
    let binned = super::blocking(move || {
        let root = Path::new(&root);
        let binned = space_move::recycle(root, personal, &f.folder, &f.filename, owner.0, owner.1)?;
        let _ = space_move::recycle(root, personal, &f.folder, &format!("{}.xmp", f.filename), owner.0, owner.1);
        Ok::<_, Error>(binned)
    })
    .await?;
    let (space_id, path) = (space.id, join(&file.folder, &file.filename));
    db.call(move |db| deleted(db, space_id, &path, false)).await?;
    Ok(binned)
}

/// Publishes an upload, written whole to `temp`, as `name` in `folder` (or under a free name, or not at all, as
/// `duplicate` says); returns the name it got, `None` when an existing file was kept. With `Duplicate::Overwrite`
/// the original it replaces goes to the recycle bin first, as a delete would send it: nothing is lost. Importing
/// it is the caller's next step.
pub async fn store_upload(
    space: &Space,
    folder: &str,
    name: &str,
    temp: TempFile,
    duplicate: Duplicate,
    owner: Owner,
    mtime: Option<i64>,
) -> Result<Option<String>, Error> {
    let (root, personal, folder, name) =
        (PathBuf::from(&space.root), space.owner_uid.is_some(), folder.to_string(), name.to_string());
    super::blocking(move || {
        if duplicate == Duplicate::Overwrite && super::space_write::exists(&root, &folder, &name) {
            match space_move::recycle_copy(&root, personal, &folder, &name, owner.0, owner.1) {
                Ok(binned) => tracing::info!(
                    file = join(&folder, &name),
                    binned,
                    "the overwritten original is in the recycle bin"
                ),
                Err(e) => {
                    temp.discard();
                    return Err(e);
                }
            }
        }
        temp.publish(&name, duplicate, owner.0, owner.1, mtime)
    })
    .await
}

/// Makes folder `name` in folder `parent` and records it; returns its id. `Error::Exists` when the name is taken.
pub async fn create_folder(db: &Db, space: &Space, parent: &str, name: &str, owner: Owner) -> Result<i64, Error> {
    let (root, in_dir, made) = (space.root.clone(), parent.to_string(), name.to_string());
    super::blocking(move || super::space_fs::create_dir(Path::new(&root), &in_dir, &made, owner.0, owner.1)).await?;
    let (space_id, path) = (space.id, join(parent, name));
    Ok(db.call(move |db| db.ensure_folder(space_id, &path)).await?)
}

/// Renames a folder in its parent; it keeps its id, its items and its rules, as after an `mv` on disk.
pub async fn rename_folder(db: &Db, space: &Space, folder: &FolderRow, parent: &str, name: &str) -> Result<(), Error> {
    let (root, in_dir, from, to) = (space.root.clone(), parent.to_string(), folder.name.clone(), name.to_string());
    super::blocking(move || space_move::rename(Path::new(&root), &in_dir, &from, &in_dir, &to)).await?;
    let (space_id, from, to) = (space.id, folder.path.clone(), join(parent, name));
    db.call(move |db| moved(db, (space_id, &from), (space_id, &to), true)).await?;
    Ok(())
}

/// Moves a folder and everything in it to the share's recycle bin; its items and its rules go.
pub async fn recycle_folder(
    db: &Db,
    space: &Space,
    folder: &FolderRow,
    parent: &str,
    owner: Owner,
) -> Result<(), Error> {
    let (root, personal, in_dir, name) =
        (space.root.clone(), space.owner_uid.is_some(), parent.to_string(), folder.name.clone());
    super::blocking(move || space_move::recycle(Path::new(&root), personal, &in_dir, &name, owner.0, owner.1)).await?;
    let (space_id, path) = (space.id, folder.path.clone());
    db.call(move |db| deleted(db, space_id, &path, true)).await?;
    Ok(())
}

/// A user's change to items' metadata.
pub enum Edit {
    Values(ItemEdit),
    AddTags(Vec<i64>),
    RemoveTags(Vec<i64>),
}

/// Records an edit of these items and, with `sidecars` (`[edits] xmp_sidecars`), writes each item's XMP sidecar
/// beside its original, owned like it: the original itself is never touched.
pub async fn edit(db: &Db, space: &Space, ids: &[i64], edit: Edit, sidecars: bool, owner: Owner) -> Result<(), Error> {
    let edited = ids.to_vec();
    db.call(move |db| match &edit {
        Edit::Values(values) => db.edit_items(&edited, values),
        Edit::AddTags(tags) => db.add_user_tags(&edited, tags),
        Edit::RemoveTags(tags) => db.remove_tags(&edited, tags),
    })
    .await?;
    if !sidecars {
        return Ok(());
    }
    for &id in ids {
        let found = db.call(move |db| Ok((db.item_file(id)?, db.sidecar_values(id)?))).await?;
        let (Some(file), values) = found else { continue };
        let root = space.root.clone();
        super::blocking(move || {
            super::sidecar_write::write(Path::new(&root), &file.folder, &file.filename, &values, owner.0, owner.1)
        })
        .await?;
    }
    Ok(())
}

//! The reconcile scan: walks a space and compares it with the database by size and mtime. New and changed
//! files are queued for import; files that vanished are marked missing, so that an import of the same content
//! elsewhere (a move while photosd was down) adopts them, and a purge job removes the rest afterwards.
//! What looks like a whole space gone is not believed: a folder missing, on another file system than when it was
//! indexed (a share not mounted), or most of a space vanished at once leaves the library as it is, and says so,
//! until the space is back or `photosd index --accept-missing` confirms it.

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::dir::{Dir, Type};
use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};

use super::ignore::{is_ignored_dir, is_ignored_file};
use crate::db::{Db, DbError, NewJob, Space, StoredFile};
use crate::jobs::pipeline;
use crate::service::{library, space_fs, space_write};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSummary {
    pub files: usize,
    pub queued: usize,
    pub missing: usize,
    /// Files gone that were not marked missing, because the space looked unmounted or mostly gone at once.
    pub held_back: usize,
}

/// A space of at least this many items of which more than half vanished at once is not believed.
const MASS_VANISH_MIN_ITEMS: usize = 20;

/// A file on disk: relative path → (size, mtime in ns).
pub type DiskFiles = HashMap<String, (u64, i64)>;

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: DiskFiles,
    /// Folders, parents before their children.
    pub dirs: Vec<String>,
    /// The inode of each folder, as the listing of its parent gave it.
    pub dir_inodes: HashMap<String, u64>,
    /// Folders that could not be listed: what the database holds under them is unknown, not gone.
    pub unreadable: Vec<String>,
}

impl Walk {
    fn covers_unreadable(&self, path: &str) -> bool {
        self.unreadable.iter().any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
    }
}

/// Walks `root/rel`, collecting media files and folders, skipping ignored names. It goes from folder to folder by
/// open descriptors (`openat` with `O_NOFOLLOW`), never by path: a symlink anywhere, even one swapped in for a
/// folder while the walk runs, is not followed (it could lead to another user's photos, or to the data dir).
/// `before_listing` is called with each folder, open, before its entries are read: the watcher adds its inotify
/// watch there, so a file created while the walk runs is either listed or reported by inotify, never neither.
pub fn walk(root: &Path, rel: &str, out: &mut Walk, before_listing: &mut dyn FnMut(&str, BorrowedFd)) {
    match space_fs::open_dir(root, rel) {
        Ok(dir) => walk_dir(root, dir, rel, out, before_listing),
        Err(e) => not_listed(root, rel, &e, out),
    }
}

/// Records why `rel` was not walked: gone, or not a folder (a symlink) is nothing to list; anything else leaves
/// what the database holds under it unknown, not gone.
fn not_listed(root: &Path, rel: &str, error: &std::io::Error, out: &mut Walk) {
    match error.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ENOENT) => {}
        Some(Errno::ELOOP | Errno::ENOTDIR) => {
            tracing::debug!(folder = %root.join(rel).display(), "not walked: not a folder (a symlink?)");
        }
        _ => {
            tracing::warn!(folder = %root.join(rel).display(), "cannot list: {error}");
            out.unreadable.push(rel.to_string());
        }
    }
}

fn walk_dir(root: &Path, dir: OwnedFd, rel: &str, out: &mut Walk, before_listing: &mut dyn FnMut(&str, BorrowedFd)) {
    before_listing(rel, dir.as_fd());
    let mut listing = match Dir::from_fd(dir) {
        Ok(listing) => listing,
        Err(e) => return not_listed(root, rel, &e.into(), out),
    };
    let entries: Vec<(std::ffi::CString, Option<Type>, u64)> =
        listing.iter().flatten().map(|e| (e.file_name().to_owned(), e.file_type(), e.ino())).collect();
    for (raw_name, kind, inode) in entries {
        let Ok(name) = raw_name.to_str() else {
            tracing::warn!(folder = rel, name = ?raw_name, "skipped: the name is not valid UTF-8");
            continue;
        };
        if name == "." || name == ".." {
            continue;
        }
        let child = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
        // Some file systems do not say the type in a listing: ask, without following a symlink.
        let stat = || fstatat(&listing, name, AtFlags::AT_SYMLINK_NOFOLLOW).ok();
        let kind = kind.or_else(|| stat().map(|s| type_of(s.st_mode)));
        match kind {
            Some(Type::Directory) if !is_ignored_dir(name) => {
                out.dirs.push(child.clone());
                out.dir_inodes.insert(child.clone(), inode);
                let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY;
                match openat(&listing, name, flags, Mode::empty()) {
                    Ok(sub) => walk_dir(root, sub, &child, out, before_listing),
                    Err(e) => not_listed(root, &child, &e.into(), out),
                }
            }
            Some(Type::File) => {
                let Some(meta) = stat().filter(|s| type_of(s.st_mode) == Type::File) else { continue };
                if space_write::is_stale_upload(name, meta.st_mtime) {
                    // A temp file of an upload cut off by a killed daemon: nobody will finish it.
                    match unlinkat(&listing, name, UnlinkatFlags::NoRemoveDir) {
                        Ok(()) => tracing::info!(file = child, "removed an interrupted upload"),
                        Err(e) => tracing::warn!(file = child, "cannot remove an interrupted upload: {e}"),
                    }
                } else if !is_ignored_file(name) {
                    out.files.insert(child, (meta.st_size as u64, meta.st_mtime * 1_000_000_000 + meta.st_mtime_nsec));
                }
            }
            _ => {}
        }
    }
}

fn type_of(mode: nix::libc::mode_t) -> Type {
    match mode & nix::libc::S_IFMT {
        nix::libc::S_IFDIR => Type::Directory,
        nix::libc::S_IFREG => Type::File,
        nix::libc::S_IFLNK => Type::Symlink,
        _ => Type::Fifo,
    }
}

/// Compares the space on disk with the database and queues the differences. Blocking: call from the
/// blocking pool.
/// `accept_missing`: the administrator confirms that what vanished is gone (`photosd index --accept-missing`).
pub fn reconcile(db: &Db, space: &Space, accept_missing: bool) -> Result<ReconcileSummary, DbError> {
    let root = Path::new(&space.root);
    let stored = db.stored_files(space.id)?;
    // The root itself may not be a symlink either (a user who owns the folder above could swap one in).
    // Nothing is marked missing, and the space says why (in the log, and to Index get).
    let hold_back = |files: usize, reason: &str| -> Result<ReconcileSummary, DbError> {
        db.set_space_held_back(space.id, files, Some(reason))?;
        Ok(ReconcileSummary { held_back: files, ..Default::default() })
    };
    let device = match std::fs::symlink_metadata(root) {
        Ok(meta) if meta.is_dir() => meta.dev(),
        _ => {
            tracing::error!(space = %space.root, items = stored.len(), "the space's folder is not there (not mounted?): nothing of it is marked missing until it is back");
            return hold_back(stored.len(), "the space's folder is not there (not mounted?)");
        }
    };
    match db.space_device(space.id)? {
        Some(recorded) if recorded != device && !accept_missing => {
            tracing::error!(space = %space.root, items = stored.len(), device, recorded, "the space's folder is on another file system than when it was indexed (a share not mounted?): nothing of it is marked missing until it is back (or `photosd index --accept-missing` says it moved)");
            return hold_back(
                stored.len(),
                "the space's folder is on another file system than when it was indexed (a share not mounted?)",
            );
        }
        Some(recorded) if recorded == device => {}
        _ => db.set_space_device(space.id, device)?,
    }
    let mut found = Walk::default();
    walk(root, "", &mut found, &mut |_, _| {});
    let stored = match adopt_moved_folders(db, space, &found, &stored)? {
        0 => stored,
        // Their items moved with them: compare the disk with where they are now.
        _ => db.stored_files(space.id)?,
    };
    let folders: Vec<(String, Option<u64>)> =
        found.dirs.iter().map(|d| (d.clone(), found.dir_inodes.get(d).copied())).collect();
    db.record_folders(space.id, &folders)?;
    let disk = &found.files;
    let mut missing: Vec<i64> = stored
        .iter()
        .filter(|(path, _)| !disk.contains_key(*path) && !found.covers_unreadable(path))
        .map(|(_, f)| f.id)
        .collect();
    let mut held_back = 0;
    if !accept_missing && stored.len() >= MASS_VANISH_MIN_ITEMS && missing.len() * 2 > stored.len() {
        tracing::error!(space = %space.root, gone = missing.len(), items = stored.len(), "most of the space vanished at once (a disk failing, a share half mounted?): nothing is marked missing; if the files were removed on purpose, run `photosd index --accept-missing`");
        held_back = std::mem::take(&mut missing).len();
    }
    match held_back {
        0 => db.set_space_held_back(space.id, 0, None)?,
        n => db.set_space_held_back(
            space.id,
            n,
            Some("most of the space vanished at once (a disk failing, a share half mounted?)"),
        )?,
    }
    let jobs = changed_files(space, &stored, disk);
    db.mark_missing(&missing)?;
    db.enqueue(&jobs)?;
    if held_back == 0 {
        db.enqueue(&[pipeline::Job::purge(space.id, &space.root).queued()])?;
    }
    let summary = ReconcileSummary { files: disk.len(), queued: jobs.len(), missing: missing.len(), held_back };
    tracing::info!(space = %space.root, files = summary.files, queued = summary.queued, missing = summary.missing, held_back, "reconciled");
    Ok(summary)
}

/// Folders that were renamed or moved while photosd was not watching: a folder gone from its recorded path whose
/// inode now stands at a path the library does not know, holding at least one of its files (same name, size and
/// time: an inode number a deleted folder freed can be reused by a new one), is moved there through the library
/// service, keeping its id, its items and its permission rules. Returns how many folders were adopted.
fn adopt_moved_folders(
    db: &Db,
    space: &Space,
    found: &Walk,
    stored: &HashMap<String, StoredFile>,
) -> Result<usize, DbError> {
    let on_disk: std::collections::HashSet<&str> = found.dirs.iter().map(String::as_str).collect();
    let vanished: HashMap<u64, String> = db
        .folder_inodes(space.id)?
        .into_iter()
        .filter(|(path, _)| !path.is_empty() && !on_disk.contains(path.as_str()) && !found.covers_unreadable(path))
        .map(|(path, inode)| (inode, path))
        .collect();
    if vanished.is_empty() {
        return Ok(0);
    }
    let mut adopted = 0;
    for dir in &found.dirs {
        let Some(old) = found.dir_inodes.get(dir).and_then(|inode| vanished.get(inode)) else { continue };
        if db.folder_by_path(space.id, dir)?.is_some() {
            continue; // known here already, or moved here with its parent
        }
        let prefix = format!("{dir}/");
        let holds_its_files = found.files.iter().any(|(path, (size, mtime))| {
            path.strip_prefix(&prefix).is_some_and(|rest| {
                stored.get(&format!("{old}/{rest}")).is_some_and(|s| s.size == *size && s.mtime_ns == *mtime)
            })
        });
        if holds_its_files && library::moved(db, (space.id, old), (space.id, dir), true)? {
            tracing::info!(space = %space.root, from = old, to = dir, "a folder moved while photosd was not watching: it keeps its id, items and rules");
            adopted += 1;
        }
    }
    Ok(adopted)
}

/// Import jobs for the files on disk that the database does not hold, or holds with another size or mtime.
fn changed_files(space: &Space, stored: &HashMap<String, StoredFile>, disk: &DiskFiles) -> Vec<NewJob> {
    disk.iter()
        .filter(|(path, (size, mtime))| stored.get(*path).is_none_or(|s| s.size != *size || s.mtime_ns != *mtime))
        .map(|(path, _)| pipeline::Job::import(space.id, &space.root, path).queued())
        .collect()
}

/// After a move recorded from inotify, the files under `rel` (a folder or a single file) are compared with the
/// database, and what is new or changed is queued: imports queued for the old paths find nothing there, and a
/// file may have been edited just before it moved. Returns the jobs queued.
pub fn reconcile_moved(db: &Db, space: &Space, rel: &str) -> Result<usize, DbError> {
    let root = Path::new(&space.root);
    let mut found = Walk::default();
    if space_fs::open_dir(root, rel).is_ok() {
        walk(root, rel, &mut found, &mut |_, _| {});
    } else if let Ok(Some(stat)) = space_fs::stat_file(root, rel) {
        found.files.insert(rel.to_string(), (stat.st_size as u64, stat.st_mtime * 1_000_000_000 + stat.st_mtime_nsec));
    } else {
        return Ok(0);
    }
    let stored = db.stored_files(space.id)?;
    let jobs = changed_files(space, &stored, &found.files);
    db.enqueue(&jobs)?;
    Ok(jobs.len())
}

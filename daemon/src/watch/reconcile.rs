//! The reconcile scan: walks a space and compares it with the database by size and mtime. New and changed
//! files are queued for import; files that vanished are marked missing, so that an import of the same content
//! elsewhere (a move while photosd was down) adopts them, and a purge job removes the rest afterwards.
//! What looks like a whole space gone is not believed: a folder missing, on another file system than when it was
//! indexed (a share not mounted), or most of a space vanished at once leaves the library as it is, and says so,
//! until the space is back or `photosd index --accept-missing` confirms it.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::ignore::{is_ignored_dir, is_ignored_file};
use crate::db::{Db, DbError, NewJob, Space, StoredFile};
use crate::jobs::pipeline;

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
    pub dirs: Vec<String>,
    /// Folders that could not be listed: what the database holds under them is unknown, not gone.
    pub unreadable: Vec<String>,
}

impl Walk {
    fn covers_unreadable(&self, path: &str) -> bool {
        self.unreadable.iter().any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
    }
}

/// Walks `root/rel` (not following symlinks), collecting media files and folders, skipping ignored names.
/// `before_listing` is called with each folder before its entries are read: the watcher adds its inotify watch
/// there, so a file created while the walk runs is either listed or reported by inotify, never neither.
pub fn walk(root: &Path, rel: &str, out: &mut Walk, before_listing: &mut dyn FnMut(&str)) {
    before_listing(rel);
    let dir = if rel.is_empty() { root.to_path_buf() } else { root.join(rel) };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(folder = %dir.display(), "cannot list: {e}");
                out.unreadable.push(rel.to_string());
            }
            return;
        }
    };
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            tracing::warn!(path = %entry.path().display(), "skipped: the name is not valid UTF-8");
            continue;
        };
        let Ok(file_type) = entry.file_type() else { continue };
        let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if file_type.is_dir() {
            if !is_ignored_dir(&name) {
                out.dirs.push(child.clone());
                walk(root, &child, out, before_listing);
            }
        } else if file_type.is_file() && crate::service::space_write::is_stale_upload(&name, &entry) {
            // A temp file of an upload cut off by a killed daemon: nobody will finish it.
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = %entry.path().display(), "removed an interrupted upload"),
                Err(e) => tracing::warn!(file = %entry.path().display(), "cannot remove an interrupted upload: {e}"),
            }
        } else if file_type.is_file() && !is_ignored_file(&name) {
            if let Ok(meta) = entry.metadata() {
                out.files.insert(child, (meta.len(), meta.mtime() * 1_000_000_000 + meta.mtime_nsec()));
            }
        }
    }
}

/// Compares the space on disk with the database and queues the differences. Blocking: call from the
/// blocking pool.
/// `accept_missing`: the administrator confirms that what vanished is gone (`photosd index --accept-missing`).
pub fn reconcile(db: &Db, space: &Space, accept_missing: bool) -> Result<ReconcileSummary, DbError> {
    let root = Path::new(&space.root);
    let stored = db.stored_files(space.id)?;
    let device = match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => meta.dev(),
        _ => {
            tracing::error!(space = %space.root, items = stored.len(), "the space's folder is not there (not mounted?): nothing of it is marked missing until it is back");
            return Ok(ReconcileSummary { held_back: stored.len(), ..Default::default() });
        }
    };
    match db.space_device(space.id)? {
        Some(recorded) if recorded != device && !accept_missing => {
            tracing::error!(space = %space.root, items = stored.len(), device, recorded, "the space's folder is on another file system than when it was indexed (a share not mounted?): nothing of it is marked missing until it is back (or `photosd index --accept-missing` says it moved)");
            return Ok(ReconcileSummary { held_back: stored.len(), ..Default::default() });
        }
        Some(recorded) if recorded == device => {}
        _ => db.set_space_device(space.id, device)?,
    }
    let mut found = Walk::default();
    walk(root, "", &mut found, &mut |_| {});
    for dir in &found.dirs {
        db.ensure_folder(space.id, dir)?;
    }
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
    let jobs = changed_files(space, &stored, disk);
    db.mark_missing(&missing)?;
    db.enqueue(&jobs)?;
    if held_back == 0 {
        db.enqueue(&[pipeline::purge(space.id, &space.root)])?;
    }
    let summary = ReconcileSummary { files: disk.len(), queued: jobs.len(), missing: missing.len(), held_back };
    tracing::info!(space = %space.root, files = summary.files, queued = summary.queued, missing = summary.missing, held_back, "reconciled");
    Ok(summary)
}

/// Import jobs for the files on disk that the database does not hold, or holds with another size or mtime.
fn changed_files(space: &Space, stored: &HashMap<String, StoredFile>, disk: &DiskFiles) -> Vec<NewJob> {
    disk.iter()
        .filter(|(path, (size, mtime))| stored.get(*path).is_none_or(|s| s.size != *size || s.mtime_ns != *mtime))
        .map(|(path, _)| pipeline::import(space.id, &space.root, path))
        .collect()
}

/// After a move recorded from inotify, the files under `rel` (a folder or a single file) are compared with the
/// database, and what is new or changed is queued: imports queued for the old paths find nothing there, and a
/// file may have been edited just before it moved. Returns the jobs queued.
pub fn reconcile_moved(db: &Db, space: &Space, rel: &str) -> Result<usize, DbError> {
    let root = Path::new(&space.root);
    let full = root.join(rel);
    let mut found = Walk::default();
    match std::fs::symlink_metadata(&full) {
        Ok(m) if m.is_dir() => walk(root, rel, &mut found, &mut |_| {}),
        Ok(m) if m.is_file() => {
            found.files.insert(rel.to_string(), (m.len(), m.mtime() * 1_000_000_000 + m.mtime_nsec()));
        }
        _ => return Ok(0),
    }
    let stored = db.stored_files(space.id)?;
    let jobs = changed_files(space, &stored, &found.files);
    db.enqueue(&jobs)?;
    Ok(jobs.len())
}

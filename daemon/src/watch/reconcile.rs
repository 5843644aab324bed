//! The reconcile scan: walks a space and compares it with the database by size and mtime. New and changed
//! files are queued for import; files that vanished are marked missing, so that an import of the same content
//! elsewhere (a move while photosd was down) adopts them, and a purge job removes the rest afterwards.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::ignore::{is_ignored_dir, is_ignored_file};
use crate::db::{Db, DbError, NewJob, Space};
use crate::jobs::pipeline;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSummary {
    pub files: usize,
    pub queued: usize,
    pub missing: usize,
}

/// A file on disk: relative path → (size, mtime in ns).
pub type DiskFiles = HashMap<String, (u64, i64)>;

/// Walks `root/rel` (not following symlinks), collecting media files and folders, skipping ignored names.
/// `before_listing` is called with each folder before its entries are read: the watcher adds its inotify watch
/// there, so a file created while the walk runs is either listed or reported by inotify, never neither.
pub fn walk(
    root: &Path,
    rel: &str,
    files: &mut DiskFiles,
    dirs: &mut Vec<String>,
    before_listing: &mut dyn FnMut(&str),
) {
    before_listing(rel);
    let dir = if rel.is_empty() { root.to_path_buf() } else { root.join(rel) };
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            tracing::warn!(path = %entry.path().display(), "skipped: the name is not valid UTF-8");
            continue;
        };
        let Ok(file_type) = entry.file_type() else { continue };
        let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if file_type.is_dir() {
            if !is_ignored_dir(&name) {
                dirs.push(child.clone());
                walk(root, &child, files, dirs, before_listing);
            }
        } else if file_type.is_file() && !is_ignored_file(&name) {
            if let Ok(meta) = entry.metadata() {
                files.insert(child, (meta.len(), meta.mtime() * 1_000_000_000 + meta.mtime_nsec()));
            }
        }
    }
}

/// Compares the space on disk with the database and queues the differences. Blocking: call from the
/// blocking pool.
pub fn reconcile(db: &Db, space: &Space) -> Result<ReconcileSummary, DbError> {
    let root = Path::new(&space.root);
    let (mut disk, mut dirs) = (DiskFiles::new(), Vec::new());
    walk(root, "", &mut disk, &mut dirs, &mut |_| {});
    for dir in &dirs {
        db.ensure_folder(space.id, dir)?;
    }
    let stored = db.stored_files(space.id)?;
    let missing: Vec<i64> = stored.iter().filter(|(path, _)| !disk.contains_key(*path)).map(|(_, f)| f.id).collect();
    let jobs: Vec<NewJob> = disk
        .iter()
        .filter(|(path, (size, mtime))| stored.get(*path).is_none_or(|s| s.size != *size || s.mtime_ns != *mtime))
        .map(|(path, _)| pipeline::import(space.id, &space.root, path))
        .collect();
    db.mark_missing(&missing)?;
    db.enqueue(&jobs)?;
    db.enqueue(&[pipeline::purge(space.id, &space.root)])?;
    let summary = ReconcileSummary { files: disk.len(), queued: jobs.len(), missing: missing.len() };
    tracing::info!(space = %space.root, files = summary.files, queued = summary.queued, missing = summary.missing, "reconciled");
    Ok(summary)
}

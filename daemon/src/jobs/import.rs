//! The import job: reads a file in a worker and stores the reading; and the purge that follows a reconcile.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::pipeline::{FileRef, SpaceRef};
use super::{JobError, Progress};
use crate::app::App;
use crate::media::transcode::browser_plays;
use crate::media::Reading;
use crate::service::{library, space_fs};

pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000_000 + meta.mtime_nsec()
}

fn stat_mtime_ns(stat: &nix::sys::stat::FileStat) -> i64 {
    stat.st_mtime * 1_000_000_000 + stat.st_mtime_nsec
}

/// The file at the job's path now, looked up through no symlink: `None` when it is gone or not a regular file.
fn current(job: &FileRef) -> Result<Option<nix::sys::stat::FileStat>, JobError> {
    space_fs::stat_file(Path::new(&job.root), &job.path).map_err(|e| JobError::Retry(format!("cannot look: {e}")))
}

pub async fn run(
    app: &Arc<App>,
    job: &FileRef,
    last_attempt: bool,
    progress: &Progress,
) -> Result<Option<(i64, Reading)>, JobError> {
    let full = Path::new(&job.root).join(&job.path);
    // Opened here, beneath the space's root and through no symlink (a folder on the way swapped for a link to
    // another user's photos leads nowhere), and handed to the worker open.
    let source = match space_fs::open_source_at(Path::new(&job.root), &job.path) {
        Ok(source) => source,
        Err(e) if current(job)?.is_some() => return Err(JobError::Retry(format!("cannot open: {e}"))),
        // Gone (or replaced by something that is not a file) since the job was queued.
        Err(_) => {
            let (space, path) = (job.space, job.path.clone());
            app.db.call(move |db| library::vanished(db, space, &path, false)).await?;
            return Ok(None);
        }
    };
    let before = source.file().metadata().map_err(|e| JobError::Retry(format!("cannot read: {e}")))?;
    // Ask the kernel to start reading the file now: while this job waits for a free worker, the disk is
    // already fetching it (only a readahead hint; the daemon itself never parses the bytes).
    let _ = nix::fcntl::posix_fadvise(source.file(), 0, 0, nix::fcntl::PosixFadviseAdvice::POSIX_FADV_WILLNEED);
    let reading = match app.workers.read(&source, true).await {
        Ok(r) => r,
        // The worker crashed, hung or ran out of memory on this file: retry once, then flag the file.
        Err(e) if last_attempt => Reading {
            path: full.display().to_string(),
            size: before.len(),
            error: Some(e.to_string()),
            kind: if crate::media::detect::is_video_name(&full) {
                crate::media::MediaKind::Video
            } else {
                crate::media::MediaKind::Photo
            },
            ..Reading::default()
        },
        Err(e) => return Err(JobError::Retry(e.to_string())),
    };
    drop(source);
    // Still the file that was read, unchanged: the same inode at the path, with the same size and time.
    let after = current(job)?.ok_or_else(|| JobError::Retry("file vanished".into()))?;
    let same_file = after.st_ino == before.ino() && after.st_dev == before.dev();
    if !same_file || after.st_size as u64 != before.len() || stat_mtime_ns(&after) != mtime_ns(&before) {
        // Still being written: read it again once it settles.
        let next = super::pipeline::Job::import(job.space, &job.root, &job.path).queued();
        app.db.call(move |db| db.enqueue(&[next])).await?;
        return Ok(None);
    }
    if let Some(error) = &reading.error {
        tracing::warn!(file = %full.display(), "flagged as broken: {error}");
    }
    progress.bytes.fetch_add(before.len(), Ordering::Relaxed);
    let (space, path, mtime) = (job.space, job.path.clone(), mtime_ns(&before));
    let root = job.root.clone();
    // A video that browsers play as it is streams as it is: no transcode is queued for it.
    let plays_as_is = reading.kind == crate::media::MediaKind::Video
        && reading.error.is_none()
        && browser_plays(reading.video_codec.as_deref(), reading.audio_codec.as_deref(), reading.mime.as_deref());
    let stored = app
        .db
        .call(move |db| {
            // The watcher may have recorded a delete or a rename while the worker read: a file that is gone by
            // now must not come back as a ghost row.
            if !space_fs::stat_file(Path::new(&root), &path).is_ok_and(|s| s.is_some()) {
                library::vanished(db, space, &path, false)?;
                return Ok(None);
            }
            let outcome = db.upsert_item(space, &path, mtime, &reading)?;
            if plays_as_is {
                db.set_video_state(outcome.id(), "original", None, None)?;
            }
            Ok(Some((outcome, reading)))
        })
        .await?;
    tracing::debug!(file = %full.display(), outcome = ?stored.as_ref().map(|s| &s.0), "imported");
    Ok(stored.map(|(outcome, reading)| (outcome.id(), reading)))
}

/// Deletes the items a reconcile found missing (no import adopted them), and folders gone from disk.
pub async fn purge(app: &Arc<App>, job: &SpaceRef) -> Result<(), JobError> {
    let (space, root) = (job.space, job.root.clone());
    app.db
        .call(move |db| {
            let items = db.purge_missing(space)?;
            let mut folders = 0;
            for (_, path) in db.folder_paths(space)? {
                // Only a folder that is really gone: an I/O error or a moment mid-rename is not a deletion.
                let gone = std::fs::symlink_metadata(Path::new(&root).join(&path))
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
                if !path.is_empty() && gone {
                    folders += library::vanished(db, space, &path, true)?;
                }
            }
            if items + folders > 0 {
                tracing::info!(space, items = items + folders, "removed files deleted while photosd was not watching");
            }
            Ok(())
        })
        .await?;
    Ok(())
}

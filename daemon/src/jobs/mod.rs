//! The job runner: loops claim jobs from the persistent queue by lane, run them, and enqueue what
//! `pipeline::next` says the item needs next. A failed job is retried once, then kept as failed with its error.

mod faces;
mod geocode;
mod import;
pub mod pipeline;
pub mod subjects;
mod thumbs;
mod transcode;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use pipeline::{ItemFacts, Job, Lane};

/// Two attempts: a worker crash can be bad luck once; twice on the same file, it is the file.
pub const MAX_ATTEMPTS: i64 = 2;

/// Counters for progress reporting.
#[derive(Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub failed: AtomicU64,
    pub bytes: AtomicU64,
    /// Jobs done, by kind.
    pub done_by_kind: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Why photosd's own storage refuses work, while it does (see `JobError::Storage`).
    pub storage_failure: std::sync::Mutex<Option<String>>,
}

impl Progress {
    /// Records a storage failure; returns whether it is news (the storage worked until now).
    fn storage_failed(&self, message: &str) -> bool {
        self.storage_failure.lock().unwrap_or_else(|p| p.into_inner()).replace(message.to_string()).is_none()
    }

    /// Records that work succeeds again; returns whether storage had failed until now.
    fn storage_works(&self) -> bool {
        self.storage_failure.lock().unwrap_or_else(|p| p.into_inner()).take().is_some()
    }

    pub fn storage_failure(&self) -> Option<String> {
        self.storage_failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Db(#[from] crate::db::DbError),
    #[error("{0}")]
    Payload(String),
    #[error("{0}")]
    Retry(String),
    /// photosd's own storage (the data dir unwritable, full or read-only) failed, not the file: the job goes back
    /// to the queue without using up an attempt, and runs again once the storage takes writes.
    #[error("photosd's data directory: {0}")]
    Storage(String),
    /// Stopped by the daemon's shutdown: left as running, so the next start runs it again from the beginning.
    #[error("interrupted by shutdown")]
    Interrupted,
}

impl JobError {
    /// Whether this is photosd's own storage failing (see `Storage`), including the database's.
    fn is_storage(&self) -> bool {
        use rusqlite::ErrorCode::{CannotOpen, DiskFull, PermissionDenied, ReadOnly, SystemIoFailure};
        match self {
            JobError::Storage(_) => true,
            JobError::Db(crate::db::DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _))) => {
                matches!(e.code, DiskFull | ReadOnly | CannotOpen | PermissionDenied | SystemIoFailure)
            }
            _ => false,
        }
    }
}

/// Runs jobs until `shutdown` fires, or, with `until_idle`, until the queue is empty.
pub async fn run(app: Arc<App>, shutdown: CancellationToken, until_idle: bool, progress: Arc<Progress>) {
    // Two loops per worker: while one loop records a finished file in the database, the other has already
    // handed the worker its next file, so the disk and the workers never wait on SQLite.
    // Transcodes take minutes to hours: they get loops of their own, as many as may run at once.
    let loops = app.config.worker_count() * 2;
    let lanes = std::iter::repeat_n(Lane::Quick, loops)
        .chain(std::iter::repeat_n(Lane::Long, app.config.video.concurrent_transcodes))
        .chain(std::iter::once(Lane::Ml));
    let mut tasks = tokio::task::JoinSet::new();
    for lane in lanes {
        let (app, shutdown, progress) = (app.clone(), shutdown.clone(), progress.clone());
        tasks.spawn(async move { run_loop(&app, &shutdown, until_idle, lane, &progress).await });
    }
    while tasks.join_next().await.is_some() {}
}

async fn run_loop(app: &Arc<App>, shutdown: &CancellationToken, until_idle: bool, lane: Lane, progress: &Progress) {
    let kinds = pipeline::kinds_of(lane);
    let (barrier, waits_for) = (pipeline::BARRIER.0.kind, pipeline::BARRIER.1.kind);
    loop {
        // `photosd index` stops at a storage failure, which would otherwise keep it waiting forever.
        if shutdown.is_cancelled() || (until_idle && progress.storage_failure().is_some()) {
            return;
        }
        let lane_kinds = kinds.clone();
        let claimed = app.db.call(move |db| db.claim_job(&lane_kinds, barrier, waits_for)).await;
        let job = match claimed {
            Ok(Some(job)) => job,
            Ok(None) => {
                if until_idle {
                    let counts = app.db.call(|db| db.job_counts()).await.unwrap_or_default();
                    if counts.queued == 0 && counts.running == 0 {
                        app.jobs_ready.notify_waiters();
                        return;
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = app.jobs_ready.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
                continue;
            }
            Err(e) => {
                tracing::error!("cannot read the job queue: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let (id, kind) = (job.id, job.kind.clone());
        let outcome = match Job::stored(&job.kind, &job.payload) {
            Ok(typed) => {
                execute(app, &typed, job.attempts >= MAX_ATTEMPTS, shutdown, progress).await.map(|f| (typed, f))
            }
            Err(e) => Err(JobError::Payload(e)),
        };
        let recorded = match outcome {
            Ok((typed, item)) => {
                if progress.storage_works() {
                    tracing::info!("the data directory takes writes again; jobs resumed");
                }
                progress.done.fetch_add(1, Ordering::Relaxed);
                *progress
                    .done_by_kind
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(typed.stage().kind)
                    .or_default() += 1;
                let next = pipeline::queued(&pipeline::next(&typed, item.as_ref()));
                app.db
                    .call(move |db| {
                        db.enqueue(&next)?;
                        db.finish_job(id)
                    })
                    .await
            }
            Err(JobError::Interrupted) => {
                tracing::info!(job = %job.key, kind = %kind, "interrupted by shutdown; runs again at the next start");
                return;
            }
            Err(e) if e.is_storage() => {
                let message = e.to_string();
                if progress.storage_failed(&message) {
                    tracing::error!(
                        data_dir = %app.config.storage.data_dir.display(),
                        "{message}; no file is marked broken for it, and work resumes by itself once fixed \
                         (the data directory must be writable by the service user, with free space)"
                    );
                }
                tracing::debug!(job = %job.key, kind = %kind, "waits for the data directory: {message}");
                app.db.call(move |db| db.retry_job_later(id, &message)).await
            }
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(job = %job.key, kind = %kind, attempt = job.attempts, "job failed: {message}");
                if job.attempts >= MAX_ATTEMPTS {
                    progress.failed.fetch_add(1, Ordering::Relaxed);
                }
                app.db.call(move |db| db.fail_job(id, &message, MAX_ATTEMPTS)).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!("cannot record the end of job {id}: {e}");
        }
        app.jobs_ready.notify_waiters();
    }
}

/// Runs one job; returns what is known of the item it produced or worked on, if any.
async fn execute(
    app: &Arc<App>,
    job: &Job,
    last_attempt: bool,
    shutdown: &CancellationToken,
    progress: &Progress,
) -> Result<Option<ItemFacts>, JobError> {
    match job {
        Job::Import(file) => {
            let item = import::run(app, file, last_attempt, progress).await?;
            let Some((id, reading)) = item else { return Ok(None) };
            Ok(Some(facts_of(app, id, &reading).placing(app, file.space).await?))
        }
        Job::Thumbs(i) => {
            thumbs::run(app, i.item, last_attempt).await?;
            item_facts(app, i.item).await
        }
        Job::Transcode(i) => {
            transcode::run(app, i.item, last_attempt, shutdown).await?;
            Ok(None)
        }
        Job::Faces(i) => {
            faces::run(app, i.item, last_attempt).await?;
            Ok(None)
        }
        Job::Subjects(i) => {
            subjects::run(app, i.item, last_attempt).await?;
            Ok(None)
        }
        Job::Regroup(space) => {
            faces::regroup(app, space.space).await?;
            Ok(None)
        }
        Job::Geocode(space) => {
            geocode::run(app, space.space).await?;
            Ok(None)
        }
        Job::Purge(space) => {
            import::purge(app, space).await?;
            Ok(None)
        }
    }
}

/// The facts of an item just read (whether it is to be placed: `ItemFacts::placing`).
fn facts_of(app: &App, id: i64, reading: &crate::media::Reading) -> ItemFacts {
    let codecs = [reading.video_codec.as_deref(), reading.audio_codec.as_deref(), reading.mime.as_deref()];
    let needs_transcode = needs_transcode(app, reading.kind, reading.error.is_none(), codecs);
    ItemFacts::new(app, id, reading.kind, needs_transcode)
}

impl ItemFacts {
    /// An item's facts, with what the library's networks can do (their models are there).
    fn new(app: &App, id: i64, kind: crate::media::MediaKind, needs_transcode: bool) -> ItemFacts {
        let (finds_faces, finds_subjects) = (app.face_models.is_some(), app.subject_model.is_some());
        ItemFacts { id, kind, needs_transcode, finds_faces, finds_subjects, to_place: None }
    }

    /// With `to_place` from the stored item, not the reading: a position the user set by hand counts, and an
    /// unchanged one that is placed already does not.
    async fn placing(mut self, app: &Arc<App>, space: i64) -> Result<ItemFacts, JobError> {
        let id = self.id;
        let unplaced = app.geocoder.is_some() && app.db.call(move |db| db.is_unplaced(id)).await?;
        self.to_place = unplaced.then_some(space);
        Ok(self)
    }
}

/// The facts of a stored item, or none when it is gone.
async fn item_facts(app: &Arc<App>, id: i64) -> Result<Option<ItemFacts>, JobError> {
    let Some(video) = app.db.call(move |db| db.video_source(id)).await? else { return Ok(None) };
    let kind = match video.kind.as_str() {
        "video" => crate::media::MediaKind::Video,
        "live" => crate::media::MediaKind::Live,
        _ => crate::media::MediaKind::Photo,
    };
    let codecs = [video.video_codec.as_deref(), video.audio_codec.as_deref(), video.mime.as_deref()];
    let needs_transcode = needs_transcode(app, kind, video.hash.is_some(), codecs);
    Ok(Some(ItemFacts::new(app, id, kind, needs_transcode)))
}

/// Whether an item needs a browser-playable copy: a video that was read, that browsers cannot play as it is
/// (`codecs`: video codec, audio codec, container type), in a library that makes copies.
fn needs_transcode(app: &App, kind: crate::media::MediaKind, read: bool, codecs: [Option<&str>; 3]) -> bool {
    let [video, audio, mime] = codecs;
    kind == crate::media::MediaKind::Video
        && read
        && !crate::media::transcode::browser_plays(video, audio, mime)
        && app.config.video.transcode
}

/// Imports one file now, as the import job would, and queues what follows (thumbnails...): an upload answers
/// with the new item's id. The watcher's own event for the same file later finds it already stored.
pub async fn import_now(app: &Arc<App>, space: i64, root: &str, path: &str) -> Result<Option<i64>, JobError> {
    let job = Job::import(space, root, path);
    let Job::Import(file) = &job else { unreachable!("an import job") };
    let item = import::run(app, file, true, &Progress::default()).await?;
    let facts = match &item {
        Some((id, reading)) => Some(facts_of(app, *id, reading).placing(app, space).await?),
        None => None,
    };
    let next = pipeline::queued(&pipeline::next(&job, facts.as_ref()));
    app.db.call(move |db| db.enqueue(&next)).await?;
    app.jobs_ready.notify_waiters();
    Ok(item.map(|(id, _)| id))
}

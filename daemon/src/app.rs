//! `App`: the state every part of the daemon shares, built once from the config and handed down explicitly.

use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};

use crate::config::Config;
use crate::db::Db;
use crate::ml::ModelFiles;
use crate::service::clustering::{Clustering, Tuning};
use crate::service::login_crypto::LoginKeys;
use crate::service::login_guard::LoginGuard;
use crate::worker::{PoolSpec, WorkerPool};

pub struct App {
    pub config: Config,
    pub db: Db,
    pub workers: WorkerPool,
    /// One worker for transcodes, apart from the others, so a long video never holds up thumbnails.
    pub transcoder: WorkerPool,
    /// One worker for the face networks, which leaves with their memory when idle.
    pub face_worker: WorkerPool,
    /// The face models, opened at start; `None`: they are missing, and the library finds no faces.
    pub face_models: Option<ModelFiles>,
    /// Groups faces into persons, with its in-memory index of every face.
    pub clustering: Arc<Clustering>,
    /// Wakes the job runners when work is enqueued.
    pub jobs_ready: Notify,
    pub login_guard: LoginGuard,
    /// Wrong share link passwords, per link and address, and per address.
    pub link_guard: LoginGuard,
    /// PAM checks at once: a wrong password holds a thread for seconds.
    pub pam_slots: Semaphore,
    pub login_keys: Arc<LoginKeys>,
}

impl App {
    pub fn open(config: Config) -> anyhow::Result<Arc<App>> {
        let db = Db::open_with_readers(&config.db_path(), config.storage.db_readers)?;
        let requeued = db.requeue_interrupted_jobs()?;
        if requeued > 0 {
            tracing::info!(requeued, "jobs interrupted by the last shutdown will run again");
        }
        let (thumbs, videos) = db.clear_storage_failures()?;
        if !thumbs.is_empty() || !videos.is_empty() {
            let jobs: Vec<_> = thumbs
                .iter()
                .map(|&item| crate::jobs::pipeline::Job::thumbs(item).queued())
                .chain(videos.iter().map(|&item| crate::jobs::pipeline::Job::transcode(item).queued()))
                .collect();
            db.enqueue(&jobs)?;
            tracing::info!(
                thumbnails = thumbs.len(),
                transcodes = videos.len(),
                "items an older photosd marked broken because its data directory refused their files are queued again"
            );
        }
        // Workers may write these and nothing else (they must exist for the sandbox to name them).
        let trees: Vec<_> = crate::service::thumbs::TREES.iter().map(|t| config.storage.data_dir.join(t)).collect();
        for tree in &trees {
            if let Err(e) = std::fs::create_dir_all(tree) {
                tracing::warn!(folder = %tree.display(), "cannot create: {e}; thumbnails wait until it can be");
            }
        }
        let workers = WorkerPool::new(PoolSpec::media(&config).writing_to(&trees).for_the_library())?;
        let transcoder = WorkerPool::new(PoolSpec::transcoder(&config).writing_to(&trees).for_the_library())?;
        let face_worker = WorkerPool::new(PoolSpec::faces(&config).for_the_library())?;
        let face_models = match ModelFiles::open(&config.models_dir()) {
            Ok(models) => {
                // What an older photosd, or a space with People off until now, left to do.
                let backlog = db.face_backlog(None)?;
                db.enqueue(
                    &backlog.iter().map(|&item| crate::jobs::pipeline::Job::faces(item).queued()).collect::<Vec<_>>(),
                )?;
                if !backlog.is_empty() {
                    tracing::info!(photos = backlog.len(), "faces to find");
                }
                Some(models)
            }
            Err(e) => {
                tracing::warn!("People is off: {e}");
                None
            }
        };
        Ok(Arc::new(App {
            login_guard: LoginGuard::new(&config.auth),
            link_guard: LoginGuard::with_limits(
                crate::service::sharing::PASSWORD_FAILURES,
                crate::service::sharing::PASSWORD_WINDOW,
                crate::service::sharing::PASSWORD_BLOCK,
            ),
            pam_slots: Semaphore::new(4),
            login_keys: LoginKeys::new(&config.storage.data_dir),
            config,
            db,
            workers,
            transcoder,
            face_worker,
            face_models,
            clustering: Arc::new(Clustering::new(Tuning::default())),
            jobs_ready: Notify::new(),
        }))
    }
}

//! `App`: the state every part of the daemon shares, built once from the config and handed down explicitly.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Db;
use crate::worker::WorkerPool;

pub struct App {
    pub config: Config,
    pub db: Db,
    pub workers: WorkerPool,
    /// Wakes the job runners when work is enqueued.
    pub jobs_ready: Notify,
}

impl App {
    pub fn open(config: Config) -> anyhow::Result<Arc<App>> {
        let db = Db::open(&config.db_path())?;
        let requeued = db.requeue_interrupted_jobs()?;
        if requeued > 0 {
            tracing::info!(requeued, "jobs interrupted by the last shutdown will run again");
        }
        let workers = WorkerPool::new(&config)?;
        Ok(Arc::new(App { config, db, workers, jobs_ready: Notify::new() }))
    }
}

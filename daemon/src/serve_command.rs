//! `photosd serve`: the daemon. It serves the API and the portal, watches the spaces, runs the job queue, and
//! expires idle sessions, until SIGTERM or SIGINT; then it stops cleanly (open requests and running jobs finish).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::Config;
use crate::jobs::{self, Progress};
use crate::watch::Watcher;

/// `photosd serve`: serve the API, watch and index until SIGTERM or SIGINT, then stop cleanly (open requests
/// and running jobs finish).
pub async fn serve(config: Config, listener: std::net::TcpListener) -> anyhow::Result<()> {
    let app = App::open(config)?;
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone())?;
    tracing::info!(data = %app.config.storage.data_dir.display(), workers = app.config.worker_count(), "photosd started");
    let data_dir = app.config.storage.data_dir.clone();
    let swept = tokio::task::spawn_blocking(move || crate::service::thumbs::sweep_partial_files(&data_dir)).await?;
    if swept > 0 {
        tracing::info!(files = swept, "removed temp files left by an interrupted run");
    }
    let server = tokio::spawn(crate::http::serve(app.clone(), listener, shutdown.clone()));
    let runner = tokio::spawn(jobs::run(app.clone(), shutdown.clone(), false, Arc::new(Progress::default())));
    tokio::spawn(expire_sessions(app.clone(), shutdown.clone()));
    tokio::spawn(load_persons(app.clone()));
    tokio::spawn(jobs::subjects::rederive(app.clone()));
    let watched = Watcher::run(app.clone(), shutdown.clone()).await;
    shutdown.cancel();
    runner.await?;
    server.await?;
    app.workers.shutdown().await;
    app.transcoder.shutdown().await;
    app.face_worker.shutdown().await;
    tracing::info!("photosd stopped");
    watched
}

/// Deletes idle sessions every ten minutes, so the session table holds only live ones.
async fn expire_sessions(app: Arc<App>, shutdown: CancellationToken) {
    let idle = app.config.auth.session_idle_minutes * 60;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
        }
        match app.db.call(move |db| db.expire_sessions(idle)).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired idle sessions"),
            Err(e) => tracing::warn!("cannot expire sessions: {e}"),
        }
    }
}

/// Loads the persons of every space with People on, in the background, so that the first face placed after a
/// start does not wait for them (a third of a second at 200,000 faces).
async fn load_persons(app: Arc<App>) {
    if app.face_models.is_none() {
        return;
    }
    let spaces = match app.db.call(|db| db.spaces_with_people()).await {
        Ok(spaces) => spaces,
        Err(e) => return tracing::warn!("cannot list the spaces with People on: {e}"),
    };
    for space in spaces {
        let clustering = app.clustering.clone();
        if let Err(e) = app.db.call(move |db| clustering.warm(db, space)).await {
            tracing::warn!(space, "cannot load the persons: {e}");
        }
    }
}

fn spawn_signal_handler(shutdown: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    Ok(())
}

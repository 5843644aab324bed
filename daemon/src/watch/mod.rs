//! Keeping the library in step with the disk: the reconcile scan, the inotify watcher, and the two commands
//! built on them (`serve` and `index`). Both only enqueue work; the job runner does it.

pub mod ignore;
mod reconcile;
mod watcher;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::Config;
use crate::jobs::{self, Progress};

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
    let watched = watcher::Watcher::run(app.clone(), shutdown.clone()).await;
    shutdown.cancel();
    runner.await?;
    server.await?;
    app.workers.shutdown().await;
    app.transcoder.shutdown().await;
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

#[derive(Debug, Clone, Default, clap::Args)]
pub struct IndexArgs {
    /// Accept that files gone from a space are gone, even when most of the space vanished at once or its folder
    /// is now on another file system (a share moved to a new disk). Without it, such a space is left as it is.
    #[arg(long)]
    pub accept_missing: bool,
}

/// `photosd index`: reconcile every space once, run the queue dry with a progress bar, print a summary.
pub async fn index_once(config: Config, args: IndexArgs) -> anyhow::Result<()> {
    let app = App::open(config)?;
    let spaces_config = app.config.spaces.clone();
    let found = tokio::task::spawn_blocking(move || crate::spaces::discover(&spaces_config)).await?;
    if found.is_empty() {
        eprintln!(
            "photosd: no spaces found (personal pattern {:?} for users with uid >= {}, shared root {:?})",
            app.config.spaces.personal_pattern, app.config.spaces.min_uid, app.config.spaces.shared_root
        );
    }
    for space in found {
        let root = space.root.display().to_string();
        let summary = app
            .db
            .call(move |db| {
                let owner = space.owner.as_ref().map(|(u, n)| (*u, n.as_str()));
                let stored = db.ensure_space(space.kind, owner, &root)?;
                reconcile::reconcile(db, &stored, args.accept_missing)
            })
            .await?;
        eprintln!(
            "{}: {} files, {} to read, {} gone{}",
            space.root.display(),
            summary.files,
            summary.queued,
            summary.missing,
            match summary.held_back {
                0 => String::new(),
                n => format!(", {n} gone but kept (see the log; --accept-missing confirms)"),
            }
        );
    }
    let progress = Arc::new(Progress::default());
    let total = app.db.call(|db| db.job_counts()).await?.queued.max(0) as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  ETA {eta}  {msg}")
            .expect("valid template"),
    );
    let started = Instant::now();
    let mut runner = tokio::spawn(jobs::run(app.clone(), CancellationToken::new(), true, progress.clone()));
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            finished = &mut runner => { finished?; break }
            _ = tick.tick() => {
                bar.set_position(progress.done.load(Ordering::Relaxed) + progress.failed.load(Ordering::Relaxed));
            }
        }
    }
    app.workers.shutdown().await;
    app.transcoder.shutdown().await;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let files = progress.done.load(Ordering::Relaxed);
    let mb = progress.bytes.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "indexed {files} jobs in {seconds:.1} s ({:.1} files/s, {:.1} MB/s)",
        files as f64 / seconds,
        mb / seconds
    );
    let by_kind = progress.done_by_kind.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let by_kind: Vec<String> = by_kind.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    println!("  jobs run: {}", if by_kind.is_empty() { "none".to_string() } else { by_kind.join(", ") });
    let summary = app.db.call(|db| db.library_summary()).await?;
    for (kind, count) in &summary.by_type {
        println!("  {kind}: {count}");
    }
    if !summary.broken.is_empty() {
        println!("  flagged, could not be read: {}", summary.broken.len());
        for (path, reason) in &summary.broken {
            println!("    {path}: {reason}");
        }
    }
    if let Some(failure) = progress.storage_failure() {
        let waiting = app.db.call(|db| db.job_counts()).await?.queued;
        anyhow::bail!(
            "stopped: {failure}. {waiting} jobs wait for the data directory {}; they run at the next `photosd index` \
             or `photosd serve` once it takes writes (writable by the service user, with free space)",
            app.config.storage.data_dir.display()
        );
    }
    Ok(())
}

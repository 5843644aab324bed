//! `photosd index`: reconcile every space once, run the job queue dry with a progress bar, and print a summary
//! (what was read, which jobs ran, what could not be read).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::Config;
use crate::jobs::{self, Progress};
use crate::watch::reconcile;

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
        let people = app.config.faces.people_by_default;
        let summary = app
            .db
            .call(move |db| {
                let owner = space.owner.as_ref().map(|(u, n)| (*u, n.as_str()));
                let stored = db.ensure_space(space.kind, owner, &root, people)?;
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
    app.face_worker.shutdown().await;
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

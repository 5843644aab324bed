//! `photosd inspect FILE...`: prints, one JSON line per file, exactly the reading the indexer stores, read
//! through the same worker processes.

use std::path::PathBuf;

use crate::config::Config;
use crate::media::{detect, MediaKind, Reading};
use crate::worker::{PoolSpec, WorkerPool};

#[derive(Debug, Clone, clap::Args)]
pub struct InspectArgs {
    /// Files to read.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Skip the content hash (faster on large videos).
    #[arg(long)]
    pub no_hash: bool,
}

pub async fn run(config: &Config, args: InspectArgs) -> anyhow::Result<()> {
    use futures_util::stream::{self, StreamExt};
    let pool = WorkerPool::new(PoolSpec::media(config))?;
    let hash = !args.no_hash;
    let width = pool.size();
    let mut lines = stream::iter(args.files.iter())
        .map(|path| {
            let pool = &pool;
            async move {
                let read = match crate::media::input::Source::open(path) {
                    Ok(source) => pool.read(&source, hash).await.map_err(|e| e.to_string()),
                    Err(e) => Err(format!("cannot open: {e}")),
                };
                let mut reading = read.unwrap_or_else(|error| Reading {
                    path: path.display().to_string(),
                    error: Some(error),
                    ..Reading::default()
                });
                if reading.kind == MediaKind::Photo
                    && reading.content_id.is_some()
                    && has_live_partner(path, pool, &reading).await
                {
                    reading.kind = MediaKind::Live;
                }
                reading
            }
        })
        .buffered(width);
    let mut out = std::io::stdout().lock();
    while let Some(reading) = lines.next().await {
        use std::io::Write;
        writeln!(out, "{}", serde_json::to_string(&reading)?)?;
    }
    drop(lines);
    pool.shutdown().await;
    Ok(())
}

/// A photo is a Live Photo when a video with the same base name beside it carries the same content identifier.
async fn has_live_partner(path: &std::path::Path, pool: &WorkerPool, photo: &Reading) -> bool {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else { return false };
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    for entry in entries.flatten() {
        let candidate = entry.path();
        let same_stem = candidate.file_stem().is_some_and(|s| s.eq_ignore_ascii_case(stem));
        if same_stem && candidate != path && detect::is_video_name(&candidate) {
            let Ok(source) = crate::media::input::Source::open(&candidate) else { continue };
            if let Ok(video) = pool.read(&source, false).await {
                if video.content_id.is_some() && video.content_id == photo.content_id {
                    return true;
                }
            }
        }
    }
    false
}

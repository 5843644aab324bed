//! `photosd thumb FILE... --out DIR [--size sm|m|xl|all]`: renders thumbnails through the same workers and code
//! as the indexer, and prints one line per file: the files written, or the error.

use std::path::PathBuf;

use crate::config::Config;
use crate::media::thumb::{ThumbRequest, ThumbSize};
use crate::service::thumbs::{short_side, SIZES};
use crate::worker::{PoolSpec, WorkerPool};

#[derive(Debug, Clone, clap::Args)]
pub struct ThumbArgs {
    /// Photos and videos to render.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Folder to write `<name>_<size>.jpg` into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Which size: sm (240 px), m (320 px), xl (1280 px) on the short side, or all.
    #[arg(long, default_value = "all", value_parser = ["sm", "m", "xl", "all"])]
    pub size: String,
}

pub async fn run(config: &Config, args: ThumbArgs) -> anyhow::Result<()> {
    use futures_util::stream::{self, StreamExt};
    std::fs::create_dir_all(&args.out)?;
    let pool = WorkerPool::new(PoolSpec::media(config).writing_to(std::slice::from_ref(&args.out)))?;
    let names: Vec<&str> = match args.size.as_str() {
        "all" => SIZES.iter().map(|(n, _)| *n).collect(),
        one => vec![one],
    };
    let out = args.out.clone();
    let quality = config.thumbnails.quality;
    let mut failures = 0usize;
    let mut lines = stream::iter(args.files.iter().enumerate())
        .map(|(index, file)| {
            let (pool, names, out) = (&pool, &names, &out);
            async move {
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("thumb");
                let sizes = names
                    .iter()
                    .map(|n| ThumbSize {
                        name: n.to_string(),
                        short_side: short_side(n).unwrap_or(240),
                        // The index keeps two files with the same name from different folders apart.
                        path: out.join(format!("{stem}_{index}_{n}.jpg")).display().to_string(),
                    })
                    .collect();
                let request = ThumbRequest { path: file.display().to_string(), sizes, quality };
                let rendered = match crate::media::input::Source::open(file) {
                    Ok(source) => pool.thumbs(request, &source).await.map_err(|e| e.to_string()),
                    Err(e) => Err(format!("cannot open: {e}")),
                };
                (file, rendered)
            }
        })
        .buffered(pool.size());
    while let Some((file, result)) = lines.next().await {
        match result {
            Ok(Ok(report)) => {
                let files: Vec<String> =
                    report.files.iter().map(|f| format!("{} ({}x{})", f.path, f.width, f.height)).collect();
                println!("{}: {}", file.display(), files.join(" "));
            }
            Ok(Err(reason)) => {
                failures += 1;
                println!("{}: error: {reason}", file.display());
            }
            Err(error) => {
                failures += 1;
                println!("{}: error: {error}", file.display());
            }
        }
    }
    drop(lines);
    pool.shutdown().await;
    if failures > 0 {
        anyhow::bail!("{failures} of {} files could not be rendered", args.files.len());
    }
    Ok(())
}

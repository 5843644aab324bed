//! `photosd faces FILE... [--embedding] [--aligned]`: finds the faces in each file through the same worker and
//! models as the indexer, and prints one JSON line per file: the size of the upright image the faces were found
//! in (`--short-side`), its faces (box, landmarks, score, and with `--embedding` the vector), or the error. For
//! debugging, and for the reference tests.

use std::path::PathBuf;

use crate::config::Config;
use crate::worker::{PoolSpec, WorkerPool};

#[derive(Debug, Clone, clap::Args)]
pub struct FacesArgs {
    /// Photos (or thumbnails) to look at.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also print each face's 128-D embedding.
    #[arg(long)]
    pub embedding: bool,
    /// Each file is already one aligned 112×112 face: print its embedding.
    #[arg(long)]
    pub aligned: bool,
    /// The size the image is brought to before detection, short side in pixels (the xl thumbnail's).
    #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..))]
    pub short_side: u32,
}

pub async fn run(config: &Config, args: FacesArgs) -> anyhow::Result<()> {
    let models = crate::ml::ModelFiles::open(&config.models_dir())?;
    let pool = WorkerPool::new(PoolSpec::faces(config))?;
    let mut failures = 0usize;
    for file in &args.files {
        let found = match crate::media::input::Source::open(file) {
            Ok(source) => {
                let answer =
                    pool.faces(&source, &models, args.embedding || args.aligned, args.short_side, args.aligned);
                answer.await.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string()))
            }
            Err(e) => Err(format!("cannot open: {e}")),
        };
        let line = match found {
            Ok(found) => {
                serde_json::json!({ "file": file, "width": found.width, "height": found.height, "faces": found.faces })
            }
            Err(error) => {
                failures += 1;
                serde_json::json!({ "file": file, "error": error })
            }
        };
        println!("{line}");
    }
    pool.shutdown().await;
    if failures > 0 {
        anyhow::bail!("{failures} of {} files could not be read", args.files.len());
    }
    Ok(())
}

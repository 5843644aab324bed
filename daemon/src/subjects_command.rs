//! `photosd subjects FILE...`: classifies each file through the same worker and model as the indexer, and prints
//! one JSON line per file: its subjects (the vocabulary's concepts that scored enough) and the ImageNet classes
//! kept, with their scores, or the error. For debugging, and for the reference tests. A file that is already
//! 224×224 is classified as it is, so a reference can be given the very same pixels.
//!
//! `photosd subjects --query TEXT...`: the subject each search text means (by its words, else by the text
//! model), with the model's embedding (`--embedding`) and the time it took.

use std::path::PathBuf;

use crate::config::Config;
use crate::ml::concepts::{class_name, vocabulary};
use crate::worker::{PoolSpec, WorkerPool};

#[derive(Debug, Clone, clap::Args)]
pub struct SubjectsArgs {
    /// Photos (or thumbnails) to classify.
    #[arg(required_unless_present = "query")]
    pub files: Vec<PathBuf>,
    /// Search texts: print the subject each means instead.
    #[arg(long, num_args = 1.., conflicts_with = "files")]
    pub query: Vec<String>,
    /// With --query, also print the text model's embedding of each text.
    #[arg(long, requires = "query")]
    pub embedding: bool,
}

pub async fn run(config: &Config, args: SubjectsArgs) -> anyhow::Result<()> {
    if !args.query.is_empty() {
        return queries(config, &args.query, args.embedding);
    }
    let model = crate::ml::subjects::ClassifierFile::open(&config.models_dir())?;
    let pool = WorkerPool::new(PoolSpec::faces(config))?;
    let vocabulary = vocabulary();
    let mut failures = 0usize;
    for file in &args.files {
        let found = match crate::media::input::Source::open(file) {
            Ok(source) => {
                let answer = pool.subjects(&source, &model).await;
                answer.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string()))
            }
            Err(e) => Err(format!("cannot open: {e}")),
        };
        let line = match found {
            Ok(classes) => {
                let screenshot = crate::ml::concepts::is_screenshot(
                    &file.file_name().unwrap_or_default().to_string_lossy(),
                    None,
                    None,
                    (0, 0),
                );
                let subjects: Vec<_> = vocabulary
                    .subjects(&classes, screenshot)
                    .into_iter()
                    .map(|(c, score)| serde_json::json!({ "name": vocabulary.concepts[c].name, "score": score }))
                    .collect();
                let page = classes.page;
                let classes: Vec<_> = classes
                    .classes
                    .iter()
                    .map(|&(class, score)| serde_json::json!({ "class": class, "name": class_name(class), "score": score }))
                    .collect();
                serde_json::json!({ "file": file, "subjects": subjects, "classes": classes, "page": page })
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

fn queries(config: &Config, texts: &[String], embedding: bool) -> anyhow::Result<()> {
    use crate::ml::text::{ConceptIndex, TextModel};
    let started = std::time::Instant::now();
    let model = TextModel::open(&config.models_dir())?;
    let index = ConceptIndex::build(&model, vocabulary())?;
    eprintln!(
        "text model and {} subjects' words ready in {} ms",
        vocabulary().concepts.len(),
        started.elapsed().as_millis()
    );
    for text in texts {
        let started = std::time::Instant::now();
        let vector = model.embed(text)?;
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        let by_word = vocabulary().named(text);
        let nearest = index.nearest(&vector);
        let subject = by_word.or(nearest.map(|(c, _)| c)).map(|c| vocabulary().concepts[c].name.as_str());
        let mut line = serde_json::json!({
            "query": text, "subject": subject, "by_word": by_word.is_some(),
            "nearness": nearest.map(|(_, s)| s), "ms": took_ms,
        });
        if embedding {
            line["embedding"] = serde_json::json!(vector);
        }
        println!("{line}");
    }
    Ok(())
}

//! The subjects job: classifies an item's `m` thumbnail (already upright; a video's poster frame) in the ML worker,
//! turns the classes into the vocabulary's concepts, and stores both. Like the faces job, it reads the thumbnail,
//! never the original; a file the decoder refuses is recorded on the item and not tried again until its content
//! changes; a failure of photosd's own (the model, the worker) never marks the photo.

use std::sync::Arc;

use super::JobError;
use crate::app::App;
use crate::media::input::{OutputError, Source};
use crate::ml::concepts::{is_screenshot, vocabulary};
use crate::service::thumbs;

/// The thumbnail classified: larger than the network's 224 px square, and smaller to decode than `xl`.
const FROM: &str = "m";

pub async fn run(app: &Arc<App>, item: i64, last_attempt: bool) -> Result<(), JobError> {
    let Some(model) = &app.subject_model else { return Ok(()) };
    let Some(source) = app.db.call(move |db| db.subject_source(item)).await? else { return Ok(()) };
    let (Some(hash), true) = (source.hash.clone(), source.enabled) else { return Ok(()) };
    if source.thumb_hash.as_deref() != Some(hash.as_str()) || source.subjects_hash.as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    let thumbnail = thumbs::thumb_path(&app.config.storage.data_dir, &hash, FROM);
    let opened = match Source::open(&thumbnail) {
        Ok(opened) => opened,
        Err(e) => return Err(JobError::Retry(format!("cannot open the thumbnail {}: {e}", thumbnail.display()))),
    };
    let classes = match app.face_worker.subjects(&opened, model).await {
        Ok(Ok(classes)) => classes,
        Ok(Err(OutputError::File(reason))) => {
            tracing::warn!(item, "not classified: {reason}");
            app.db.call(move |db| db.set_subjects_error(item, &hash, &reason)).await?;
            return Ok(());
        }
        Ok(Err(OutputError::Storage(reason))) => return Err(JobError::Retry(reason)),
        Err(e) if last_attempt => {
            let reason = e.to_string();
            tracing::warn!(item, "the ML worker failed on this photo twice: {reason}");
            app.db.call(move |db| db.set_subjects_error(item, &hash, &reason)).await?;
            return Ok(());
        }
        Err(e) => return Err(JobError::Retry(e.to_string())),
    };
    let screenshot = is_screenshot(&source.filename, source.mime.as_deref(), source.make.as_deref(), source.size);
    let subjects: Vec<(i64, f32)> =
        vocabulary().subjects(&classes, screenshot).into_iter().map(|(c, score)| (app.concept_ids[c], score)).collect();
    let stored = serde_json::to_string(&classes).unwrap_or_else(|_| "{}".into());
    let found = subjects.len();
    app.db.call(move |db| db.store_subjects(item, &hash, &stored, &subjects)).await?;
    tracing::debug!(item, subjects = found, "classified");
    Ok(())
}

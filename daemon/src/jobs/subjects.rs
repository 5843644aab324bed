//! The subjects job: classifies an item's `m` thumbnail (already upright; a video's poster frame) in the ML worker,
//! turns the classes into the vocabulary's concepts, and stores both. Like the faces job, it reads the thumbnail,
//! never the original; a file the decoder refuses is recorded on the item and not tried again until its content
//! changes; a failure of photosd's own (the model, the worker) never marks the photo. At start, a library whose
//! subjects came from another version's vocabulary gets them again from the stored classes (`rederive`).

use std::sync::Arc;

use super::JobError;
use crate::app::App;
use crate::db::SubjectSource;
use crate::media::input::{OutputError, Source};
use crate::ml::concepts::{fingerprint, is_screenshot, vocabulary};
use crate::ml::subjects::Classes;
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
    let subjects = subjects_of(app, &classes, &source);
    let stored = serde_json::to_string(&classes).unwrap_or_else(|_| "{}".into());
    let found = subjects.len();
    app.db.call(move |db| db.store_subjects(item, &hash, &stored, &subjects)).await?;
    tracing::debug!(item, subjects = found, "classified");
    Ok(())
}

/// The subjects (by concept id, with their scores) of an item's classes.
fn subjects_of(app: &App, classes: &Classes, source: &SubjectSource) -> Vec<(i64, f32)> {
    let screenshot = is_screenshot(&source.filename, source.mime.as_deref(), source.make.as_deref(), source.size);
    vocabulary().subjects(classes, screenshot).into_iter().map(|(c, score)| (app.concept_ids[c], score)).collect()
}

/// Items whose subjects are derived again at a time.
const BATCH: usize = 500;

/// When the library's subjects were derived with another vocabulary than this photosd's (an upgrade), derives
/// them again from each item's stored classes, without the network; what users took out stays out. Run once at
/// start, in the background. The fingerprint is written last, so a run cut short starts over at the next start.
pub async fn rederive(app: Arc<App>) {
    let current = fingerprint();
    let stored = match app.db.call(|db| db.subject_vocabulary()).await {
        Ok(stored) => stored,
        Err(e) => return tracing::warn!("cannot read the subjects vocabulary: {e}"),
    };
    if stored.as_deref() == Some(current.as_str()) {
        return;
    }
    let started = std::time::Instant::now();
    let (mut after, mut items) = (0, 0usize);
    loop {
        let batch = match app.db.call(move |db| db.classified_items(after, BATCH)).await {
            Ok(batch) => batch,
            Err(e) => return tracing::warn!("cannot derive the subjects again: {e}"),
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut derived = Vec::with_capacity(batch.len());
        for item in batch {
            match serde_json::from_str::<Classes>(&item.classes) {
                Ok(classes) => derived.push((
                    item.id,
                    item.hash.clone(),
                    item.classes.clone(),
                    subjects_of(&app, &classes, &item.source),
                )),
                // Classes stored by another version in another shape: the item is classified again.
                Err(e) => {
                    tracing::warn!(item = item.id, "stored classes unreadable ({e}): classifying again");
                    let job = crate::jobs::pipeline::Job::subjects(item.id).queued();
                    if let Err(e) = app.db.call(move |db| db.enqueue(&[job])).await {
                        tracing::warn!("cannot queue the subjects job: {e}");
                    }
                }
            }
        }
        items += derived.len();
        let stored = app
            .db
            .call(move |db| {
                derived.iter().try_for_each(|(id, hash, classes, subjects)| {
                    db.store_subjects(*id, hash, classes, subjects).map(drop)
                })
            })
            .await;
        if let Err(e) = stored {
            return tracing::warn!("cannot store the subjects derived again: {e}");
        }
    }
    match app.db.call(move |db| db.set_subject_vocabulary(&current)).await {
        Ok(()) if items > 0 => tracing::info!(
            photos = items,
            ms = started.elapsed().as_millis() as u64,
            "subjects derived again from the stored classes, for this version's vocabulary"
        ),
        Ok(()) => {}
        Err(e) => tracing::warn!("cannot record the subjects vocabulary: {e}"),
    }
}

//! The faces job: finds the faces in an item's `xl` thumbnail (already upright, and a video's poster frame), in
//! the face worker, stores them with their embeddings, and lets clustering place them. It reads the thumbnail,
//! never the original again. A file the decoder refuses is recorded on the item and not tried again until its
//! content changes; a failure of photosd's own (the models, the worker) never marks the photo: the item stays in
//! the backlog that every start queues again. The regroup job groups every face of a space again, keeping what
//! the user named or corrected.

use std::sync::Arc;

use super::pipeline::{FACES, IMPORT, THUMBS};
use super::JobError;
use crate::app::App;
use crate::db::NewFace;
use crate::media::input::{OutputError, Source};
use crate::service::thumbs;

/// The thumbnail the faces are found in, and its short side.
const FROM: &str = "xl";

pub async fn run(app: &Arc<App>, item: i64, last_attempt: bool) -> Result<(), JobError> {
    let Some(models) = &app.face_models else { return Ok(()) };
    let Some(source) = app.db.call(move |db| db.face_source(item)).await? else { return Ok(()) };
    let (Some(hash), true) = (source.hash.clone(), source.people_enabled) else { return Ok(()) };
    if source.thumb_hash.as_deref() != Some(hash.as_str()) || source.faces_hash.as_deref() == Some(hash.as_str()) {
        // No thumbnail of this content yet (its thumbnail job queues this one again), or done already.
        return Ok(());
    }
    let thumbnail = thumbs::thumb_path(&app.config.storage.data_dir, &hash, FROM);
    let opened = match Source::open(&thumbnail) {
        Ok(opened) => opened,
        Err(e) => return Err(JobError::Retry(format!("cannot open the thumbnail {}: {e}", thumbnail.display()))),
    };
    let short_side = thumbs::short_side(FROM).unwrap_or(1280);
    let found = match app.face_worker.faces(&opened, models, true, short_side, false).await {
        Ok(Ok(found)) => found,
        Ok(Err(OutputError::File(reason))) => {
            tracing::warn!(item, "no faces looked for: {reason}");
            app.db.call(move |db| db.set_faces_error(item, &hash, &reason)).await?;
            return Ok(());
        }
        // The models or the networks: ours, not the photo's. The item stays in the backlog.
        Ok(Err(OutputError::Storage(reason))) => return Err(JobError::Retry(reason)),
        Err(e) if last_attempt => {
            let reason = e.to_string();
            tracing::warn!(item, "the face worker failed on this photo twice: {reason}");
            app.db.call(move |db| db.set_faces_error(item, &hash, &reason)).await?;
            return Ok(());
        }
        Err(e) => return Err(JobError::Retry(e.to_string())),
    };
    let (width, height) = (found.width.max(1) as f32, found.height.max(1) as f32);
    let faces: Vec<NewFace> = found
        .faces
        .into_iter()
        .filter_map(|f| {
            let [x, y, w, h] = f.bbox;
            Some(NewFace {
                bbox: [x / width, y / height, w / width, h / height],
                landmarks: f.landmarks.map(|[lx, ly]| [lx / width, ly / height]),
                score: f.score,
                size_px: w,
                embedding: f.embedding?,
            })
        })
        .collect();
    let space = source.space_id;
    let clustering = app.clustering.clone();
    app.db
        .call(move |db| {
            let Some(ids) = db.store_faces(item, &hash, &faces)? else { return Ok(()) };
            let added: Vec<(i64, Vec<f32>)> = ids.into_iter().zip(faces.into_iter().map(|f| f.embedding)).collect();
            let started = std::time::Instant::now();
            clustering.add(db, space, &added)?;
            let placed_us = started.elapsed().as_micros() as u64;
            tracing::debug!(item, faces = added.len(), placed_us, "faces placed");
            // The last photo of a batch (nothing left to read, render or look at in the library, this job apart):
            // persons that came near each other merge now, when each has gathered its own faces.
            if !db.more_jobs_than(&[IMPORT.kind, THUMBS.kind, FACES.kind], 1)? {
                let started = std::time::Instant::now();
                let merged = clustering.settle(db, space)?;
                let settle_us = started.elapsed().as_micros() as u64;
                tracing::debug!(space, merged, settle_us, "persons settled");
                if merged > 0 {
                    tracing::info!(space, merged, "persons that came near each other merged");
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// Groups every face of a space again (`photosd people --regroup`, `SYNO.Foto.Index reindex type=person`).
pub async fn regroup(app: &Arc<App>, space: i64) -> Result<(), JobError> {
    let clustering = app.clustering.clone();
    let started = std::time::Instant::now();
    let done = app.db.call(move |db| clustering.recluster(db, space)).await?;
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(space, faces = done.faces, placed = done.placed, persons = done.persons, ms, "faces grouped again");
    Ok(())
}

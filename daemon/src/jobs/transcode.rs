//! The transcode job: a video a browser cannot play as it is gets an H.264/AAC copy under the data dir, made by
//! the transcoding worker pool at a low CPU priority. Progress goes to the item about once a second; setting the
//! item's state to `cancelled` (see `db::Db::cancel_transcode`) stops the worker at the next update.
//! Photos and playable videos are left as they are.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::JobError;
use crate::app::App;
use crate::media::input::OutputError;
use crate::media::transcode::browser_plays;
use crate::service::space_fs;
use crate::service::stream::transcode_path;
use crate::worker::WorkerError;

/// How often the progress is written to the database, and a cancellation noticed.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

pub async fn run(app: &Arc<App>, item: i64, last_attempt: bool, shutdown: &CancellationToken) -> Result<(), JobError> {
    let Some(video) = app.db.call(move |db| db.video_source(item)).await? else { return Ok(()) };
    let Some(hash) = video.hash.clone() else { return Ok(()) };
    if video.kind != "video" {
        return Ok(());
    }
    if browser_plays(video.video_codec.as_deref(), video.audio_codec.as_deref(), video.mime.as_deref()) {
        app.db.call(move |db| db.set_video_state(item, "original", None, None)).await?;
        return Ok(());
    }
    if !app.config.video.transcode {
        return Ok(());
    }
    let out = transcode_path(&app.config.storage.data_dir, &hash);
    if out.exists() {
        app.db.call(move |db| db.set_video_state(item, "ready", Some(1.0), None)).await?;
        return Ok(());
    }
    // Opened beneath the space's root through no symlink, and handed to the worker open.
    let (root, folder, name) = &video.at;
    let opened = space_fs::open_source(std::path::Path::new(root), folder, name)
        .map_err(|e| JobError::Retry(format!("cannot open {}: {e}", video.path)))?;
    if !app.db.call(move |db| db.start_transcode(item)).await? {
        tracing::info!(file = %video.path, "transcode cancelled before it started");
        return Ok(());
    }
    let cancel = shutdown.child_token();
    let (progress_tx, progress_rx) = tokio::sync::watch::channel(0.0);
    let recorder = tokio::spawn(record_progress(app.clone(), item, progress_rx, cancel.clone()));
    let mut on_progress = move |done: f64| {
        let _ = progress_tx.send(done);
    };
    let answer = app.transcoder.transcode(&opened, &out, &mut on_progress, &cancel).await;
    recorder.abort();
    let outcome = match answer {
        Ok(Ok(())) => None,
        Ok(Err(OutputError::Storage(reason))) => {
            app.db.call(move |db| db.transcode_waits(item)).await?;
            return Err(JobError::Storage(reason));
        }
        Ok(Err(OutputError::File(reason))) => Some(reason),
        Err(WorkerError::Cancelled) if shutdown.is_cancelled() => return Err(JobError::Interrupted),
        Err(WorkerError::Cancelled) => {
            tracing::info!(file = %video.path, "transcode cancelled");
            return Ok(());
        }
        Err(e) if last_attempt => Some(e.to_string()),
        Err(e) => return Err(JobError::Retry(e.to_string())),
    };
    match &outcome {
        None => tracing::info!(file = %video.path, "transcoded for browsers"),
        Some(reason) => tracing::warn!(file = %video.path, "cannot transcode: {reason}"),
    }
    app.db
        .call(move |db| match outcome {
            None => db.set_video_state(item, "ready", Some(1.0), None),
            Some(reason) => db.set_video_state(item, "broken", None, Some(&reason)),
        })
        .await?;
    Ok(())
}

/// Writes the latest progress about once a second; when the item is no longer `running` (someone cancelled
/// it), fires `cancel`, which stops the worker.
async fn record_progress(
    app: Arc<App>,
    item: i64,
    mut progress: tokio::sync::watch::Receiver<f64>,
    cancel: CancellationToken,
) {
    loop {
        tokio::time::sleep(PROGRESS_INTERVAL).await;
        let done = *progress.borrow_and_update();
        match app.db.call(move |db| db.record_transcode_progress(item, done)).await {
            Ok(true) => {}
            Ok(false) => return cancel.cancel(),
            Err(e) => tracing::warn!("cannot record transcode progress: {e}"),
        }
    }
}

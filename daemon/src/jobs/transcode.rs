//! The transcode job: a video a browser cannot play as it is gets an H.264/AAC copy under the data dir,
//! made by the transcoding worker (one at a time). Photos and playable videos are left as they are.

use std::sync::Arc;

use super::JobError;
use crate::app::App;
use crate::media::transcode::browser_plays;
use crate::service::stream::transcode_path;

pub async fn run(app: &Arc<App>, item: i64, last_attempt: bool) -> Result<(), JobError> {
    let Some(video) = app.db.call(move |db| db.video_source(item)).await? else { return Ok(()) };
    let Some(hash) = video.hash.clone() else { return Ok(()) };
    if video.kind != "video" {
        return Ok(());
    }
    if browser_plays(video.video_codec.as_deref(), video.audio_codec.as_deref(), video.mime.as_deref()) {
        app.db.call(move |db| db.set_video_state(item, "original", None, None)).await?;
        return Ok(());
    }
    let out = transcode_path(&app.config.storage.data_dir, &hash);
    if out.exists() {
        app.db.call(move |db| db.set_video_state(item, "ready", Some(1.0), None)).await?;
        return Ok(());
    }
    app.db.call(move |db| db.set_video_state(item, "running", Some(0.0), None)).await?;
    let outcome = match app.transcoder.transcode(std::path::Path::new(&video.path), &out, video.size).await {
        Ok(Ok(())) => None,
        Ok(Err(reason)) => Some(reason),
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

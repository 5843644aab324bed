//! The thumbnail job: renders an item's sm/m/xl thumbnails in a worker and records the outcome. A decoder's
//! verdict on a bad file is final; a crashed or hung worker gets one more try before the item is marked broken.
//! A data dir that cannot take the thumbnails is photosd's problem, not the photo's: the job waits and retries.

use std::sync::Arc;

use super::JobError;
use crate::app::App;
use crate::media::input::OutputError;
use crate::service::{space_fs, thumbs};

pub async fn run(app: &Arc<App>, item: i64, last_attempt: bool) -> Result<(), JobError> {
    let Some(source) = app.db.call(move |db| db.thumb_source(item)).await? else {
        return Ok(()); // the item is gone
    };
    let Some(hash) = source.hash.clone() else {
        // The file could not even be read for its hash; the import already says why.
        return Ok(());
    };
    let data_dir = app.config.storage.data_dir.clone();
    let already = app.db.call(move |db| db.thumb_state(item)).await?;
    if already.as_ref().is_some_and(|s| s.state == "ready" && s.hash.as_deref() == Some(hash.as_str()))
        && thumbs::all_present(&data_dir, &hash)
    {
        return Ok(());
    }
    let request = thumbs::request(&data_dir, &source.path, &hash, app.config.thumbnails.quality);
    let (root, folder, name) = &source.at;
    let opened = match space_fs::open_source(std::path::Path::new(root), folder, name) {
        Ok(opened) => opened,
        // Gone or changed since: its import sees to it.
        Err(e) => return Err(JobError::Retry(format!("cannot open {}: {e}", source.path))),
    };
    let error = match app.workers.thumbs(request, &opened).await {
        Ok(Ok(report)) => {
            tracing::debug!(file = %source.path, decoded = %report.decoded, "thumbnails ready");
            None
        }
        Ok(Err(OutputError::Storage(reason))) => return Err(JobError::Storage(reason)),
        Ok(Err(OutputError::File(reason))) => Some(reason),
        Err(e) if last_attempt => Some(e.to_string()),
        Err(e) => return Err(JobError::Retry(e.to_string())),
    };
    if let Some(reason) = &error {
        tracing::warn!(file = %source.path, "no thumbnail: {reason}");
    }
    app.db.call(move |db| db.set_thumb_state(item, &hash, error.as_deref())).await?;
    Ok(())
}

//! The geocode stage: places every item of a space that has a position and no place yet, in batches, with the
//! geocoder in the daemon (its data is trusted). Queued by each import of a file with a position, and at start
//! for whatever an older photosd, other place data, or an interrupted run left; one job per space at a time.

use std::sync::Arc;

use super::JobError;
use crate::app::App;

/// Items placed per transaction: a few milliseconds of the writer each.
const BATCH: i64 = 500;

pub async fn run(app: &Arc<App>, space: i64) -> Result<(), JobError> {
    let Some(geocoder) = app.geocoder.clone() else { return Ok(()) };
    let mut after = 0;
    let mut placed_total = 0usize;
    loop {
        let geocoder = geocoder.clone();
        let done = app
            .db
            .call(move |db| {
                let batch = db.unplaced(space, after, BATCH)?;
                let placed: Vec<_> =
                    batch.into_iter().map(|(id, lat, lon)| (id, lat, lon, geocoder.locate(lat, lon))).collect();
                db.set_places(&placed, geocoder.version())?;
                Ok(placed.last().map(|p| (p.0, placed.len())))
            })
            .await?;
        let Some((last, count)) = done else { break };
        after = last;
        placed_total += count;
    }
    if placed_total > 0 {
        tracing::info!(space, items = placed_total, "placed");
    }
    Ok(())
}

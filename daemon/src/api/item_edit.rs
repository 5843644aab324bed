//! The changing methods of `Browse.Item`: `set` (description, rating, date taken, and photosd's `gps`), `add_tag` / `remove_tag`,
//! `rename`, `move`, `copy`, and `delete`, which moves files to the share's `#recycle` folder (a Live Photo's video goes
//! with its photo). Ids are checked against the space first; one outside it fails the whole call with 642.

use serde_json::json;

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::{ItemEdit, Space};
use crate::domain::Role;
use crate::service::library::{self, Edit};
use crate::service::space_fs::join;

/// The most (photo, tag) pairs one `add_tag` or `remove_tag` may change: a few seconds of work at most.
const MAX_TAGGINGS: usize = 50_000;

/// photosd's own `gps` parameter of `set`: `{"latitude": …, "longitude": …}` sets the position, `null` or `{}`
/// clears it.
fn position(p: &super::params::Params) -> Result<Option<Option<(f64, f64)>>, ApiError> {
    let Some(raw) = p.opt_json::<serde_json::Value>("gps")? else { return Ok(None) };
    if raw.is_null() || raw.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(Some(None));
    }
    let (lat, lon) = (raw["latitude"].as_f64(), raw["longitude"].as_f64());
    match (lat, lon) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => Ok(Some(Some((lat, lon)))),
        _ => Err(ApiError::missing("gps")),
    }
}

pub async fn handle(ctx: &Ctx, call: &Call, space: &Space) -> Result<Reply, ApiError> {
    let p = &call.params;
    let ids = p.ids("id")?;
    // One transaction holds the database: 5,000 photos by 5,000 tags would be 25 million rows.
    if matches!(call.method.as_str(), "add_tag" | "remove_tag")
        && ids.len().saturating_mul(p.ids("tag")?.len()) > MAX_TAGGINGS
    {
        return Err(ApiError::missing("tag"));
    }
    let access = ctx.access(space).await?;
    // A copy only reads its originals; everything else changes them.
    let need = if call.method == "copy" { Role::Download } else { Role::Manage };
    for id in &ids {
        access.item_with(*id, need).await?;
    }
    let db = &ctx.app.db;
    let sidecars = ctx.app.config.edits.xmp_sidecars;
    match call.method.as_str() {
        "set" => {
            let rating = p.opt_int("rating")?;
            if rating.is_some_and(|r| !(0..=5).contains(&r)) {
                return Err(ApiError::missing("rating"));
            }
            let edit = ItemEdit {
                description: p.opt_str("description")?,
                rating,
                taken_ts: p.opt_int("time")?,
                position: position(p)?,
            };
            if edit == ItemEdit::default() {
                return Err(ApiError::missing("description"));
            }
            let moved = edit.position.is_some();
            library::edit(db, space, &ids, Edit::Values(edit), sidecars, access.file_owner()).await?;
            if moved {
                // Placed again at once, in the background.
                let job = crate::jobs::pipeline::Job::geocode(space.id).queued();
                db.call(move |db| db.enqueue(&[job])).await?;
                ctx.app.jobs_ready.notify_waiters();
            }
            Ok(Reply::Done)
        }
        "add_tag" | "remove_tag" => {
            let tags = p.ids("tag")?;
            // A tag of another space is as unknown as one that does not exist.
            let (space_id, wanted) = (space.id, tags.clone());
            let known = db.call(move |db| db.tags_in_space(space_id, &wanted)).await?;
            if let Some(unknown) = tags.iter().find(|t| !known.contains(t)) {
                return Err(ApiError::not_found(format!("tag {unknown}")));
            }
            let edit = if call.method == "add_tag" { Edit::AddTags(tags) } else { Edit::RemoveTags(tags) };
            library::edit(db, space, &ids, edit, sidecars, access.file_owner()).await?;
            Ok(Reply::Done)
        }
        "rename" => {
            let [id] = ids[..] else { return Err(ApiError::missing("id")) };
            let name = p.str("name")?;
            let file = access.item_file(id).await?;
            library::move_item(db, space, &file, &file.folder, &name).await?;
            Ok(Reply::Done)
        }
        "move" => {
            let target = access.folder(p.int("target_folder_id")?).await?;
            access.require(&target.path, Role::Upload)?;
            for id in ids {
                let file = access.item_file(id).await?;
                library::move_item(db, space, &file, &target.path, &file.filename).await?;
            }
            Ok(Reply::Done)
        }
        "copy" => {
            let target = access.folder(p.int("target_folder_id")?).await?;
            access.require(&target.path, Role::Upload)?;
            let mut copies = Vec::new();
            for id in ids {
                let file = access.item_file(id).await?;
                let name = library::copy_item(space, &file, &target.path, access.file_owner()).await?;
                let rel_path = join(&target.path, &name);
                let copy = crate::jobs::import_now(&ctx.app, space.id, &space.root, &rel_path)
                    .await
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                copies.push(json!({ "id": copy, "filename": name }));
            }
            Ok(Reply::Data(json!({ "list": copies })))
        }
        "delete" => {
            let mut recycled = Vec::new();
            for id in ids {
                let mut with_pair = vec![id];
                // A Live Photo's video goes with it, if the caller may manage the video too (it is normally
                // beside its photo, but a move on disk can part them); otherwise it stays, as its own item.
                if let Some(video) = db.call(move |db| db.live_video_of(id)).await? {
                    match access.item_with(video, Role::Manage).await {
                        Ok(_) => with_pair.push(video),
                        Err(_) => tracing::info!(
                            user = access.who(),
                            video,
                            "a Live Photo's video stays: not the caller's to delete"
                        ),
                    }
                }
                for id in with_pair {
                    let file = access.item_file(id).await?;
                    recycled.push(library::recycle_item(db, space, &file, access.file_owner()).await?);
                    tracing::info!(
                        user = access.who(),
                        file = join(&file.folder, &file.filename),
                        "moved to the recycle bin"
                    );
                }
            }
            Ok(Reply::Data(json!({ "recycled": recycled })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

//! `SYNO.Foto.Browse.ConditionAlbum`: albums that fill themselves, from a condition (`condition.rs`). `Browse.Album`
//! lists, reads, renames and deletes them with the others; this is what only they have: `create` and
//! `set_condition` with a condition, `peek_item_count` (how many photos a condition would hold, before it is
//! saved), `suggest` (the values a condition's key can take in the caller's library, for the editor), and `list`,
//! `count` and `get` narrowed to condition albums.

use serde_json::json;

use super::album::{album_name, albums_json};
use super::condition::condition_query;
use super::error::ApiError;
use super::scope::Scope;
use super::{Call, Ctx, Reply};
use crate::db::{AlbumRow, Albums};
use crate::domain::Role;

/// `ConditionAlbum`'s methods; renaming and deleting one are `Browse.Album`'s.
pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if ctx.scope != Scope::Personal {
        return Err(ApiError::NoSuchApi);
    }
    let (p, method) = (&call.params, call.method.as_str());
    let space = &ctx.space().await?;
    let access = ctx.access(space).await?;
    let db = &ctx.app.db;
    let (uid, space_id) = (access.album_owner()?, space.id);
    match method {
        "create" => {
            let name = album_name(p)?;
            let query = condition_query(ctx, space, p).await?;
            let id = db.call(move |db| db.create_condition_album(uid, space_id, &name, &query)).await?;
            tracing::info!(user = access.who(), album = id, "condition album created");
            let album = albums_json(ctx, &[access.album(id).await?], &[]).await?.remove(0);
            Ok(Reply::Data(json!({ "album": album })))
        }
        "set_condition" => {
            let album = condition_album(&access, p.int("id")?).await?;
            let query = condition_query(ctx, space, p).await?;
            db.call(move |db| db.set_album_condition(album.id, &query)).await?;
            Ok(Reply::Done)
        }
        "peek_item_count" => {
            let query = condition_query(ctx, space, p).await?;
            let reach = access.reach(Role::View).await?;
            Ok(Reply::Data(json!({ "count": db.call(move |db| db.count_items(&reach, &query)).await? })))
        }
        "suggest" => {
            // Synology documents no parameters: photosd's are `field` (a key of the condition that takes ids)
            // and `keyword` (a part of the name, any case), with `limit` (50 unless told).
            let field = p.str("field")?;
            if !SUGGESTED.contains(&field.as_str()) {
                return Err(ApiError::missing("field"));
            }
            let keyword = p.opt_str("keyword")?.unwrap_or_default().to_lowercase();
            let limit = p.opt_int("limit")?.unwrap_or(50).clamp(1, super::params::MAX_LIMIT) as usize;
            let mut values = super::search::filter_values(ctx, space).await?;
            let all = values.remove(&field).and_then(|v| v.as_array().cloned()).unwrap_or_default();
            let named = |v: &serde_json::Value| v["name"].as_str().unwrap_or("").to_lowercase().contains(&keyword);
            let list: Vec<_> = all.into_iter().filter(named).take(limit).collect();
            Ok(Reply::Data(json!({ "list": list })))
        }
        "list" => {
            let (offset, limit) = p.page()?;
            let (sort, descending) = super::album::sort(p)?;
            let rows =
                db.call(move |db| db.albums(uid, space_id, Albums::Condition, sort, descending, offset, limit)).await?;
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &rows, &p.strings("additional")?).await? })))
        }
        "count" => {
            let count = db.call(move |db| db.count_albums(uid, space_id, Albums::Condition)).await?;
            Ok(Reply::Data(json!({ "count": count })))
        }
        "get" => {
            let mut rows = access.albums(&p.ids("id")?).await?;
            if rows.iter().any(|a| a.condition.is_none()) {
                return Err(ApiError::not_found("not a condition album"));
            }
            rows.truncate(super::params::MAX_LIMIT as usize);
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &rows, &p.strings("additional")?).await? })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The keys of a condition that `suggest` gives values for: those that take ids of the library's values.
const SUGGESTED: &[&str] = &[
    "camera",
    "lens",
    "general_tag",
    "person",
    "concept",
    "geocoding",
    "iso",
    "aperture",
    "focal_length",
    "exposure_time",
];

/// The caller's own condition album `id`; another user's, a normal album or none answer 642 alike.
async fn condition_album(access: &crate::service::access::SpaceAccess, id: i64) -> Result<AlbumRow, ApiError> {
    let album = access.album(id).await?;
    if album.condition.is_none() || access.linked_album().is_some() {
        return Err(ApiError::not_found(format!("condition album {id}")));
    }
    Ok(album)
}

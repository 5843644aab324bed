//! `SYNO.Foto.Browse.Album`, `Browse.NormalAlbum` and `Browse.ConditionAlbum`: each user's albums of photos
//! from their Personal Space. Another user's album answers 642, exactly like one that does not exist. Sharing
//! albums and condition ("smart") albums are not built yet: the shared category lists nothing, condition
//! albums list nothing, and creating one is refused.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params::Params;
use super::scope::Scope;
use super::{Call, Ctx, Reply};
use crate::db::{AlbumRow, AlbumSort, ItemSort, Reach};
use crate::domain::ItemQuery;

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if ctx.scope != Scope::Personal {
        return Err(ApiError::NoSuchApi);
    }
    let p = &call.params;
    let condition = call.api.ends_with(".ConditionAlbum");
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let db = &ctx.app.db;
    match call.method.as_str() {
        "list" if condition || p.opt_str("category")?.as_deref() == Some("shared") => {
            Ok(Reply::Data(json!({ "list": [] })))
        }
        "count" if condition => Ok(Reply::Data(json!({ "count": 0 }))),
        _ if condition => Err(ApiError::not_found("condition albums are not supported yet")),
        "list" => {
            let (offset, limit) = p.page()?;
            let (sort, descending) = sort(p)?;
            let (uid, space_id) = (access.album_owner(), space.id);
            let rows = db.call(move |db| db.albums(uid, space_id, None, sort, descending, offset, limit)).await?;
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &rows, &p.strings("additional")?).await? })))
        }
        "count" => {
            let (uid, space_id) = (access.album_owner(), space.id);
            Ok(Reply::Data(json!({ "count": db.call(move |db| db.count_albums(uid, space_id)).await? })))
        }
        "get" => {
            let rows = access.albums(&p.ids("id")?).await?;
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &rows, &p.strings("additional")?).await? })))
        }
        "create" => {
            let name = album_name(p)?;
            let items = if p.has("item") { p.ids("item")? } else { Vec::new() };
            let (uid, space_id) = (access.album_owner(), space.id);
            let (id, refused) = db.call(move |db| db.create_album(uid, space_id, &name, &items)).await?;
            tracing::info!(user = access.who(), album = id, "album created");
            let album = albums_json(ctx, &[access.album(id).await?], &[]).await?.remove(0);
            Ok(Reply::Data(json!({ "album": album, "error_list": error_list(&refused) })))
        }
        "add_item" => {
            let album = access.album(p.int("id")?).await?;
            let items = p.ids("item")?;
            let refused = db.call(move |db| db.add_album_items(album.id, &items)).await?;
            Ok(Reply::Data(json!({ "error_list": error_list(&refused) })))
        }
        "delete_item" => {
            let album = access.album(p.int("id")?).await?;
            let items = p.ids("item")?;
            db.call(move |db| db.remove_album_items(album.id, &items)).await?;
            Ok(Reply::Done)
        }
        "set_name" => {
            let album = access.album(p.ids("id")?.first().copied().ok_or_else(|| ApiError::missing("id"))?).await?;
            let name = album_name(p)?;
            db.call(move |db| db.rename_album(album.id, &name)).await?;
            Ok(Reply::Done)
        }
        "delete" => {
            let ids: Vec<i64> = access.albums(&p.ids("id")?).await?.iter().map(|a| a.id).collect();
            let uid = access.album_owner();
            let deleted = db.call(move |db| db.delete_albums(uid, &ids)).await?;
            tracing::info!(user = access.who(), deleted, "albums deleted (their photos stay)");
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

fn album_name(p: &Params) -> Result<String, ApiError> {
    let name = p.str("name")?.trim().to_string();
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(ApiError::missing("name"));
    }
    Ok(name)
}

fn sort(p: &Params) -> Result<(AlbumSort, bool), ApiError> {
    let sort = match p.opt_str("sort_by")?.as_deref() {
        None | Some("default" | "create_time" | "album_type" | "share_status") => AlbumSort::CreateTime,
        Some("album_name") => AlbumSort::Name,
        Some("start_time") => AlbumSort::StartTime,
        Some(_) => return Err(ApiError::missing("sort_by")),
    };
    let descending = match p.opt_str("sort_direction")?.as_deref() {
        None | Some("desc" | "default") => sort != AlbumSort::Name,
        Some("asc") => false,
        Some(_) => return Err(ApiError::missing("sort_direction")),
    };
    Ok((sort, descending))
}

/// Ids an add could not take (not in the caller's Personal Space, or gone), each with the code it would get.
fn error_list(refused: &[i64]) -> Value {
    json!(refused.iter().map(|id| json!({ "id": id, "error": { "code": 642 } })).collect::<Vec<_>>())
}

async fn albums_json(ctx: &Ctx, rows: &[AlbumRow], additional: &[String]) -> Result<Vec<Value>, ApiError> {
    let covers: Vec<i64> = rows.iter().filter_map(|a| a.cover_id).collect();
    let cover_rows = match (additional.iter().any(|a| a == "thumbnail"), rows.first()) {
        (true, Some(first)) if !covers.is_empty() => {
            let (reach, limit) = (Reach::whole(first.space_id), covers.len() as i64);
            let filter = ItemQuery { ids: Some(covers), ..Default::default() };
            ctx.app.db.call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, true, 0, limit)).await?
        }
        _ => Vec::new(),
    };
    Ok(rows
        .iter()
        .map(|a| {
            let mut album = json!({
                "id": a.id,
                "name": a.name,
                "item_count": a.item_count,
                "owner_user_id": a.owner_uid,
                "type": "normal",
                "create_time": a.created_at,
                "start_time": a.start_time,
                "end_time": a.end_time,
                "passphrase": "",
                "shared": false,
                "temporary_shared": false,
                "freeze_album": false,
                "sort_by": "default",
                "sort_direction": "default",
                "cant_migrate_condition": {},
                "condition": {},
                "version": a.version,
            });
            if let Some(cover) = cover_rows.iter().find(|r| Some(r.id) == a.cover_id) {
                album["additional"] = json!({ "thumbnail": super::item_json::thumbnail(cover) });
            } else if !additional.is_empty() {
                album["additional"] = json!({});
            }
            album
        })
        .collect())
}

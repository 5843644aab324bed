//! `SYNO.Foto.Browse.Item` and `SYNO.FotoTeam.Browse.Item`: listing, counting and getting the items of a space,
//! narrowed by folder, time range, type, rating and tag, with the `additional` fields clients ask for.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params::Params;
use super::{Call, Ctx, Reply};
use crate::db::{ItemSort, Space};
use crate::domain::ItemQuery;

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    match call.method.as_str() {
        "list" | "list_with_filter" => {
            let filter = filter(ctx, &space, p).await?;
            let (offset, limit) = p.page()?;
            let (sort, descending) = sort(p)?;
            let reach = ctx.reach(&space, crate::service::permissions::Role::View).await?;
            let rows =
                ctx.app.db.call(move |db| db.list_items(&reach, &filter, sort, descending, offset, limit)).await?;
            let list = super::item_json::items_json(ctx, &space, &rows, &p.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        "count" | "count_with_filter" => {
            let filter = filter(ctx, &space, p).await?;
            let reach = ctx.reach(&space, crate::service::permissions::Role::View).await?;
            Ok(Reply::Data(json!({ "count": ctx.app.db.call(move |db| db.count_items(&reach, &filter)).await? })))
        }
        "get" => {
            let ids = p.ids("id")?;
            let filter = ItemQuery { ids: Some(ids.clone()), ..Default::default() };
            let reach = ctx.reach(&space, crate::service::permissions::Role::View).await?;
            let limit = ids.len() as i64;
            let mut rows =
                ctx.app.db.call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, true, 0, limit)).await?;
            // In the order asked for; ids of other spaces are simply absent, as deleted ones are on DSM.
            super::params::in_asked_order(&mut rows, &ids, |r| r.id);
            let list = super::item_json::items_json(ctx, &space, &rows, &p.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        "get_exif" => {
            let item = ctx.item(&space, p.ids("id")?.first().copied().ok_or_else(|| ApiError::missing("id"))?).await?;
            Ok(Reply::Data(json!({ "exif": super::item_json::exif_fields(&item) })))
        }
        "set" | "add_tag" | "remove_tag" | "rename" | "move" | "copy" | "delete" => {
            super::item_edit::handle(ctx, call, &space).await
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `offset` (default 0) and `limit` (required, 1 to 5000).
fn sort(p: &Params) -> Result<(ItemSort, bool), ApiError> {
    let sort = match p.opt_str("sort_by")?.as_deref() {
        None | Some("takentime" | "default" | "time") => ItemSort::TakenTime,
        Some("filename") => ItemSort::Filename,
        Some("filesize") => ItemSort::Filesize,
        Some("item_type") => ItemSort::ItemType,
        Some("create_time" | "indexed_time") => ItemSort::AddedTime,
        Some(_) => return Err(ApiError::missing("sort_by")),
    };
    let descending = match p.opt_str("sort_direction")?.as_deref() {
        None | Some("desc" | "default") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::missing("sort_direction")),
    };
    Ok((sort, descending))
}

/// The narrowing parameters of list and count, in both their plain form (`folder_id`, `start_time`, `type`,
/// `general_tag_id`) and the `*_with_filter` form (`folder=[…]`, `time=[{start_time,end_time}]`, `rating=[…]`,
/// `general_tag=[…]`, `item_type=[…]`).
async fn filter(ctx: &Ctx, space: &Space, p: &Params) -> Result<ItemQuery, ApiError> {
    if p.has("person_id") || p.has("concept_id") || p.has("geocoding_id") {
        // People, subjects and places come with their own issues; until then none exist.
        return Err(ApiError::NotFound("no such person, subject or place".into()));
    }
    let mut filter = ItemQuery::default();
    if let Some(album) = p.opt_int("album_id")? {
        filter.album_id = Some(ctx.album_in(space, album).await?);
    }
    let folder = match p.opt_int("folder_id")? {
        Some(id) => Some(id),
        None => p.opt_ids("folder")?.and_then(|ids| ids.first().copied()),
    };
    if let Some(id) = folder {
        filter.folder_id = Some(ctx.folder(space, id).await?.id);
    }
    filter.start_time = p.opt_int("start_time")?;
    filter.end_time = p.opt_int("end_time")?;
    if let Some(ranges) = p.opt_json::<Vec<Value>>("time")? {
        let range = ranges.first().ok_or_else(|| ApiError::missing("time"))?;
        filter.start_time = range["start_time"].as_i64();
        filter.end_time = range["end_time"].as_i64();
    }
    if let Some(kind) = p.opt_str("type")? {
        filter.types = item_types(&kind).ok_or_else(|| ApiError::missing("type"))?;
    }
    if let Some(kinds) = p.opt_json::<Vec<Value>>("item_type")? {
        // The filter facet numbers item types: 0 photo, 1 video, 2 live (see Search.Filter).
        for kind in kinds {
            let name = match kind.as_i64() {
                Some(0) => "photo",
                Some(1) => "video",
                Some(2) => "live",
                _ => return Err(ApiError::missing("item_type")),
            };
            filter.types.extend(item_types(name).unwrap_or_default());
        }
    }
    filter.ratings = p.opt_ids("rating")?.unwrap_or_default();
    if let Some(tag) = p.opt_int("general_tag_id")? {
        filter.tag_ids.push(tag);
    }
    filter.tag_ids.extend(p.opt_ids("general_tag")?.unwrap_or_default());
    filter.all_tags = p.opt_str("general_tag_policy")?.as_deref() == Some("and");
    filter.facets = super::search::facet_filters(ctx, space, p).await?;
    Ok(filter)
}

fn item_types(kind: &str) -> Option<Vec<String>> {
    match kind {
        "photo" => Some(vec!["photo".into(), "live".into()]),
        "video" => Some(vec!["video".into()]),
        "live" => Some(vec!["live".into()]),
        _ => None,
    }
}

//! `SYNO.Foto.Browse.Item` and `SYNO.FotoTeam.Browse.Item`: listing, counting and getting the items of a space,
//! narrowed by folder, time range, type, rating and tag, with the `additional` fields clients ask for.

use serde_json::json;

use super::error::ApiError;
use super::params::Params;
use super::query::item_query;
use super::{Call, Ctx, Reply};
use crate::db::ItemSort;
use crate::domain::{ItemQuery, Role};

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    match call.method.as_str() {
        "list" | "list_with_filter" => {
            let filter = item_query(ctx, &space, p).await?;
            let (offset, limit) = p.page()?;
            let (sort, descending) = sort(p)?;
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            let rows =
                ctx.app.db.call(move |db| db.list_items(&reach, &filter, sort, descending, offset, limit)).await?;
            let list = super::item_json::items_json(ctx, &space, &rows, &p.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        "count" | "count_with_filter" => {
            let filter = item_query(ctx, &space, p).await?;
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            Ok(Reply::Data(json!({ "count": ctx.app.db.call(move |db| db.count_items(&reach, &filter)).await? })))
        }
        "get" => {
            let ids = p.ids("id")?;
            let filter = ItemQuery { ids: Some(ids.clone()), ..Default::default() };
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            let limit = ids.len() as i64;
            let mut rows =
                ctx.app.db.call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, true, 0, limit)).await?;
            // In the order asked for; ids of other spaces are simply absent, as deleted ones are on DSM. A link's
            // holder asking for anything beyond the link gets 642, as for every other call they make.
            if matches!(ctx.principal, crate::service::principal::Principal::Link(_)) && rows.len() < ids.len() {
                return Err(ApiError::not_found("item"));
            }
            crate::domain::in_asked_order(&mut rows, &ids, |r| r.id);
            let list = super::item_json::items_json(ctx, &space, &rows, &p.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        "get_exif" => {
            let item = ctx
                .access(&space)
                .await?
                .item(p.ids("id")?.first().copied().ok_or_else(|| ApiError::missing("id"))?)
                .await?;
            Ok(Reply::Data(json!({ "exif": super::item_json::exif_fields(&item) })))
        }
        "set" | "add_tag" | "remove_tag" | "rename" | "move" | "copy" | "delete" => {
            super::item_edit::handle(ctx, call, &space).await
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `sort_by` and `sort_direction`.
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

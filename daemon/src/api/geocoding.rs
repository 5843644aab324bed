//! `SYNO.Foto.Browse.Geocoding` and `SYNO.FotoTeam.Browse.Geocoding`: the Places album. `list` answers the
//! deepest place of the caller's photos, as a real NAS does (`{id, name, country, country_id, first_level,
//! second_level, item_count}`, with the cover's thumbnail); photosd's own `parent_id` walks the tree instead
//! (0: the countries; a place: its children). `get` answers places with their children. Each place counts only
//! the items the caller may see, and one with none of them answers 642, like one that does not exist. Also
//! `Browse.Timeline get_geocoding` and `Search.Search get_geocoding`: the same list, narrowed like an item list.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params::Params;
use super::query::item_query;
use super::{Call, Ctx, Reply};
use crate::db::{PlaceCount, PlaceList, Reach, Space};
use crate::domain::{ItemQuery, Role};

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let space = ctx.space().await?;
    match call.method.as_str() {
        "list" | "count" => list(ctx, call, &space).await,
        "get" => {
            let access = ctx.access(&space).await?;
            let reach = access.reach(Role::View).await?;
            let mut list = Vec::new();
            let mut ids = p.ids("id")?;
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > super::query::MAX_PLACES {
                return Err(ApiError::missing("id"));
            }
            for id in ids {
                let place = access.place(id).await?;
                let (in_reach, filter) = (reach.clone(), ItemQuery::default());
                let children = ctx
                    .app
                    .db
                    .call(move |db| db.place_counts(&in_reach, &filter, PlaceList::Children(Some(id))))
                    .await?;
                let mut rows = vec![place];
                rows.extend(children);
                let mut json = places_json(ctx, &reach, &rows, &p.strings("additional")?).await?;
                let mut place = json.remove(0);
                place["children"] = Value::Array(json);
                list.push(place);
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `list` and `count`, and the `get_geocoding` of Timeline and Search: the places of the caller's items narrowed
/// by the list parameters (time, type, folder...; Search's `keyword`).
pub async fn list(ctx: &Ctx, call: &Call, space: &Space) -> Result<Reply, ApiError> {
    let p = &call.params;
    let access = ctx.access(space).await?;
    let which = match p.opt_int("parent_id")? {
        None => PlaceList::Leaves,
        Some(0) => PlaceList::Children(None),
        Some(id) => PlaceList::Children(Some(access.place(id).await?.place.id)),
    };
    let mut filter = item_query(ctx, space, p).await?;
    if p.has("keyword") {
        filter.keyword = Some(super::query::keyword(p)?);
    }
    let reach = access.reach(Role::View).await?;
    let in_reach = reach.clone();
    let rows = ctx.app.db.call(move |db| db.place_counts(&in_reach, &filter, which)).await?;
    if call.method == "count" {
        return Ok(Reply::Data(json!({ "count": rows.len() })));
    }
    let page = page_of(p, rows)?;
    Ok(Reply::Data(json!({ "list": places_json(ctx, &reach, &page, &p.strings("additional")?).await? })))
}

/// The page asked for; all of them when no `limit` is given (the timeline's places come without one).
fn page_of(p: &Params, mut rows: Vec<PlaceCount>) -> Result<Vec<PlaceCount>, ApiError> {
    let (offset, limit) = if p.has("limit") { p.page()? } else { (0, i64::MAX) };
    let offset = usize::try_from(offset).unwrap_or(0).min(rows.len());
    rows.drain(..offset);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(rows)
}

/// Places as the NAS answers them, with photosd's `level` (1 country, 2 state, 3 county, 4 city, 5 district),
/// `parent_id`, `country_code` and `path` (`[{id, name}]` from the country down, the place itself last); the
/// cover's thumbnail when `additional` asks for it.
async fn places_json(
    ctx: &Ctx,
    reach: &Reach,
    rows: &[PlaceCount],
    additional: &[String],
) -> Result<Vec<Value>, ApiError> {
    let covers = rows.iter().map(|r| r.cover_item).collect();
    let cover_block = super::item_json::cover_blocks(ctx, reach, covers, additional).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let place = &row.place;
            let name_at = |level: usize| place.path[level].as_ref().map_or("", |l| l.1.as_str());
            // A district is named with its city, as a NAS names it ("Grunerlokka, Oslo").
            let name = match (place.level, place.path[3].as_ref()) {
                (5, Some((_, city))) => format!("{}, {city}", place.name),
                _ => place.name.clone(),
            };
            let path: Vec<Value> =
                place.path.iter().flatten().map(|(id, name)| json!({ "id": id, "name": name })).collect();
            let mut json = json!({
                "id": place.id,
                "name": name,
                "path": path,
                "level": place.level,
                "parent_id": place.parent_id.unwrap_or(0),
                "country": name_at(0),
                "country_id": place.path[0].as_ref().map_or(0, |l| l.0),
                "country_code": place.country_code,
                "first_level": name_at(1),
                "second_level": name_at(2),
                "item_count": row.item_count,
                "cover": row.cover_item,
            });
            if let Some(block) = cover_block(Some(row.cover_item)) {
                json["additional"] = block;
            }
            json
        })
        .collect())
}

//! `PHOTOSD.Foto.Map` and `PHOTOSD.FotoTeam.Map`, photosd's own API for the map view (Synology's is not
//! published): `list` groups the caller's photos with a position in an area (`area={south,west,north,east}`,
//! `west > east` across the antimeridian) at a zoom level (0: the world in one 256-pixel tile) into
//! `{latitude, longitude, count, cover, area}`, each cluster's `area` what `Browse.Item list area=…` opens;
//! `get` says how the portal draws the map: the world outline shipped with photosd, or the tile server the
//! administrator configured (`places.map_tile_url`). Nothing here opens a connection anywhere.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::{ItemRow, ItemSort, MAX_ZOOM};
use crate::domain::{Area, ItemQuery, Role};

/// The most clusters one answer holds; beyond it the smallest are left out (a zoom level too deep for the area).
const MAX_CLUSTERS: usize = 2000;

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    match call.method.as_str() {
        "get" => {
            let tiles = &ctx.app.config.places.map_tile_url;
            Ok(Reply::Data(json!({
                "tile_url": tiles,
                "offline": tiles.is_empty(),
                "places": ctx.app.geocoder.is_some(),
            })))
        }
        "list" => {
            let world = Area { south: -90.0, west: -180.0, north: 90.0, east: 180.0 };
            let area = p.opt_json::<Area>("area")?.unwrap_or(world);
            let valid = |v: f64, limit: f64| v.is_finite() && v.abs() <= limit;
            if !(valid(area.south, 90.0)
                && valid(area.north, 90.0)
                && valid(area.west, 180.0)
                && valid(area.east, 180.0))
                || area.south > area.north
            {
                return Err(ApiError::missing("area"));
            }
            let zoom = p.opt_int("zoom")?.unwrap_or(0);
            let zoom = u8::try_from(zoom).ok().filter(|z| *z <= MAX_ZOOM).ok_or_else(|| ApiError::missing("zoom"))?;
            let space = ctx.space().await?;
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            let app = ctx.app.clone();
            let in_reach = reach.clone();
            let mut clusters =
                ctx.app.db.call(move |db| db.map_clusters(&app.map_cache, &in_reach, area, zoom)).await?;
            let total: i64 = clusters.iter().map(|c| c.count).sum();
            clusters.truncate(MAX_CLUSTERS);
            let covers: Vec<ItemRow> = if p.strings("additional")?.iter().any(|a| a == "thumbnail") {
                let ids: Vec<i64> = clusters.iter().map(|c| c.cover_item).collect();
                let limit = ids.len() as i64;
                let filter = ItemQuery { ids: Some(ids), ..Default::default() };
                ctx.app.db.call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, true, 0, limit)).await?
            } else {
                Vec::new()
            };
            let list: Vec<Value> = clusters
                .iter()
                .map(|c| {
                    let mut cluster = json!({
                        "latitude": c.latitude,
                        "longitude": c.longitude,
                        "count": c.count,
                        "cover": c.cover_item,
                        "area": c.area,
                    });
                    if let Some(cover) = covers.iter().find(|r| r.id == c.cover_item) {
                        cluster["additional"] = json!({ "thumbnail": super::item_json::thumbnail(cover) });
                    }
                    cluster
                })
                .collect();
            Ok(Reply::Data(json!({ "list": list, "total": total, "zoom": zoom })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

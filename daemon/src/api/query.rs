//! Request parameters to an `ItemQuery`, in one place: the narrowing parameters of `Browse.Item list` and `count`
//! in their plain and `*_with_filter` forms, the facet ids of `Search.Filter`, and the words of `Search.Search`.
//! Every id is checked against the caller's space and access here; `db::query` compiles the result to SQL.

use serde_json::Value;

use super::error::ApiError;
use super::params::Params;
use super::Ctx;
use crate::db::Space;
use crate::domain::Role;
use crate::domain::{Area, Facet, ItemQuery};

/// The facets, with the parameter name each one has in requests and answers.
pub const FACETS: [(&str, Facet); 6] = [
    ("camera", Facet::Camera),
    ("lens", Facet::Lens),
    ("iso", Facet::Iso),
    ("aperture", Facet::Aperture),
    ("focal_length", Facet::FocalLength),
    ("exposure_time", Facet::ExposureTime),
];

/// The most places one filter names: each is a search through the caller's items.
pub const MAX_PLACES: usize = 100;

/// A stable id for a facet value: the same value always gets the same id, in every space.
pub fn facet_id(value: &str) -> i64 {
    let hash = blake3::hash(value.as_bytes());
    i64::from(u32::from_le_bytes(hash.as_bytes()[..4].try_into().expect("4 bytes")) & 0x7fff_ffff)
}

/// The narrowing parameters of list and count, in both their plain form (`folder_id`, `start_time`, `type`,
/// `general_tag_id`, `person_id`, `geocoding_id`, `concept_id`) and the `*_with_filter` form (`folder=[…]`,
/// `time=[{start_time,end_time}]`, `rating=[…]`, `general_tag=[…]`, `item_type=[…]`, `person=[…]`, `geocoding=[…]`,
/// `concept=[…]`),
/// and photosd's own `area={south,west,north,east}` (a map cluster's photos).
pub async fn item_query(ctx: &Ctx, space: &Space, p: &Params) -> Result<ItemQuery, ApiError> {
    let mut filter = ItemQuery::default();
    if let Some(album) = p.opt_int("album_id")? {
        ctx.access(space).await?.album(album).await?.narrow(&mut filter);
    }
    let folder = match p.opt_int("folder_id")? {
        Some(id) => Some(id),
        None => p.opt_ids("folder")?.and_then(|ids| ids.first().copied()),
    };
    if let Some(id) = folder {
        filter.folder_id = Some(ctx.access(space).await?.folder(id).await?.id);
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
    filter.facets = facet_filters(ctx, space, p).await?;
    let mut persons = p.opt_ids("person")?.unwrap_or_default();
    persons.extend(p.opt_int("person_id")?);
    for id in persons {
        // Another space's person, or one the caller sees no photo of: 642, like one that does not exist.
        filter.person_ids.push(ctx.access(space).await?.person(id).await?.id);
    }
    let mut concepts = p.opt_ids("concept")?.unwrap_or_default();
    concepts.extend(p.opt_int("concept_id")?);
    concepts.sort_unstable();
    concepts.dedup();
    for id in concepts {
        // Another space's subject, or one the caller sees no photo of: 642, like one that does not exist.
        filter.concept_ids.push(ctx.access(space).await?.concept(id).await?.id);
    }
    let mut places = p.opt_ids("geocoding")?.unwrap_or_default();
    places.extend(p.opt_int("geocoding_id")?);
    places.sort_unstable();
    places.dedup();
    if places.len() > MAX_PLACES {
        return Err(ApiError::missing(format!("geocoding: more than {MAX_PLACES} places")));
    }
    if !places.is_empty() {
        // A place the caller has no photo in: 642, like one that does not exist.
        filter.place_ids = ctx.access(space).await?.places(places).await?;
    }
    if let Some(area) = p.opt_json::<Area>("area")? {
        let valid = |v: f64, limit: f64| v.is_finite() && v.abs() <= limit;
        if !(valid(area.south, 90.0) && valid(area.north, 90.0) && valid(area.west, 180.0) && valid(area.east, 180.0))
            || area.south > area.north
        {
            return Err(ApiError::missing("area"));
        }
        filter.area = Some(area);
    }
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

/// The search words: at least one, at most 16, 256 bytes in all.
pub fn keyword(p: &Params) -> Result<String, ApiError> {
    let keyword = p.str("keyword")?;
    // Each word is a few LIKE scans over the space: a bounded number of them.
    if keyword.trim().is_empty() || keyword.len() > 256 || keyword.split_whitespace().count() > 16 {
        return Err(ApiError::missing("keyword"));
    }
    Ok(keyword)
}

/// The facet parameters of `list_with_filter` (`camera=[id]`, `lens=[id]`...), resolved to their values.
pub async fn facet_filters(ctx: &Ctx, space: &Space, p: &Params) -> Result<Vec<(Facet, Vec<String>)>, ApiError> {
    let mut filters = Vec::new();
    for (name, facet) in FACETS {
        let Some(ids) = p.opt_ids(name)? else { continue };
        let reach = ctx.access(space).await?.reach(Role::View).await?;
        let values = ctx.app.db.call(move |db| db.distinct_values(&reach, facet)).await?;
        let wanted: Vec<String> = values.into_iter().filter(|v| ids.contains(&facet_id(v))).collect();
        // An id that matches nothing here narrows to nothing, as it should.
        filters.push((facet, if wanted.is_empty() { vec![String::new()] } else { wanted }));
    }
    Ok(filters)
}

//! A condition album's `condition` object, both ways. It is read with the same parser as `Browse.Item
//! list_with_filter`'s parameters (`api::query::item_query`) and stored as the `ItemQuery` it gives, so a
//! condition album holds exactly what that filter would list, at every read. Its keys are
//! `list_with_filter`'s (`time`, `item_type`, `rating`, `general_tag`, `person`, `concept`, `geocoding`, `camera`,
//! `lens`, `iso`, `aperture`, `focal_length`, `exposure_time`), plus `folder_filter` with `include_subfolder`,
//! `recent_days`, `keyword` (in the file name or description), ranges for the numeric facets (`{min, max}`) and
//! `policy` (`all` or `any`). `docs/api.md` lists them; `condition_json` writes a query back in the same keys.

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::params::Params;
use super::query::{facet_id, item_query};
use super::Ctx;
use crate::db::Space;
use crate::domain::{Facet, ItemQuery, Range, TimeRange};

/// The numeric facets, which a condition may also give as a range.
const RANGED: [(&str, Facet); 4] = [
    ("iso", Facet::Iso),
    ("aperture", Facet::Aperture),
    ("focal_length", Facet::FocalLength),
    ("exposure_time", Facet::ExposureTime),
];

/// The most date ranges one condition may hold (each is two values bound at every read).
const MAX_RANGES: usize = 50;

/// The keys a condition may hold; any other is refused, so that a misspelt key never widens an album to all.
const KEYS: [&str; 20] = [
    "folder_filter",
    "include_subfolder",
    "user_id",
    "time",
    "recent_days",
    "item_type",
    "rating",
    "general_tag",
    "general_tag_policy",
    "person",
    "concept",
    "geocoding",
    "camera",
    "lens",
    "iso",
    "aperture",
    "focal_length",
    "exposure_time",
    "keyword",
    "policy",
];

/// A condition object (the `condition` parameter of `create`, `set_condition` and `peek_item_count`) as the query
/// it stores. Folders, persons, subjects and places the caller cannot see answer 642, as in a filter.
pub async fn condition_query(ctx: &Ctx, space: &Space, p: &Params) -> Result<ItemQuery, ApiError> {
    let condition: Map<String, Value> = p.opt_json("condition")?.ok_or_else(|| ApiError::missing("condition"))?;
    if let Some(unknown) = condition.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ApiError::missing(format!("condition: unknown key {unknown}")));
    }
    // Every range must bound something, in its own keys: a malformed one would be an open range, which
    // matches every photo that has the value.
    if let Some(times) = condition.get("time") {
        let list = times.as_array().filter(|l| !l.is_empty() && l.len() <= MAX_RANGES);
        let bounded = |range: &Value| {
            range.as_object().is_some_and(|r| {
                r.keys().all(|k| k == "start_time" || k == "end_time")
                    && r.values().all(|v| v.is_i64() || v.is_null())
                    && r.values().any(Value::is_i64)
            })
        };
        if !list.is_some_and(|l| l.iter().all(bounded)) {
            return Err(ApiError::missing("condition: time"));
        }
    }
    for (name, _) in RANGED {
        let Some(Value::Object(range)) = condition.get(name) else { continue };
        if !(range.keys().all(|k| k == "min" || k == "max")
            && range.values().all(|v| v.is_number() || v.is_null())
            && range.values().any(Value::is_number))
        {
            return Err(ApiError::missing(format!("condition: {name}")));
        }
    }
    // What a filter reads is read by the filter's own parser; the rest here.
    let mut ranges = Vec::new();
    let mut pairs = Vec::new();
    for (key, value) in &condition {
        match (key.as_str(), value) {
            ("folder_filter" | "include_subfolder" | "user_id" | "recent_days" | "keyword" | "policy", _) => {}
            ("time", Value::Array(list)) if list.len() > 1 => {}
            (name, Value::Object(_)) if RANGED.iter().any(|(n, _)| *n == name) => {
                let facet = RANGED.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).expect("a ranged facet");
                let range: Range = serde_json::from_value(value.clone())
                    .map_err(|_| ApiError::missing(format!("condition: {name}")))?;
                ranges.push((facet, range));
            }
            (name, Value::String(text)) => pairs.push((name.to_string(), text.clone())),
            (name, other) => pairs.push((name.to_string(), other.to_string())),
        }
    }
    let mut query = item_query(ctx, space, &Params::from_pairs(pairs)).await?;
    query.facet_ranges = ranges;
    if let Some(Value::Array(list)) = condition.get("time").filter(|t| t.as_array().is_some_and(|l| l.len() > 1)) {
        query.time_ranges = list
            .iter()
            .map(|range| TimeRange { start: range["start_time"].as_i64(), end: range["end_time"].as_i64() })
            .collect();
    }
    if let Some(folders) = condition.get("folder_filter") {
        let ids: Vec<i64> =
            serde_json::from_value(folders.clone()).map_err(|_| ApiError::missing("condition: folder_filter"))?;
        let access = ctx.access(space).await?;
        for id in ids {
            query.folder_ids.push(access.folder(id).await?.id);
        }
        query.subfolders = condition.get("include_subfolder").and_then(Value::as_bool).unwrap_or(false);
    }
    if let Some(days) = condition.get("recent_days") {
        query.recent_days = Some(days.as_i64().filter(|d| *d > 0).ok_or_else(|| ApiError::missing("recent_days"))?);
    }
    if let Some(text) = condition.get("keyword") {
        let text = text.as_str().map(str::trim).filter(|t| !t.is_empty() && t.len() <= 256);
        query.name_or_description = Some(text.ok_or_else(|| ApiError::missing("condition: keyword"))?.to_string());
    }
    query.any = match condition.get("policy").map(|p| p.as_str()) {
        None | Some(Some("all" | "and")) => false,
        Some(Some("any" | "or")) => true,
        Some(_) => return Err(ApiError::missing("condition: policy")),
    };
    // A condition that narrows nothing would be the whole library under another name.
    if !query.narrows() {
        return Err(ApiError::missing("condition: no condition"));
    }
    Ok(query)
}

/// A stored query written back in a condition's keys, as `get` and `list` answer it.
pub fn condition_json(query: &ItemQuery) -> Value {
    let mut c = Map::new();
    let mut set = |key: &str, value: Value| {
        c.insert(key.to_string(), value);
    };
    if !query.folder_ids.is_empty() {
        set("folder_filter", json!(query.folder_ids));
        set("include_subfolder", json!(query.subfolders));
    }
    let mut times: Vec<Value> =
        query.time_ranges.iter().map(|r| json!({ "start_time": r.start, "end_time": r.end })).collect();
    if query.start_time.is_some() || query.end_time.is_some() {
        times.push(json!({ "start_time": query.start_time, "end_time": query.end_time }));
    }
    if !times.is_empty() {
        set("time", json!(times));
    }
    if let Some(days) = query.recent_days {
        set("recent_days", json!(days));
    }
    let mut kinds = Vec::new();
    for (number, name) in [(0, "photo"), (1, "video"), (2, "live")] {
        let photo_too = name == "live" && query.types.iter().any(|t| t == "photo");
        if query.types.iter().any(|t| t == name) && !photo_too {
            kinds.push(number);
        }
    }
    if !kinds.is_empty() {
        set("item_type", json!(kinds));
    }
    for (key, list) in [
        ("rating", &query.ratings),
        ("general_tag", &query.tag_ids),
        ("person", &query.person_ids),
        ("concept", &query.concept_ids),
        ("geocoding", &query.place_ids),
    ] {
        if !list.is_empty() {
            set(key, json!(list));
        }
    }
    if query.all_tags {
        set("general_tag_policy", json!("and"));
    }
    for (facet, values) in &query.facets {
        let ids: Vec<i64> = values.iter().filter(|v| !v.is_empty()).map(|v| facet_id(v)).collect();
        set(facet_key(*facet), json!(ids));
    }
    for (facet, range) in &query.facet_ranges {
        set(facet_key(*facet), json!({ "min": range.min, "max": range.max }));
    }
    if let Some(text) = &query.name_or_description {
        set("keyword", json!(text));
    }
    set("policy", json!(if query.any { "any" } else { "all" }));
    Value::Object(c)
}

fn facet_key(facet: Facet) -> &'static str {
    match facet {
        Facet::Camera => "camera",
        Facet::Lens => "lens",
        Facet::Iso => "iso",
        Facet::Aperture => "aperture",
        Facet::FocalLength => "focal_length",
        Facet::ExposureTime => "exposure_time",
    }
}

//! `Search.Filter list` (the facets of the filter panel: time, type, camera, lens, exposure values, rating,
//! tags, persons, places, subjects) and `Search.Search` (items whose name, description, tags, folder, persons' or
//! places' names match the keyword, or whose subject the keyword names: "puppies" finds the dogs). Facet values
//! carry stable ids derived from the value, so a client can send them back in `Browse.Item list_with_filter`.

use serde_json::{json, Value};

use super::error::ApiError;
use super::query::{facet_id, item_query, keyword, FACETS};
use super::{Call, Ctx, Reply};
use crate::db::{ItemSort, PlaceList, Space};
use crate::domain::{ItemQuery, Role};
use crate::ml::concepts::vocabulary;

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    match (call.api.ends_with("Search.Filter"), call.method.as_str()) {
        (true, "list") => filter_list(ctx, &space).await,
        (false, "list_item") | (false, "count_item") => {
            // The keyword, narrowed by the same parameters as a list (time, type, folder, rating, tags...).
            let mut filter = item_query(ctx, &space, p).await?;
            let text = keyword(p)?;
            if subjects_on(ctx, &space).await? {
                filter.keyword_concepts = concepts_meant(ctx, &text).await?;
            }
            filter.keyword = Some(text);
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            if call.method == "count_item" {
                return Ok(Reply::Data(
                    json!({ "count": ctx.app.db.call(move |db| db.count_items(&reach, &filter)).await? }),
                ));
            }
            let (offset, limit) = p.page()?;
            let rows = ctx
                .app
                .db
                .call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, true, offset, limit))
                .await?;
            let list = super::item_json::items_json(ctx, &space, &rows, &p.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        (false, "suggest") => {
            let word = keyword(p)?.to_lowercase();
            let reach = ctx.access(&space).await?.reach(Role::View).await?;
            let tags = ctx.app.db.call(move |db| db.tags_with_counts(&reach, 0, i64::MAX)).await?;
            let mut list: Vec<Value> = tags
                .iter()
                .filter(|tag| tag.name.to_lowercase().contains(&word))
                .map(|tag| json!({ "id": tag.id, "name": tag.name, "type": "general_tag" }))
                .collect();
            let space_id = space.id;
            let folders = ctx.app.db.call(move |db| db.folder_paths(space_id)).await?;
            let access = ctx.access(&space).await?;
            for (_, path) in folders.iter().filter(|(_, p)| {
                access.role_at(p) >= Role::View
                    && p.rsplit('/').next().is_some_and(|n| n.to_lowercase().contains(&word))
            }) {
                list.push(json!({ "name": format!("/{path}"), "type": "folder" }));
            }
            let (space_id, text) = (space.id, word.clone());
            for (id, name) in ctx.app.db.call(move |db| db.persons_named(space_id, &text)).await? {
                if access.person(id).await.is_ok() {
                    list.push(json!({ "id": id, "name": name, "type": "person" }));
                }
            }
            // Only places the caller has photos in: which places exist tells where others have been.
            let (text, reach) = (word.clone(), access.reach(Role::View).await?);
            for place in ctx.app.db.call(move |db| db.places_named(&reach, &text, 20)).await? {
                list.push(json!({ "id": place.id, "name": place.name, "type": "geocoding" }));
            }
            // Subjects the caller has photos of, whose name or other words hold the text.
            let reach = access.reach(Role::View).await?;
            let vocabulary = vocabulary();
            let on = subjects_on(ctx, &space).await?;
            let subjects = match on {
                true => ctx.app.db.call(move |db| db.concepts(&reach, false, None, 0, i64::MAX)).await?,
                false => Vec::new(),
            };
            for concept in subjects {
                let Some(index) = ctx.app.concept_ids.iter().position(|&c| c == concept.id) else { continue };
                let entry = &vocabulary.concepts[index];
                if entry.name.contains(&word) || entry.words.iter().any(|w| w.starts_with(&word)) {
                    list.push(json!({ "id": concept.id, "name": concept.name, "type": "concept" }));
                }
            }
            list.truncate(20);
            Ok(Reply::Data(json!({ "list": list })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// Whether the space shows subjects: they go with People (the same setting).
async fn subjects_on(ctx: &Ctx, space: &Space) -> Result<bool, ApiError> {
    let space_id = space.id;
    Ok(ctx.app.db.call(move |db| db.people_enabled(space_id)).await?)
}

/// The subjects (concept ids) a search text names, for the keyword search to find their photos too: by one of
/// their words, or else the nearest by meaning (the text model).
async fn concepts_meant(ctx: &Ctx, text: &str) -> Result<Vec<i64>, ApiError> {
    let named = match vocabulary().named(text) {
        Some(concept) => Some(concept),
        None => match ctx.app.text_search().await {
            Some(search) => {
                let text = text.to_string();
                let nearest = tokio::task::spawn_blocking(move || {
                    let vector = search.model.embed(&text)?;
                    anyhow::Ok(search.index.nearest(&vector))
                });
                match nearest.await {
                    Ok(Ok(found)) => found.map(|(concept, _)| concept),
                    Ok(Err(e)) => {
                        tracing::warn!("the text model failed on a query: {e}");
                        None
                    }
                    Err(e) => return Err(ApiError::internal(e.to_string())),
                }
            }
            None => None,
        },
    };
    Ok(named.map(|c| ctx.app.concept_ids[c]).into_iter().collect())
}

async fn filter_list(ctx: &Ctx, space: &Space) -> Result<Reply, ApiError> {
    Ok(Reply::Data(Value::Object(filter_values(ctx, space).await?)))
}

/// What each filter of the caller's space can take (`Search.Filter list`): the values its photos have, by key.
pub(super) async fn filter_values(ctx: &Ctx, space: &Space) -> Result<serde_json::Map<String, Value>, ApiError> {
    let reach = ctx.access(space).await?.reach(Role::View).await?;
    let mut data = serde_json::Map::new();
    for (name, facet) in FACETS {
        let reach = reach.clone();
        let values = ctx.app.db.call(move |db| db.distinct_values(&reach, facet)).await?;
        let list: Vec<Value> = values.iter().map(|v| json!({ "id": facet_id(v), "name": v })).collect();
        data.insert(name.to_string(), Value::Array(list));
    }
    let in_reach = reach.clone();
    let tags = ctx.app.db.call(move |db| db.tags_with_counts(&in_reach, 0, i64::MAX)).await?;
    data.insert("general_tag".into(), tags.iter().map(|tag| json!({ "id": tag.id, "name": tag.name })).collect());
    let in_reach = reach.clone();
    let persons = ctx.app.db.call(move |db| db.persons(&in_reach, false, 0, super::params::MAX_LIMIT)).await?;
    data.insert("person".into(), persons.iter().map(|p| json!({ "id": p.id, "name": p.name })).collect());
    let in_reach = reach.clone();
    let concepts = match subjects_on(ctx, space).await? {
        true => ctx.app.db.call(move |db| db.concepts(&in_reach, false, None, 0, super::params::MAX_LIMIT)).await?,
        false => Vec::new(),
    };
    data.insert("concept".into(), concepts.iter().map(|c| json!({ "id": c.id, "name": c.name })).collect());
    let in_reach = reach.clone();
    let places =
        ctx.app.db.call(move |db| db.place_counts(&in_reach, &ItemQuery::default(), PlaceList::Leaves)).await?;
    data.insert(
        "geocoding".into(),
        places
            .iter()
            .map(|p| {
                let country = p.place.path[0].as_ref().map_or("", |c| c.1.as_str());
                json!({ "id": p.place.id, "name": p.place.name, "country": country, "level": p.place.level })
            })
            .collect(),
    );
    data.insert(
        "item_type".into(),
        json!([{ "id": 0, "name": "photo" }, { "id": 1, "name": "video" }, { "id": 2, "name": "live" }]),
    );
    data.insert("rating".into(), json!([0, 1, 2, 3, 4, 5]));
    let months = ctx.app.db.call(move |db| db.timeline(&reach, true)).await?;
    let time: Vec<Value> = months
        .iter()
        .filter_map(|b| {
            let start =
                time::Date::from_calendar_date(b.year as i32, time::Month::try_from(b.month as u8).ok()?, 1).ok()?;
            let next = if b.month == 12 {
                start.replace_year(start.year() + 1).ok()?.replace_month(time::Month::January).ok()?
            } else {
                start.replace_month(time::Month::try_from(b.month as u8 + 1).ok()?).ok()?
            };
            let ts = |d: time::Date| d.midnight().assume_utc().unix_timestamp();
            Some(json!({ "year": b.year, "month": b.month, "start_time": ts(start), "end_time": ts(next) - 1 }))
        })
        .collect();
    data.insert("time".into(), Value::Array(time));
    Ok(data)
}

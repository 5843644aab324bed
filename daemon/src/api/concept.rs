//! `SYNO.Foto.Browse.Concept` and `SYNO.FotoTeam.Browse.Concept`: the Subjects album of the caller's space
//! (`{id, name, stem, item_count, show, parent_id, additional.thumbnail}`), and the user's corrections. A concept
//! the caller sees no photo of answers 642, like one that does not exist; a share link sees none. Subjects go with
//! People: with People off in a space, its album is empty.
//!
//! `name` is the subject in English, as the vocabulary has it (`ml/data/concepts.tsv`); `stem` repeats it (the
//! key Synology Photos' clients translate); `parent_id` is photosd's own, the broader subject ("dog" → "animal").
//! `hide_item` takes `id` (the concept) and `item_id=[…]`; `set_visibility` takes `id=[…]` and `show`;
//! `set_cover` takes `id` and `item_id`. A correction holds for everyone who sees the space, so it needs the whole
//! space (its owner; the Shared Space's administrators): 105 otherwise.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::ConceptRow;
use crate::domain::Role;
use crate::ml::concepts::vocabulary;

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let db = &ctx.app.db;
    let hidden_too = p.flag("show_hidden", false)? || p.flag("include_hidden", false)?;
    let space_id = space.id;
    let enabled = !access.is_link() && db.call(move |db| db.people_enabled(space_id)).await?;
    if matches!(call.method.as_str(), "list" | "count") && !enabled {
        return Ok(Reply::Data(if call.method == "count" { json!({ "count": 0 }) } else { json!({ "list": [] }) }));
    }
    match call.method.as_str() {
        "list" => {
            let (offset, limit) = p.page()?;
            let reach = access.reach(Role::View).await?;
            let rows = db.call(move |db| db.concepts(&reach, hidden_too, None, offset, limit)).await?;
            Ok(Reply::Data(json!({ "list": rows.iter().map(|r| concept_json(ctx, r)).collect::<Vec<_>>() })))
        }
        "count" => {
            let reach = access.reach(Role::View).await?;
            Ok(Reply::Data(json!({ "count": db.call(move |db| db.concept_count(&reach, hidden_too)).await? })))
        }
        "get" => {
            let mut list = Vec::new();
            for id in p.ids("id")? {
                list.push(concept_json(ctx, &access.concept(id).await?));
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        "set_visibility" => {
            let show = p.flag("show", true)?;
            let ids = p.ids("id")?;
            for &id in &ids {
                access.concept_to_change(id).await?;
            }
            db.call(move |db| ids.iter().try_for_each(|&id| db.set_concept_hidden(space_id, id, !show))).await?;
            Ok(Reply::Done)
        }
        "set_cover" => {
            let id = access.concept_to_change(p.int("id")?).await?.id;
            let item = p.int("item_id")?;
            // The item must be one the caller sees in this subject.
            let filter =
                crate::domain::ItemQuery { ids: Some(vec![item]), concept_ids: vec![id], ..Default::default() };
            let reach = access.reach(Role::View).await?;
            if db.call(move |db| db.count_items(&reach, &filter)).await? == 0 {
                return Err(ApiError::not_found(format!("item {item} in subject {id}")));
            }
            db.call(move |db| db.set_concept_cover(space_id, id, item)).await?;
            Ok(Reply::Done)
        }
        "hide_item" => {
            let id = access.concept_to_change(p.int("id")?).await?.id;
            let items = p.ids("item_id")?;
            for &item in &items {
                access.item(item).await?;
            }
            let below = below(ctx, id);
            let changed = db.call(move |db| db.hide_items_from_concept(id, &below, &items)).await?;
            tracing::info!(user = access.who(), subject = id, changed, "items taken out of a subject");
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The concepts under `id` in the vocabulary (a wrong "animal" is a wrong "dog" too), by database id.
fn below(ctx: &Ctx, id: i64) -> Vec<i64> {
    let vocabulary = vocabulary();
    let ids = &ctx.app.concept_ids;
    let Some(index) = ids.iter().position(|&c| c == id) else { return Vec::new() };
    (0..vocabulary.concepts.len())
        .filter(|&c| c != index && vocabulary.lineage(c).any(|a| a == index))
        .map(|c| ids[c])
        .collect()
}

pub fn concept_json(ctx: &Ctx, row: &ConceptRow) -> Value {
    let vocabulary = vocabulary();
    let ids = &ctx.app.concept_ids;
    let parent = ids
        .iter()
        .position(|&c| c == row.id)
        .and_then(|index| vocabulary.concepts[index].parent)
        .map_or(0, |parent| ids[parent]);
    json!({
        "id": row.id,
        "name": row.name,
        "stem": row.name,
        "item_count": row.item_count,
        "show": !row.hidden,
        "parent_id": parent,
        "additional": {
            "thumbnail": row.cover.as_ref().map(|(item, key)| json!({
                "unit_id": item,
                "cache_key": key,
                "sm": "ready", "m": "ready", "xl": "ready",
            })),
        },
    })
}

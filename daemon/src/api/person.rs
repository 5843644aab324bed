//! `SYNO.Foto.Browse.Person` and `SYNO.FotoTeam.Browse.Person`: the persons of the caller's space, as Synology
//! Photos has them (`{id, name, item_count, show, cover}`), and the user's corrections. A person of another space,
//! or with no photo the caller may see, answers 642, like one that does not exist.
//!
//! Beyond what published clients show (documented in `docs/api.md`): `separate` and `delete_face` take the faces
//! to move as `face_id=[…]` or as the person's faces in `item_id=[…]`; `separate` sends them to `target_id`, or
//! to a new person named `name`; `delete_face` says they are nobody the user knows. `list_face` takes `id`, an
//! item, and answers its faces with their persons.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params::Params;
use super::{Call, Ctx, Reply};
use crate::db::{ItemFace, PersonRow};
use crate::domain::Role;
use crate::service::access::SpaceAccess;
use crate::service::people::{self, Destination};

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let db = &ctx.app.db;
    let hidden_too = p.flag("show_hidden", false)? || p.flag("include_hidden", false)?;
    let space_id = space.id;
    if matches!(call.method.as_str(), "list" | "count") && !db.call(move |db| db.people_enabled(space_id)).await? {
        // People is off in this space: no album.
        return Ok(Reply::Data(if call.method == "count" { json!({ "count": 0 }) } else { json!({ "list": [] }) }));
    }
    match call.method.as_str() {
        "list" => {
            let (offset, limit) = p.page()?;
            let reach = access.reach(Role::View).await?;
            let rows = db.call(move |db| db.persons(&reach, hidden_too, offset, limit)).await?;
            Ok(Reply::Data(json!({ "list": rows.iter().map(person_json).collect::<Vec<_>>() })))
        }
        "count" => {
            let reach = access.reach(Role::View).await?;
            Ok(Reply::Data(json!({ "count": db.call(move |db| db.person_count(&reach, hidden_too)).await? })))
        }
        "get" => {
            let mut list = Vec::new();
            for id in p.ids("id")? {
                list.push(person_json(&access.person(id).await?));
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        "set" => {
            let show = if p.has("show") { Some(p.flag("show", true)?) } else { None };
            let name = p.opt_str("name")?;
            let person = people::set(&access, &ctx.app.clustering, p.int("id")?, name.as_deref(), show).await?;
            tracing::info!(user = access.who(), person = person.id, "person changed");
            Ok(Reply::Data(json!({ "person": person_json(&person) })))
        }
        "show" => {
            let show = p.flag("show", true)?;
            for id in p.ids("id")? {
                people::set(&access, &ctx.app.clustering, id, None, Some(show)).await?;
            }
            Ok(Reply::Done)
        }
        "set_cover" => {
            let id = p.int("id")?;
            let face = match p.opt_int("face_id")? {
                Some(face) => face,
                None => faces(&access, id, p).await?.first().copied().ok_or_else(|| ApiError::missing("face_id"))?,
            };
            people::set_cover(&access, &ctx.app.clustering, id, face).await?;
            Ok(Reply::Done)
        }
        "merge" => {
            let target = p.int("target_id")?;
            let sources = p.ids("source_ids")?;
            let person = people::merge(&access, &ctx.app.clustering, target, &sources).await?;
            tracing::info!(user = access.who(), person = target, merged = ?sources, "persons merged");
            Ok(Reply::Data(json!({ "person": person_json(&person) })))
        }
        "separate" | "delete_face" => {
            let id = p.int("id")?;
            let moved = faces(&access, id, p).await?;
            let to = match (call.method.as_str(), p.opt_int("target_id")?, p.opt_str("name")?) {
                ("delete_face", _, _) => Destination::Nobody,
                (_, Some(target), _) => Destination::Person(target),
                (_, None, name) => Destination::New(name.unwrap_or_default()),
            };
            let went_to = people::place(&access, &ctx.app.clustering, &moved, to).await?;
            tracing::info!(user = access.who(), from = id, to = ?went_to, faces = moved.len(), "faces moved");
            Ok(Reply::Data(json!({ "person_id": went_to, "face_count": moved.len() })))
        }
        "list_face" => {
            let item = p.opt_int("item_id")?.map_or_else(|| p.int("id"), Ok)?;
            let found = people::faces_of_items(&access, &[item]).await?;
            Ok(Reply::Data(json!({ "list": found.iter().map(face_json).collect::<Vec<_>>() })))
        }
        "suggest" => {
            let text = p.opt_str("name_prefix")?.or(p.opt_str("keyword")?).unwrap_or_default();
            let named = db.call(move |db| db.persons_named(space_id, text.trim())).await?;
            let mut list = Vec::new();
            for (id, _) in named {
                // Only those with a photo the caller may see.
                if let Ok(person) = access.person(id).await {
                    list.push(person_json(&person));
                }
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        "get_migration_status" => Ok(Reply::Data(json!({ "status": "done" }))),
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The faces a `separate`, `delete_face` or `set_cover` call names: `face_id=[…]` (faces the caller sees, which
/// must be the person's), or the person's faces in `item_id=[…]`.
async fn faces(access: &SpaceAccess, person: i64, p: &Params) -> Result<Vec<i64>, ApiError> {
    if let Some(ids) = p.opt_ids("face_id")? {
        let found = access.faces(&ids).await?;
        if found.iter().any(|f| f.person_id != Some(person)) {
            return Err(ApiError::not_found("a face of another person"));
        }
        return Ok(ids);
    }
    let items = p.ids("item_id")?;
    Ok(people::faces_in_items(access, person, &items).await?)
}

pub fn person_json(row: &PersonRow) -> Value {
    let cover = row.cover.as_ref();
    json!({
        "id": row.id,
        "name": row.name,
        "item_count": row.item_count,
        "show": !row.hidden,
        "cover": cover.map_or(0, |c| c.id),
        "additional": {
            "thumbnail": cover.map(|c| json!({
                "unit_id": c.item_id,
                "cache_key": c.cache_key,
                "sm": "ready", "m": "ready", "xl": "ready",
            })),
            "face": cover.map(|c| {
                let mut face = bbox_json(c.bbox);
                face["image_ratio"] = json!(c.image_ratio);
                face
            }),
        },
    })
}

fn bbox_json([x, y, width, height]: [f64; 4]) -> Value {
    json!({ "x": x, "y": y, "width": width, "height": height })
}

pub fn face_json(face: &ItemFace) -> Value {
    json!({
        "id": face.id,
        "item_id": face.item_id,
        "person_id": face.person_id.unwrap_or(0),
        "name": face.person_name.clone().unwrap_or_default(),
        "show": !face.hidden,
        "bbox": bbox_json(face.bbox),
        "score": face.score,
    })
}

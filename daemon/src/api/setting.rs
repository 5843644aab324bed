//! `SYNO.Foto.Setting.User` and `SYNO.Foto.Setting.TeamSpace` (`get`, `set`): the settings of the caller's
//! Personal Space, and of the Shared Space. Both have `enable_person`, whether People and Subjects look at the
//! photos there (on by default). Turning it off stops those stages and hides the People album; turning it on
//! queues every photo not yet looked at. In the Shared Space only its administrators change it.
//!
//! `Setting.User` also keeps the caller's preferences (`PREFERENCES`): how lists sort unless told, and whether
//! the portal shows the Shared Space. `Setting.Admin get` shows a Photos administrator every space: its owner,
//! photos, People on or off, and the indexing work still waiting there (`admin_overview`).

use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::domain::Error;

/// A user's preferences: name, default, and the values it may take (None: true or false).
const PREFERENCES: &[(&str, &str, Option<&[&str]>)] = &[
    ("sort_by", "takentime", Some(&["takentime", "create_time", "filename"])),
    ("sort_direction", "desc", Some(&["asc", "desc"])),
    ("show_team_space", "true", None),
];

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if call.api.ends_with("Setting.Admin") {
        return admin_overview(ctx, call).await;
    }
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let space_id = space.id;
    let of_user = call.api.ends_with("Setting.User");
    match call.method.as_str() {
        "get" => {
            let enabled = ctx.app.db.call(move |db| db.people_enabled(space_id)).await?;
            let mut data = json!({ "enable_person": enabled, "person_available": ctx.app.face_models.is_some() });
            if of_user {
                let uid = ctx.user()?.uid;
                let set = ctx.app.db.call(move |db| db.user_settings(uid)).await?;
                for (name, default, _) in PREFERENCES {
                    let stored = set.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
                    data[*name] = stored.unwrap_or_else(|| serde_json::from_str(default).unwrap_or(json!(default)));
                }
            }
            Ok(Reply::Data(data))
        }
        "set" | "set_enable" => {
            // Everything is checked before anything is set.
            let preferences = if of_user { preferences(call)? } else { Vec::new() };
            let enable = match call.params.has("enable_person") {
                true => Some(call.params.flag("enable_person", true)?),
                false => None,
            };
            if enable.is_some() && !access.changes_everything() {
                return Err(Error::Forbidden.into());
            }
            if !preferences.is_empty() {
                let uid = ctx.user()?.uid;
                ctx.app.db.call(move |db| db.set_user_settings(uid, &preferences)).await?;
            }
            let Some(enable) = enable else { return Ok(Reply::Done) };
            let subjects_too = ctx.app.subject_model.is_some();
            let queued = ctx
                .app
                .db
                .call(move |db| {
                    db.set_people_enabled(space_id, enable)?;
                    use crate::jobs::pipeline::Job;
                    let faces = if enable { db.face_backlog(Some(space_id))? } else { Vec::new() };
                    // Subjects go with People: what was imported while it was off is classified now too.
                    let subjects = match enable && subjects_too {
                        true => db.subject_backlog(Some(space_id))?,
                        false => Vec::new(),
                    };
                    let jobs: Vec<_> = faces
                        .iter()
                        .map(|&i| Job::faces(i).queued())
                        .chain(subjects.iter().map(|&i| Job::subjects(i).queued()))
                        .collect();
                    db.enqueue(&jobs)?;
                    Ok(jobs.len())
                })
                .await?;
            ctx.app.jobs_ready.notify_waiters();
            tracing::info!(
                user = access.who(),
                space = space_id,
                enable,
                queued,
                "People turned {}",
                if enable { "on" } else { "off" }
            );
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The preferences a `set` changes, each checked: a value it may not take is refused (114) and nothing is set.
fn preferences(call: &Call) -> Result<Vec<(&'static str, Value)>, ApiError> {
    let mut chosen = Vec::new();
    for &(name, _, allowed) in PREFERENCES {
        if !call.params.has(name) {
            continue;
        }
        let value = match allowed {
            Some(allowed) => {
                let value = call.params.str(name)?;
                if !allowed.contains(&value.as_str()) {
                    return Err(ApiError::missing(name));
                }
                json!(value)
            }
            None => json!(call.params.flag(name, true)?),
        };
        chosen.push((name, value));
    }
    Ok(chosen)
}

/// `Setting.Admin get`, for Photos administrators only (105 otherwise): every space, what it holds and what
/// indexing still has to do there. `set` has nothing to set yet (the Shared Space is turned on in the
/// configuration, its folders' permissions by `Sharing.FolderPermission`).
async fn admin_overview(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if !ctx.user()?.is_admin {
        return Err(Error::Forbidden.into());
    }
    match call.method.as_str() {
        "get" => {
            let spaces = ctx
                .app
                .db
                .call(|db| {
                    let mut spaces = Vec::new();
                    for summary in db.people_summaries()? {
                        let id = summary.space.id;
                        let items = db.count_items(&crate::db::Reach::whole(id), &crate::domain::ItemQuery::default())?;
                        let waiting: i64 = db.pending_jobs_in_space(id)?.iter().map(|(_, n)| n).sum();
                        let (held_back, _) = db.space_held_back(id)?;
                        spaces.push(json!({
                            "id": id,
                            "type": if summary.space.kind == crate::db::SpaceKind::Shared { "shared" } else { "personal" },
                            "owner": summary.space.owner_name.clone().unwrap_or_default(),
                            "items": items,
                            "enable_person": summary.enabled,
                            "waiting": waiting,
                            "held_back": held_back,
                        }));
                    }
                    Ok(spaces)
                })
                .await?;
            Ok(Reply::Data(json!({ "spaces": spaces })))
        }
        "set" => Ok(Reply::Done),
        _ => Err(ApiError::NoSuchMethod),
    }
}

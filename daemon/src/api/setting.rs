//! `SYNO.Foto.Setting.User` and `SYNO.Foto.Setting.TeamSpace` (`get`, `set`): the settings of the caller's
//! Personal Space, and of the Shared Space. Today one: `enable_person`, whether People finds and groups faces
//! there (on by default). Turning it off stops the faces stage and hides the People album; turning it on queues
//! every photo not yet looked at. In the Shared Space only its administrators change it.

use serde_json::json;

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::domain::Error;

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let space_id = space.id;
    match call.method.as_str() {
        "get" => {
            let enabled = ctx.app.db.call(move |db| db.people_enabled(space_id)).await?;
            Ok(Reply::Data(json!({ "enable_person": enabled, "person_available": ctx.app.face_models.is_some() })))
        }
        "set" | "set_enable" => {
            let Some(enable) = call.params.has("enable_person").then(|| call.params.flag("enable_person", true)) else {
                return Ok(Reply::Done);
            };
            let enable = enable?;
            if !access.changes_everything() {
                return Err(Error::Forbidden.into());
            }
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

//! The browsing APIs around items: `Browse.Timeline` (counts per day or month, in sections a client pages
//! through), `Browse.RecentlyAdded`, `Browse.GeneralTag`, and the progress reports `Index` and
//! `BackgroundTask.Info`.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::{ItemSort, TimelineBucket};
use crate::domain::{ItemQuery, Role};

/// Items per timeline section: a client loads one section of thumbnails at a time.
const SECTION_ITEMS: i64 = 200;

pub async fn timeline(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if !matches!(call.method.as_str(), "get" | "get_with_filter") {
        return Err(ApiError::NoSuchMethod);
    }
    let by_month = match call.params.opt_str("timeline_group_unit")?.as_deref() {
        None | Some("day") => false,
        Some("month") => true,
        Some(_) => return Err(ApiError::missing("timeline_group_unit")),
    };
    let space = ctx.space().await?;
    let reach = ctx.access(&space).await?.reach(Role::View).await?;
    let buckets = ctx.app.db.call(move |db| db.timeline(&reach, by_month)).await?;
    Ok(Reply::Serialized(timeline_json(&buckets)))
}

/// `{"section":[{"limit","offset","list":[{"year","month","day","item_count"}…]}…]}`, sections of about
/// `SECTION_ITEMS` items. Written by hand: through serde, the four keys of 4,600 days were a fifth of the call's
/// CPU on a 100,000-photo space.
fn timeline_json(buckets: &[TimelineBucket]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + buckets.len() * 56);
    let mut digits = itoa::Buffer::new();
    let mut number = |out: &mut Vec<u8>, n: i64| out.extend_from_slice(digits.format(n).as_bytes());
    out.extend_from_slice(br#"{"section":["#);
    let (mut start, mut offset) = (0usize, 0i64);
    while start < buckets.len() {
        let (mut end, mut limit) = (start, 0i64);
        while end < buckets.len() && limit < SECTION_ITEMS {
            limit += buckets[end].count;
            end += 1;
        }
        if start > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"limit":"#);
        number(&mut out, limit);
        out.extend_from_slice(br#","offset":"#);
        number(&mut out, offset);
        out.extend_from_slice(br#","list":["#);
        for (k, b) in buckets[start..end].iter().enumerate() {
            out.extend_from_slice(if k == 0 { br#"{"year":"# } else { br#",{"year":"# });
            number(&mut out, b.year);
            out.extend_from_slice(br#","month":"#);
            number(&mut out, b.month);
            out.extend_from_slice(br#","day":"#);
            number(&mut out, b.day);
            out.extend_from_slice(br#","item_count":"#);
            number(&mut out, b.count);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        offset += limit;
        start = end;
    }
    out.extend_from_slice(b"]}");
    out
}

pub async fn recently_added(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let reach = ctx.access(&space).await?.reach(Role::View).await?;
    match call.method.as_str() {
        "list" => {
            let (offset, limit) = call.params.page()?;
            let rows = ctx
                .app
                .db
                .call(move |db| db.list_items(&reach, &ItemQuery::default(), ItemSort::AddedTime, true, offset, limit))
                .await?;
            let list = super::item_json::items_json(ctx, &space, &rows, &call.params.strings("additional")?).await?;
            Ok(Reply::Data(json!({ "list": list })))
        }
        "count" => Ok(Reply::Data(json!({
            "count": ctx.app.db.call(move |db| db.count_items(&reach, &ItemQuery::default())).await?
        }))),
        _ => Err(ApiError::NoSuchMethod),
    }
}

pub async fn general_tag(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let reach = ctx.access(&space).await?.reach(Role::View).await?;
    let p = &call.params;
    match call.method.as_str() {
        "list" | "count" | "get" => {
            let (offset, limit) = if call.method == "list" { p.page()? } else { (0, i64::MAX) };
            let in_reach = reach.clone();
            let mut tags = ctx.app.db.call(move |db| db.tags_with_counts(&in_reach, offset, limit)).await?;
            if call.method == "count" {
                return Ok(Reply::Data(json!({ "count": tags.len() })));
            }
            if call.method == "get" {
                let ids = p.ids("id")?;
                tags.retain(|tag| ids.contains(&tag.id));
            }
            let covers = tags.iter().map(|tag| tag.cover_item).collect();
            let cover_block = super::item_json::cover_blocks(ctx, &reach, covers, &p.strings("additional")?).await?;
            let list: Vec<Value> = tags
                .iter()
                .map(|tag| {
                    let mut json = json!({ "id": tag.id, "name": tag.name, "item_count": tag.item_count });
                    if let Some(block) = cover_block(Some(tag.cover_item)) {
                        json["additional"] = block;
                    }
                    json
                })
                .collect();
            Ok(Reply::Data(json!({ "list": list })))
        }
        "create" => {
            let name = p.str("name")?.trim().to_string();
            if name.is_empty() || name.len() > 255 || name.contains('\0') {
                return Err(ApiError::missing("name"));
            }
            let stored = name.clone();
            let space_id = space.id;
            let id = ctx.app.db.call(move |db| db.ensure_tag(space_id, &stored)).await?;
            Ok(Reply::Data(json!({ "tag": { "id": id, "name": name } })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `Index get`: how much indexing work of the caller's space is still waiting, by stage (0 everywhere when idle).
pub async fn index(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    match call.method.as_str() {
        "get" => {
            let space = ctx.space().await?.id;
            let (pending, (held_back, reason), faces, unplaced, (classifiable, classified)) = ctx
                .app
                .db
                .call(move |db| {
                    let pending = db.pending_jobs_in_space(space)?;
                    let held_back = db.space_held_back(space)?;
                    let (faces, unplaced) = (db.face_progress(space)?, db.unplaced_count(space)?);
                    Ok((pending, held_back, faces, unplaced, db.subject_progress(space)?))
                })
                .await?;
            // Items waiting for their place, when the library makes places.
            let geo_coding = if ctx.app.geocoder.is_some() { unplaced } else { 0 };
            let of = |kind: &str| pending.iter().find(|(k, _)| k == kind).map(|(_, n)| *n).unwrap_or(0);
            Ok(Reply::Data(json!({
                // photosd's own: files the last scan found gone but did not believe (an unmounted share), and why.
                "held_back": { "files": held_back, "reason": reason },
                "basic": of(crate::jobs::pipeline::IMPORT.kind),
                "metadata": of(crate::jobs::pipeline::IMPORT.kind),
                "thumbnail": of(crate::jobs::pipeline::THUMBS.kind),
                "video_convert": of(crate::jobs::pipeline::TRANSCODE.kind),
                "face_extraction": of(crate::jobs::pipeline::FACES.kind),
                // Clustering places each face as it is found; this counts a regrouping of the whole space.
                "person_clustering": of(crate::jobs::pipeline::REGROUP.kind),
                "concept_detection": of(crate::jobs::pipeline::SUBJECTS.kind), "geo_coding": geo_coding,
                // photosd's own: photos classified, of those Subjects covers.
                "concept": { "total": classifiable, "done": classified },
                // photosd's own: photos whose faces were looked for, of those People covers.
                "face": faces,
            })))
        }
        // Reads every file of the space again (`type` basic), renders every thumbnail again (`thumbnail`), or groups
        // every face again (`person`).
        "reindex" => {
            let space = ctx.space().await?;
            ctx.access(&space).await?.require("", Role::Manage)?;
            let kind = call.params.opt_str("type")?;
            if matches!(kind.as_deref(), Some("person" | "face")) {
                // Groups every face of the space again, in the background (`person_clustering` counts it); what
                // the user named or corrected stays.
                let job = crate::jobs::pipeline::Job::regroup(space.id, &space.root).queued();
                ctx.app.db.call(move |db| db.enqueue(&[job])).await?;
                ctx.app.jobs_ready.notify_waiters();
                tracing::info!(user = ctx.who(), space = space.id, "faces to be grouped again");
                return Ok(Reply::Done);
            }
            let thumbnails_only = kind.as_deref() == Some("thumbnail");
            let (space_id, root) = (space.id, space.root.clone());
            let queued = ctx
                .app
                .db
                .call(move |db| {
                    let files = db.stored_files(space_id)?;
                    let jobs: Vec<_> = files
                        .iter()
                        .map(|(path, file)| match thumbnails_only {
                            true => crate::jobs::pipeline::Job::thumbs(file.id).queued(),
                            false => crate::jobs::pipeline::Job::import(space_id, &root, path).queued(),
                        })
                        .collect();
                    db.enqueue(&jobs)?;
                    Ok(jobs.len())
                })
                .await?;
            ctx.app.jobs_ready.notify_waiters();
            tracing::info!(user = ctx.who(), queued, thumbnails_only, "re-index requested");
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `BackgroundTask.Info`: the long-running work of the caller's space, as tasks with a completion count. Indexing
/// and transcoding are reported while they run; another user's work, or a video the caller may not see, is not.
pub async fn background_tasks(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if !matches!(call.method.as_str(), "list_user_task" | "get_status") {
        return Err(ApiError::NoSuchMethod);
    }
    let space = ctx.space().await?;
    let space_id = space.id;
    let pending = ctx.app.db.call(move |db| db.pending_jobs_in_space(space_id)).await?;
    let mut transcodes = Vec::new();
    for t in ctx.app.db.call(|db| db.transcodes()).await?.into_iter().filter(|t| t.state == "running") {
        if ctx.access(&space).await?.item(t.item_id).await.is_ok() {
            transcodes.push(t);
        }
    }
    let mut list = Vec::new();
    let queued: i64 = pending.iter().filter(|(k, _)| k != crate::jobs::pipeline::TRANSCODE.kind).map(|(_, n)| n).sum();
    if queued > 0 {
        list.push(json!({ "id": 1, "operation": "index", "status": "processing", "total": queued, "completion": 0 }));
    }
    for t in &transcodes {
        list.push(json!({
            "id": 1_000_000 + t.item_id, "operation": "video_convert", "status": "processing",
            "total": 100, "completion": (t.progress.unwrap_or(0.0) * 100.0).round() as i64, "item_id": t.item_id,
        }));
    }
    Ok(Reply::Data(json!({ "list": list })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_comes_in_sections_of_about_200_items() {
        let day = |day, count| TimelineBucket { year: 2021, month: 3, day, count };
        let buckets = [day(30, 150), day(29, 60), day(28, 199), day(27, 1), day(26, 5)];
        let json: Value = serde_json::from_slice(&timeline_json(&buckets)).unwrap();
        let list = |days: &[(i64, i64)]| {
            days.iter()
                .map(|&(d, n)| json!({ "year": 2021, "month": 3, "day": d, "item_count": n }))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            json,
            json!({ "section": [
                { "limit": 210, "offset": 0, "list": list(&[(30, 150), (29, 60)]) },
                { "limit": 200, "offset": 210, "list": list(&[(28, 199), (27, 1)]) },
                { "limit": 5, "offset": 410, "list": list(&[(26, 5)]) },
            ] })
        );
        assert_eq!(serde_json::from_slice::<Value>(&timeline_json(&[])).unwrap(), json!({ "section": [] }));
    }
}

//! The changing methods of `Browse.Item`: `set` (description, rating, date taken), `add_tag` / `remove_tag`,
//! `rename`, `move`, `copy`, and `delete`, which moves files to the share's `#recycle` folder (a Live Photo's video goes
//! with its photo). Ids are checked against the space first; one outside it fails the whole call with 642.

use serde_json::json;

use super::error::ApiError;
use super::{blocking, Call, Ctx, Reply};
use crate::db::{ItemEdit, ItemFile, Space};
use crate::service::permissions::Role;
use crate::service::space_fs::join;
use crate::service::{library, space_move};

/// The most (photo, tag) pairs one `add_tag` or `remove_tag` may change: a few seconds of work at most.
const MAX_TAGGINGS: usize = 50_000;

pub async fn handle(ctx: &Ctx, call: &Call, space: &Space) -> Result<Reply, ApiError> {
    let p = &call.params;
    let ids = p.ids("id")?;
    // One transaction holds the database: 5,000 photos by 5,000 tags would be 25 million rows.
    if matches!(call.method.as_str(), "add_tag" | "remove_tag")
        && ids.len().saturating_mul(p.ids("tag")?.len()) > MAX_TAGGINGS
    {
        return Err(ApiError::BadParameter("tag".into()));
    }
    // A copy only reads its originals; everything else changes them.
    let need = if call.method == "copy" { Role::Download } else { Role::Manage };
    for id in &ids {
        let item = ctx.item(space, *id).await?;
        ctx.require_on_item(space, &item, need).await?;
    }
    match call.method.as_str() {
        "set" => {
            let rating = p.opt_int("rating")?;
            if rating.is_some_and(|r| !(0..=5).contains(&r)) {
                return Err(ApiError::missing("rating"));
            }
            let edit = ItemEdit { description: p.opt_str("description")?, rating, taken_ts: p.opt_int("time")? };
            if edit == ItemEdit::default() {
                return Err(ApiError::missing("description"));
            }
            let edited = ids.clone();
            ctx.app.db.call(move |db| db.edit_items(&edited, &edit)).await?;
            write_sidecars(ctx, space, &ids).await?;
            Ok(Reply::Done)
        }
        "add_tag" | "remove_tag" => {
            let tags = p.ids("tag")?;
            // A tag of another space is as unknown as one that does not exist.
            let (space_id, wanted) = (space.id, tags.clone());
            let known = ctx.app.db.call(move |db| db.tags_in_space(space_id, &wanted)).await?;
            if let Some(unknown) = tags.iter().find(|t| !known.contains(t)) {
                return Err(ApiError::NotFound(format!("tag {unknown}")));
            }
            let adding = call.method == "add_tag";
            let edited = ids.clone();
            ctx.app
                .db
                .call(move |db| if adding { db.add_user_tags(&edited, &tags) } else { db.remove_tags(&edited, &tags) })
                .await?;
            write_sidecars(ctx, space, &ids).await?;
            Ok(Reply::Done)
        }
        "rename" => {
            let [id] = ids[..] else { return Err(ApiError::missing("id")) };
            let name = p.str("name")?;
            let file = ctx.item_file(space, id).await?;
            let (root, f, n) = (space.root.clone(), file.clone(), name.clone());
            blocking(move || {
                space_move::rename(std::path::Path::new(&root), &f.folder, &f.filename, &f.folder, &n)?;
                space_move::follow_sidecar(std::path::Path::new(&root), &f.folder, &f.filename, &f.folder, &n);
                Ok::<_, crate::domain::Error>(())
            })
            .await?;
            record_move(ctx, space, &file, &file.folder, &name).await?;
            Ok(Reply::Done)
        }
        "move" => {
            let target = ctx.folder(space, p.int("target_folder_id")?).await?;
            ctx.require(space, &target.path, Role::Upload).await?;
            for id in ids {
                let file = ctx.item_file(space, id).await?;
                let (root, f, to) = (space.root.clone(), file.clone(), target.path.clone());
                blocking(move || {
                    space_move::rename(std::path::Path::new(&root), &f.folder, &f.filename, &to, &f.filename)?;
                    space_move::follow_sidecar(std::path::Path::new(&root), &f.folder, &f.filename, &to, &f.filename);
                    Ok::<_, crate::domain::Error>(())
                })
                .await?;
                record_move(ctx, space, &file, &target.path, &file.filename).await?;
            }
            Ok(Reply::Done)
        }
        "copy" => {
            let target = ctx.folder(space, p.int("target_folder_id")?).await?;
            ctx.require(space, &target.path, Role::Upload).await?;
            let mut copies = Vec::new();
            for id in ids {
                let file = ctx.item_file(space, id).await?;
                let (root, f, to) = (space.root.clone(), file.clone(), target.path.clone());
                let (uid, gid) = ctx.file_owner(space);
                let name = blocking(move || copy_file(std::path::Path::new(&root), &f, &to, uid, gid)).await?;
                let rel_path = join(&target.path, &name);
                let copy = crate::jobs::import_now(&ctx.app, space.id, &space.root, &rel_path)
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                copies.push(json!({ "id": copy, "filename": name }));
            }
            Ok(Reply::Data(json!({ "list": copies })))
        }
        "delete" => {
            let mut recycled = Vec::new();
            for id in ids {
                let mut with_pair = vec![id];
                // A Live Photo's video goes with it, if the caller may manage the video too (it is normally
                // beside its photo, but a move on disk can part them); otherwise it stays, as its own item.
                if let Some(video) = ctx.app.db.call(move |db| db.live_video_of(id)).await? {
                    match managed(ctx, space, video).await {
                        true => with_pair.push(video),
                        false => tracing::info!(
                            user = ctx.caller.name,
                            video,
                            "a Live Photo's video stays: not the caller's to delete"
                        ),
                    }
                }
                for id in with_pair {
                    let file = ctx.item_file(space, id).await?;
                    recycled.push(recycle(ctx, space, &file).await?);
                }
            }
            Ok(Reply::Data(json!({ "recycled": recycled })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// Writes the edited items' sidecars (`[edits] xmp_sidecars`), owned like the originals.
async fn write_sidecars(ctx: &Ctx, space: &Space, ids: &[i64]) -> Result<(), ApiError> {
    if !ctx.app.config.edits.xmp_sidecars {
        return Ok(());
    }
    for &id in ids {
        let file = ctx.item_file(space, id).await?;
        let values = ctx.app.db.call(move |db| db.sidecar_values(id)).await?;
        let root = space.root.clone();
        let (uid, gid) = ctx.file_owner(space);
        blocking(move || {
            crate::service::sidecar_write::write(
                std::path::Path::new(&root),
                &file.folder,
                &file.filename,
                &values,
                uid,
                gid,
            )
        })
        .await?;
    }
    Ok(())
}

/// Copies a file into folder `to` of the same space, through a temp file, under a free name.
fn copy_file(root: &std::path::Path, file: &ItemFile, to: &str, uid: u32, gid: u32) -> Result<String, ApiError> {
    use crate::service::space_write::{Duplicate, TempFile};
    let mut source = crate::service::space_fs::open_file(root, &file.folder, &file.filename)
        .map_err(|e| ApiError::NotFound(format!("{}: {e}", file.filename)))?;
    let mut temp = TempFile::create(root, to)?;
    if let Err(e) = std::io::copy(&mut source, &mut temp.file) {
        temp.discard();
        return Err(e.into());
    }
    let mtime = source
        .metadata()
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    temp.publish(&file.filename, Duplicate::Rename, uid, gid, mtime.map(|d| d.as_secs() as i64))?
        .ok_or(ApiError::Exists)
}

/// The database follows the file at once (the watcher would, a moment later), keeping the item's id.
async fn record_move(
    ctx: &Ctx,
    space: &Space,
    file: &ItemFile,
    to_folder: &str,
    to_name: &str,
) -> Result<(), ApiError> {
    let (space_id, from, to) = (space.id, join(&file.folder, &file.filename), join(to_folder, to_name));
    ctx.app.db.call(move |db| library::moved(db, (space_id, &from), (space_id, &to), false)).await?;
    Ok(())
}

/// Whether the caller may manage item `id` of this space (and see it at all).
async fn managed(ctx: &Ctx, space: &Space, id: i64) -> bool {
    match ctx.item(space, id).await {
        Ok(item) => ctx.require_on_item(space, &item, Role::Manage).await.is_ok(),
        Err(_) => false,
    }
}

/// Moves one file to the recycle bin and forgets its item.
pub async fn recycle(ctx: &Ctx, space: &Space, file: &ItemFile) -> Result<String, ApiError> {
    let (root, personal, f) = (space.root.clone(), space.owner_uid.is_some(), file.clone());
    let (uid, gid) = ctx.file_owner(space);
    let binned = blocking(move || {
        let root = std::path::Path::new(&root);
        let binned = space_move::recycle(root, personal, &f.folder, &f.filename, uid, gid)?;
        // Its sidecar goes too (when it has one), so restoring the photo brings its edits back.
        let _ = space_move::recycle(root, personal, &f.folder, &format!("{}.xmp", f.filename), uid, gid);
        Ok::<_, crate::domain::Error>(binned)
    })
    .await?;
    let (space_id, path) = (space.id, join(&file.folder, &file.filename));
    tracing::info!(user = ctx.caller.name, file = path, "moved to the recycle bin");
    ctx.app.db.call(move |db| library::deleted(db, space_id, &path, false)).await?;
    Ok(binned)
}

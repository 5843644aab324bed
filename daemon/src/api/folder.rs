//! `SYNO.Foto.Browse.Folder` and `SYNO.FotoTeam.Browse.Folder`: the folder tree of a space. A folder's
//! `name` is its full path from the space root ("/2021/Iceland"), the root is "/" with itself as parent, and
//! id 0 means the root.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{blocking, Call, Ctx, Reply};
use crate::db::{FolderRow, Space};
use crate::service::permissions::Role;
use crate::service::{library, space_fs, space_move};

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    match call.method.as_str() {
        "get" => {
            let folder = match p.opt_str("name")? {
                Some(name) if !p.has("id") => by_name(ctx, &space, &name).await?,
                _ => ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?,
            };
            let folder = folders_json(ctx, &space, &[folder], p).await?.pop();
            Ok(Reply::Data(json!({ "folder": folder })))
        }
        "list" => {
            let parent = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let (offset, limit) = p.page()?;
            let descending = p.opt_str("sort_direction")?.as_deref() == Some("desc");
            let children = visible_children(ctx, &space, &parent, descending, offset, limit).await?;
            Ok(Reply::Data(json!({ "list": folders_json(ctx, &space, &children, p).await? })))
        }
        "count" => {
            let parent = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let count = match ctx.access(&space).await?.views_everything() {
                true => ctx.app.db.call(move |db| db.count_child_folders(parent.id)).await?,
                false => visible_children(ctx, &space, &parent, false, 0, i64::MAX).await?.len() as i64,
            };
            Ok(Reply::Data(json!({ "count": count })))
        }
        "list_parents" => {
            let folder = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let id = folder.id;
            let chain = ctx.app.db.call(move |db| db.folder_chain(id)).await?;
            Ok(Reply::Data(json!({ "list": folders_json(ctx, &space, &chain, p).await? })))
        }
        "create" => {
            let parent = ctx.folder(&space, p.opt_int("target_id")?.or(p.opt_int("id")?).unwrap_or(0)).await?;
            let name = p.str("name")?;
            ctx.require(&space, &parent.path, Role::Upload).await?;
            let (root, parent_path, made_name) = (space.root.clone(), parent.path.clone(), name.clone());
            let (uid, gid) = ctx.file_owner(&space);
            let made =
                blocking(move || space_fs::create_dir(std::path::Path::new(&root), &parent_path, &made_name, uid, gid))
                    .await;
            let path = space_fs::join(&parent.path, &name);
            if let Err(ApiError::Exists) = made {
                // A folder of that name the caller may not see answers as if it did not exist: 642, never 641.
                ctx.require(&space, &path, Role::View).await?;
            }
            made?;
            let space_id = space.id;
            let id = ctx.app.db.call(move |db| db.ensure_folder(space_id, &path)).await?;
            let folder = ctx.folder(&space, id).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(ctx, &space, &folder) })))
        }
        "rename" => {
            let folder = ctx.folder(&space, p.int("id")?).await?;
            let name = p.str("name")?;
            let Some(parent_id) = folder.parent_id else { return Err(ApiError::Forbidden) };
            let parent = ctx.folder(&space, parent_id).await?;
            // Renaming changes the parent as much as the folder: both must be the caller's to manage.
            ctx.require(&space, &folder.path, Role::Manage).await?;
            ctx.require(&space, &parent.path, Role::Manage).await?;
            let (root, from_parent, from_name, new_name) =
                (space.root.clone(), parent.path.clone(), folder.name.clone(), name.clone());
            blocking(move || {
                space_move::rename(std::path::Path::new(&root), &from_parent, &from_name, &from_parent, &new_name)
            })
            .await?;
            let to = space_fs::join(&parent.path, &name);
            let (space_id, from) = (space.id, folder.path.clone());
            ctx.app.db.call(move |db| library::moved(db, (space_id, &from), (space_id, &to), true)).await?;
            let renamed = ctx.folder(&space, folder.id).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(ctx, &space, &renamed) })))
        }
        "delete" => {
            for id in p.ids("id")? {
                let folder = ctx.folder(&space, id).await?;
                let Some(parent_id) = folder.parent_id else { return Err(ApiError::Forbidden) };
                let parent = ctx.folder(&space, parent_id).await?;
                ctx.require(&space, &folder.path, Role::Manage).await?;
                ctx.require(&space, &parent.path, Role::Manage).await?;
                let (root, personal, dir, name) =
                    (space.root.clone(), space.owner_uid.is_some(), parent.path.clone(), folder.name.clone());
                let (uid, gid) = ctx.file_owner(&space);
                blocking(move || space_move::recycle(std::path::Path::new(&root), personal, &dir, &name, uid, gid))
                    .await?;
                let (space_id, path) = (space.id, folder.path.clone());
                ctx.app.db.call(move |db| library::deleted(db, space_id, &path, true)).await?;
                tracing::info!(user = ctx.caller.name, folder = folder.path, "moved to the recycle bin");
            }
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The subfolders of `parent` that the caller can see, sorted by name and paged. Without folder rules in the way
/// the database pages; with them, the visible ones are paged here.
async fn visible_children(
    ctx: &Ctx,
    space: &Space,
    parent: &FolderRow,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<FolderRow>, ApiError> {
    let access = ctx.access(space).await?;
    let id = parent.id;
    if access.views_everything() {
        return Ok(ctx.app.db.call(move |db| db.child_folders(id, descending, offset, limit)).await?);
    }
    let all = ctx.app.db.call(move |db| db.child_folders(id, descending, 0, i64::MAX)).await?;
    Ok(all
        .into_iter()
        .filter(|f| access.shows_folder(&f.path))
        .skip(offset as usize)
        .take(limit.clamp(0, i64::MAX) as usize)
        .collect())
}

/// The folders as JSON, each with `additional.access_permission` (what the caller may do in it) when the client
/// asks for it, as Synology Photos' folder views do to show or hide their buttons.
async fn folders_json(
    ctx: &Ctx,
    space: &Space,
    folders: &[FolderRow],
    p: &super::params::Params,
) -> Result<Vec<Value>, ApiError> {
    let wanted = p.strings("additional")?.iter().any(|a| a == "access_permission");
    let access = ctx.access(space).await?;
    let own = ctx.scope == super::scope::Scope::Personal;
    Ok(folders
        .iter()
        .map(|folder| {
            let mut json = folder_json(ctx, space, folder);
            if wanted {
                json["additional"] = json!({ "access_permission": access.role_at(&folder.path).flags(own) });
            }
            json
        })
        .collect())
}

async fn by_name(ctx: &Ctx, space: &Space, name: &str) -> Result<FolderRow, ApiError> {
    let path = name.trim_matches('/').to_string();
    let space_id = space.id;
    let found = ctx.app.db.call(move |db| db.folder_by_path(space_id, &path)).await?;
    // Through `folder`, so that a folder the caller may not see is as absent by name as by id.
    ctx.folder(space, found.ok_or_else(|| ApiError::NotFound(format!("folder {name}")))?.id).await
}

pub fn folder_json(ctx: &Ctx, space: &Space, folder: &FolderRow) -> Value {
    json!({
        "id": folder.id,
        "name": format!("/{}", folder.path),
        "owner_user_id": ctx.owner_user_id(space),
        "parent": folder.parent_id.unwrap_or(folder.id),
        "passphrase": "",
        "shared": false,
        "sort_by": "default",
        "sort_direction": "default",
    })
}

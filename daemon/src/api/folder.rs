//! `SYNO.Foto.Browse.Folder` and `SYNO.FotoTeam.Browse.Folder`: the folder tree of a space. A folder's
//! `name` is its full path from the space root ("/2021/Iceland"), the root is "/" with itself as parent, and
//! id 0 means the root.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{blocking, Call, Ctx, Reply};
use crate::db::{FolderRow, Space};
use crate::service::{space_fs, space_move};

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    match call.method.as_str() {
        "get" => {
            let folder = match p.opt_str("name")? {
                Some(name) if !p.has("id") => by_name(ctx, &space, &name).await?,
                _ => ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?,
            };
            Ok(Reply::Data(json!({ "folder": folder_json(ctx, &space, &folder) })))
        }
        "list" => {
            let parent = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let (offset, limit) = super::item::page(p)?;
            let descending = p.opt_str("sort_direction")?.as_deref() == Some("desc");
            let id = parent.id;
            let children = ctx.app.db.call(move |db| db.child_folders(id, descending, offset, limit)).await?;
            let list: Vec<Value> = children.iter().map(|f| folder_json(ctx, &space, f)).collect();
            Ok(Reply::Data(json!({ "list": list })))
        }
        "count" => {
            let parent = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let id = parent.id;
            Ok(Reply::Data(json!({ "count": ctx.app.db.call(move |db| db.count_child_folders(id)).await? })))
        }
        "list_parents" => {
            let folder = ctx.folder(&space, p.opt_int("id")?.unwrap_or(0)).await?;
            let id = folder.id;
            let chain = ctx.app.db.call(move |db| db.folder_chain(id)).await?;
            let list: Vec<Value> = chain.iter().map(|f| folder_json(ctx, &space, f)).collect();
            Ok(Reply::Data(json!({ "list": list })))
        }
        "create" => {
            let parent = ctx.folder(&space, p.opt_int("target_id")?.or(p.opt_int("id")?).unwrap_or(0)).await?;
            let name = p.str("name")?;
            ctx.may_change(&space)?;
            let (root, parent_path, made_name) = (space.root.clone(), parent.path.clone(), name.clone());
            let (uid, gid) = ctx.file_owner(&space);
            blocking(move || space_fs::create_dir(std::path::Path::new(&root), &parent_path, &made_name, uid, gid))
                .await?;
            let path = space_fs::join(&parent.path, &name);
            let space_id = space.id;
            let id = ctx.app.db.call(move |db| db.ensure_folder(space_id, &path)).await?;
            let folder = ctx.folder(&space, id).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(ctx, &space, &folder) })))
        }
        "rename" => {
            ctx.may_change(&space)?;
            let folder = ctx.folder(&space, p.int("id")?).await?;
            let name = p.str("name")?;
            let Some(parent_id) = folder.parent_id else { return Err(ApiError::Forbidden) };
            let parent = ctx.folder(&space, parent_id).await?;
            let (root, from_parent, from_name, new_name) =
                (space.root.clone(), parent.path.clone(), folder.name.clone(), name.clone());
            blocking(move || {
                space_move::rename(std::path::Path::new(&root), &from_parent, &from_name, &from_parent, &new_name)
            })
            .await?;
            let to = space_fs::join(&parent.path, &name);
            let (space_id, from) = (space.id, folder.path.clone());
            ctx.app.db.call(move |db| db.move_folder((space_id, &from), (space_id, &to))).await?;
            let renamed = ctx.folder(&space, folder.id).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(ctx, &space, &renamed) })))
        }
        "delete" => {
            ctx.may_change(&space)?;
            for id in p.ids("id")? {
                let folder = ctx.folder(&space, id).await?;
                let Some(parent_id) = folder.parent_id else { return Err(ApiError::Forbidden) };
                let parent = ctx.folder(&space, parent_id).await?;
                let (root, personal, dir, name) =
                    (space.root.clone(), space.owner_uid.is_some(), parent.path.clone(), folder.name.clone());
                let (uid, gid) = ctx.file_owner(&space);
                blocking(move || space_move::recycle(std::path::Path::new(&root), personal, &dir, &name, uid, gid))
                    .await?;
                let (space_id, path) = (space.id, folder.path.clone());
                ctx.app.db.call(move |db| db.delete_folder(space_id, &path)).await?;
                tracing::info!(user = ctx.caller.name, folder = folder.path, "moved to the recycle bin");
            }
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

async fn by_name(ctx: &Ctx, space: &Space, name: &str) -> Result<FolderRow, ApiError> {
    let path = name.trim_matches('/').to_string();
    let space_id = space.id;
    ctx.app
        .db
        .call(move |db| db.folder_by_path(space_id, &path))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("folder {name}")))
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

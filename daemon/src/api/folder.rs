//! `SYNO.Foto.Browse.Folder` and `SYNO.FotoTeam.Browse.Folder`: the folder tree of a space. A folder's
//! `name` is its full path from the space root ("/2021/Iceland"), the root is "/" with itself as parent, and
//! id 0 means the root.

use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::{FolderRow, Space, SpaceKind};
use crate::domain::{Error, Role};
use crate::service::access::SpaceAccess;
use crate::service::{library, space_fs};

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let db = &ctx.app.db;
    let p = &call.params;
    match call.method.as_str() {
        "get" => {
            let folder = match p.opt_str("name")? {
                Some(name) if !p.has("id") => access.folder_by_path(&name).await?,
                _ => access.folder(p.opt_int("id")?.unwrap_or(0)).await?,
            };
            let folder = folders_json(ctx, &access, &[folder], p).await?.pop();
            Ok(Reply::Data(json!({ "folder": folder })))
        }
        "list" => {
            let parent = access.folder(p.opt_int("id")?.unwrap_or(0)).await?;
            let (offset, limit) = p.page()?;
            let descending = p.opt_str("sort_direction")?.as_deref() == Some("desc");
            let children = visible_children(ctx, &access, &parent, descending, offset, limit).await?;
            Ok(Reply::Data(json!({ "list": folders_json(ctx, &access, &children, p).await? })))
        }
        "count" => {
            let parent = access.folder(p.opt_int("id")?.unwrap_or(0)).await?;
            let count = match access.views_everything() {
                true => db.call(move |db| db.count_child_folders(parent.id)).await?,
                false => visible_children(ctx, &access, &parent, false, 0, i64::MAX).await?.len() as i64,
            };
            Ok(Reply::Data(json!({ "count": count })))
        }
        "list_parents" => {
            let folder = access.folder(p.opt_int("id")?.unwrap_or(0)).await?;
            let id = folder.id;
            let chain = db.call(move |db| db.folder_chain(id)).await?;
            Ok(Reply::Data(json!({ "list": folders_json(ctx, &access, &chain, p).await? })))
        }
        "create" => {
            let parent = access.folder(p.opt_int("target_id")?.or(p.opt_int("id")?).unwrap_or(0)).await?;
            let name = p.str("name")?;
            access.require(&parent.path, Role::Upload)?;
            let made = library::create_folder(db, &space, &parent.path, &name, access.file_owner()).await;
            if let Err(Error::Exists) = made {
                // A folder of that name the caller may not see answers as if it did not exist: 642, never 641.
                access.require(&space_fs::join(&parent.path, &name), Role::View)?;
            }
            let folder = access.folder(made?).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(&space, &folder) })))
        }
        "rename" => {
            let folder = access.folder(p.int("id")?).await?;
            let name = p.str("name")?;
            let parent = changeable(&access, &folder).await?;
            library::rename_folder(db, &space, &folder, &parent.path, &name).await?;
            let renamed = access.folder(folder.id).await?;
            Ok(Reply::Data(json!({ "folder": folder_json(&space, &renamed) })))
        }
        "delete" => {
            for id in p.ids("id")? {
                let folder = access.folder(id).await?;
                let parent = changeable(&access, &folder).await?;
                library::recycle_folder(db, &space, &folder, &parent.path, access.file_owner()).await?;
                tracing::info!(user = access.who(), folder = folder.path, "moved to the recycle bin");
            }
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The parent of a folder the caller renames or deletes. That changes the parent as much as the folder: both must
/// be the caller's to manage, and the root has no parent to change.
async fn changeable(access: &SpaceAccess, folder: &FolderRow) -> Result<FolderRow, ApiError> {
    let Some(parent_id) = folder.parent_id else { return Err(Error::Forbidden.into()) };
    let parent = access.folder(parent_id).await?;
    access.require(&folder.path, Role::Manage)?;
    access.require(&parent.path, Role::Manage)?;
    Ok(parent)
}

/// The subfolders of `parent` that the caller can see, sorted by name and paged. Without folder rules in the way
/// the database pages; with them, the visible ones are paged here.
async fn visible_children(
    ctx: &Ctx,
    access: &SpaceAccess,
    parent: &FolderRow,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<FolderRow>, ApiError> {
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
/// asks for it, as Synology Photos' folder views do to show or hide their buttons, and `passphrase` and `shared`
/// for folders with a share link that the caller manages.
async fn folders_json(
    ctx: &Ctx,
    access: &SpaceAccess,
    folders: &[FolderRow],
    p: &super::params::Params,
) -> Result<Vec<Value>, ApiError> {
    let wanted = p.strings("additional")?.iter().any(|a| a == "access_permission");
    let own = access.space.kind == SpaceKind::Personal;
    // A folder with a share link says so, with its passphrase, to whoever manages it.
    let ids: Vec<i64> = folders.iter().map(|f| f.id).collect();
    let links = ctx.app.db.call(move |db| db.links_of(crate::db::LinkKind::Folder, &ids)).await?;
    Ok(folders
        .iter()
        .map(|folder| {
            let mut json = folder_json(&access.space, folder);
            let link = links.iter().find(|l| l.folder_id == Some(folder.id));
            if let Some(link) = link.filter(|_| access.role_at(&folder.path) >= Role::Manage) {
                json["passphrase"] = link.passphrase.clone().into();
                json["shared"] = link.enabled.into();
            }
            if wanted {
                json["additional"] = json!({ "access_permission": access.role_at(&folder.path).flags(own) });
            }
            json
        })
        .collect())
}

fn folder_json(space: &Space, folder: &FolderRow) -> Value {
    json!({
        "id": folder.id,
        "name": format!("/{}", folder.path),
        "owner_user_id": space.owner_user_id(),
        "parent": folder.parent_id.unwrap_or(folder.id),
        "passphrase": "",
        "shared": false,
        "sort_by": "default",
        "sort_direction": "default",
    })
}

//! Share links on the wire: `SYNO.Foto.Sharing.Passphrase` and its FotoTeam twin (`set_shared`, `update`, `get`,
//! `get_permission`, `get_photo_request_info`), `SYNO.Core.Sharing.Login` (a link's password, and the sharing
//! cookie), and `SYNO.Foto.PhotoRequest` (`create`, `list`, `get`, `update`, `delete`). The rules are
//! `service::sharing`'s; what a holder then reaches is `service::access`'s. Shapes Synology does not publish are
//! described in `docs/api.md`.

use hyper::header;
use serde_json::{json, Value};

use super::error::ApiError;
use super::folder_permission::Change;
use super::params::Params;
use super::{Call, Ctx, Reply};
use crate::db::{LinkKind, ShareLink};
use crate::domain::{Member, Role};
use crate::http::body;
use crate::service::principal::Principal;
use crate::service::sharing::{self, PermissionChange, Target};

/// `SYNO.Core.Sharing.Login login sharing_id=<passphrase> password=<"…">`: opens a link in the visitor's sharing
/// session and sets its cookie. Unknown, disabled and expired links answer 642; a wrong password 400; a link
/// locked for this client after repeated wrong passwords 407.
pub async fn login(app: &std::sync::Arc<crate::app::App>, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let passphrase = match p.opt_str("sharing_id")? {
        Some(id) => id,
        None => super::sharing_header(&call.headers).ok_or_else(|| ApiError::missing("sharing_id"))?,
    };
    let password = p.opt_str("password")?.unwrap_or_default();
    let existing = super::cookie(&call.headers, super::SHARING_COOKIE);
    let (sid, link) =
        sharing::login(&app.db, &app.link_guard, &passphrase, &password, existing, call.client.ip).await?;
    let mut response =
        body::json(&json!({ "success": true, "data": { "sharing_sid": sid, "type": link.kind.as_str() } }));
    let secure = if call.client.https { "; Secure" } else { "" };
    let cookie = format!("{}={sid}; Path=/; HttpOnly; SameSite=Lax{secure}", super::SHARING_COOKIE);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(Reply::Response(response))
}

pub async fn passphrase(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    if let Principal::Link(grant) = &ctx.principal {
        // A holder learns about the link they hold, and nothing else.
        let link = &grant.link;
        return match call.method.as_str() {
            "get" => Ok(Reply::Data(json!({ "sharing": holder_json(link, grant.role) }))),
            "get_permission" => Ok(Reply::Data(json!({ "permission": holder_flags(link, grant.role) }))),
            "get_photo_request_info" if link.kind == LinkKind::Request => Ok(Reply::Data(json!({
                "name": link.name,
                "subject": link.name,
                "description": link.description,
                "filesize_limit": ctx.app.config.server.max_upload_mb * 1024 * 1024,
            }))),
            _ => Err(ApiError::not_found("share link")),
        };
    }
    match call.method.as_str() {
        "set_shared" => {
            let target = match p.opt_str("policy")?.as_deref() {
                Some("folder") => Target::Folder(p.int("folder_id")?),
                Some("item") => Target::Items(p.ids("item_id")?),
                None | Some("album") => Target::Album(p.int("album_id")?),
                Some(_) => return Err(ApiError::missing("policy")),
            };
            let link = sharing::set_shared(&access, target, p.flag("enabled", true)?).await?;
            Ok(Reply::Data(link_json(ctx, &link).await?))
        }
        "update" => {
            let mut link = sharing::link_to_manage(&access, &p.str("passphrase")?).await?;
            apply_settings(p, &mut link)?;
            let changes = permission_changes(p)?;
            sharing::change_permissions(&ctx.app.db, &mut link, &changes).await?;
            tracing::info!(user = access.who(), link = link.id, "share link updated");
            Ok(Reply::Data(link_json(ctx, &link).await?))
        }
        "get" | "get_permission" => {
            let link = sharing::link_to_manage(&access, &p.str("passphrase")?).await?;
            Ok(Reply::Data(link_json(ctx, &link).await?))
        }
        _ => Err(ApiError::not_found("share link")),
    }
}

/// `SYNO.Foto.PhotoRequest`: requests for photos into a folder or album, each a link whose holders may only upload.
pub async fn photo_request(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let (uid, space_id) = (access.album_owner()?, space.id);
    let mine = |id: i64| async move {
        let link = ctx.app.db.call(move |db| db.link(id)).await?;
        link.filter(|l| l.kind == LinkKind::Request && l.owner_uid == uid && l.space_id == space_id)
            .ok_or_else(|| ApiError::not_found(format!("photo request {id}")))
    };
    match call.method.as_str() {
        "create" => {
            let target = match p.opt_int("album_id")? {
                Some(id) => Target::Album(id),
                None => Target::Folder(p.int("folder_id")?),
            };
            let name = p.opt_str("name")?.unwrap_or_default();
            let description = p.opt_str("description")?.unwrap_or_default();
            if name.len() > 255 || description.len() > 4096 {
                return Err(ApiError::missing("name"));
            }
            let mut link = sharing::create_request(&access, target, &name, &description).await?;
            apply_settings(p, &mut link)?;
            let saved = link.clone();
            ctx.app.db.call(move |db| db.update_link(&saved)).await?;
            Ok(Reply::Data(json!({ "photo_request": link_json(ctx, &link).await? })))
        }
        "list" => {
            let links = ctx.app.db.call(move |db| db.links_of_owner(uid, LinkKind::Request)).await?;
            let mut list = Vec::new();
            for link in links.iter().filter(|l| l.space_id == space_id) {
                list.push(link_json(ctx, link).await?);
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        "get" => Ok(Reply::Data(json!({ "photo_request": link_json(ctx, &mine(p.int("id")?).await?).await? }))),
        "update" => {
            let mut link = mine(p.int("id")?).await?;
            if let Some(name) = p.opt_str("name")? {
                link.name = name;
            }
            if let Some(description) = p.opt_str("description")? {
                link.description = description;
            }
            apply_settings(p, &mut link)?;
            let saved = link.clone();
            ctx.app.db.call(move |db| db.update_link(&saved)).await?;
            Ok(Reply::Data(json!({ "photo_request": link_json(ctx, &link).await? })))
        }
        "delete" => {
            for id in p.ids("id")? {
                let link = mine(id).await?;
                ctx.app.db.call(move |db| db.delete_link(link.id)).await?;
            }
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// `enabled`, `expiration` (unix time; 0: never) and `password` (a new one; empty: none) where the call has them.
fn apply_settings(p: &Params, link: &mut ShareLink) -> Result<(), ApiError> {
    if p.has("enabled") {
        link.enabled = p.flag("enabled", true)?;
    }
    if let Some(expiration) = p.opt_int("expiration")? {
        if expiration < 0 {
            return Err(ApiError::missing("expiration"));
        }
        link.expires_at = expiration;
    }
    if let Some(password) = p.opt_str("password")? {
        if password.len() > 1024 {
            return Err(ApiError::missing("password"));
        }
        link.password = match password.is_empty() {
            true => None,
            false => Some(sharing::hash_password(&password)?),
        };
    }
    Ok(())
}

/// `permission=[{"action":"update"|"delete","role":…,"member":{"type":"public"|"user"|"group","id":…}}]`. Roles
/// by Synology's API names (view, download, upload, manage) or its UI's (viewer, downloader, provider, manager).
fn permission_changes(p: &Params) -> Result<Vec<PermissionChange>, ApiError> {
    let Some(changes) = p.opt_json::<Vec<Change>>("permission")? else { return Ok(Vec::new()) };
    changes
        .into_iter()
        .map(|change| {
            let role = match change.action.as_deref().unwrap_or("update") {
                "delete" => Role::None,
                "update" => change.role.as_deref().and_then(role_named).ok_or_else(|| ApiError::missing("role"))?,
                _ => return Err(ApiError::missing("action")),
            };
            match change.member.kind.as_str() {
                "public" => Ok(PermissionChange::Public(role)),
                kind => Member::from_parts(kind, change.member.id)
                    .filter(|m| *m != Member::Everyone)
                    .map(|m| PermissionChange::Member(m, role))
                    .ok_or_else(|| ApiError::missing("member")),
            }
        })
        .collect()
}

fn role_named(name: &str) -> Option<Role> {
    match name {
        "viewer" => Some(Role::View),
        "downloader" => Some(Role::Download),
        "provider" | "uploader" => Some(Role::Upload),
        "manager" => Some(Role::Manage),
        "none" => Some(Role::None),
        other => Role::parse(other),
    }
}

/// A link as its owner sees it: settings, the public link, and the invitees with their names.
pub async fn link_json(ctx: &Ctx, link: &ShareLink) -> Result<Value, ApiError> {
    let id = link.id;
    let members = ctx.app.db.call(move |db| db.link_members(id)).await?;
    let permission: Vec<Value> = members
        .iter()
        .map(|(member, role)| {
            let name = match member {
                Member::User(uid) => uzers::get_user_by_uid(*uid).map(|u| u.name().to_string_lossy().into_owned()),
                Member::Group(gid) => uzers::get_group_by_gid(*gid).map(|g| g.name().to_string_lossy().into_owned()),
                Member::Everyone => None,
            };
            json!({ "role": role.as_str(), "member": { "type": member.kind(), "id": member.id(), "name": name } })
        })
        .collect();
    Ok(json!({
        "id": link.id,
        "passphrase": link.passphrase,
        "type": link.kind.as_str(),
        "album_id": link.album_id,
        "folder_id": link.folder_id,
        "enabled": link.enabled,
        "privacy_type": if link.enabled && link.public_role > Role::None { "public" } else { "private" },
        "public_role": link.public_role.as_str(),
        "sharing_link": sharing_path(link),
        "enable_password": link.password.is_some(),
        "expiration": link.expires_at,
        "expired": !link.is_live(crate::db::now()) && link.enabled,
        "name": link.name,
        "description": link.description,
        "create_time": link.created_at,
        "owner_user_id": link.owner_uid,
        "permission": permission,
    }))
}

/// A link as its holder sees it: what it is, and their role (a photo request's holder learns nothing of where
/// their files go).
fn holder_json(link: &ShareLink, role: Role) -> Value {
    let request = link.kind == LinkKind::Request;
    json!({
        "passphrase": link.passphrase,
        "type": link.kind.as_str(),
        "album_id": if request { None } else { link.album_id },
        "role": role.as_str(),
        "permission": holder_flags(link, role),
        "name": link.name,
        "description": link.description,
        "expiration": link.expires_at,
    })
}

/// What a holder may do: a photo request's holder only adds files.
fn holder_flags(link: &ShareLink, role: Role) -> Value {
    match link.kind {
        LinkKind::Request => json!({ "view": false, "download": false, "upload": true, "manage": false, "own": false }),
        _ => role.flags(false),
    }
}

/// Where a link opens in a browser, under the `/photo` alias.
pub fn sharing_path(link: &ShareLink) -> String {
    match link.kind {
        LinkKind::Request => format!("/photo/mo/request/{}", link.passphrase),
        _ => format!("/photo/mo/sharing/{}", link.passphrase),
    }
}

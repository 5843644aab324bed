//! `SYNO.Foto.Browse.Album`, `Browse.NormalAlbum` and `Browse.ConditionAlbum`: each user's albums of photos
//! from their Personal Space, the albums they share (`category=shared`) and those shared with them
//! (`shared_with_me`, and `Sharing.Misc list_shared_with_me_album`). Another user's album answers 642, exactly
//! like one that does not exist, unless it is shared with the caller; then its passphrase opens it. Condition
//! albums (`ConditionAlbum`, in `condition_album.rs`) are listed and read here like the others, with
//! `type: "condition"` and their condition; no item is added to or taken out of one by hand.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params::Params;
use super::scope::Scope;
use super::{Call, Ctx, Reply};
use crate::db::{AlbumRow, AlbumSort, Albums, ItemSort, LinkKind, Reach, ShareLink};
use crate::domain::{ItemQuery, Role};

pub async fn handle(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if ctx.scope != Scope::Personal {
        return Err(ApiError::NoSuchApi);
    }
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let db = &ctx.app.db;
    let category = p.opt_str("category")?;
    // NormalAlbum's lists hold only what photos can be added to; Album's, both kinds.
    let which = if call.api.ends_with(".NormalAlbum") { Albums::Normal } else { Albums::All };
    match call.method.as_str() {
        "list" if matches!(category.as_deref(), Some("shared" | "shared_with_others")) => {
            let (offset, limit) = p.page()?;
            let uid = access.album_owner()?;
            let links = db.call(move |db| db.links_of_owner(uid, LinkKind::Album)).await?;
            let ids: Vec<i64> = links.iter().filter_map(|l| l.album_id).collect();
            let mut rows = if ids.is_empty() { Vec::new() } else { access.albums(&ids).await? };
            rows.retain(|a| links.iter().any(|l| l.album_id == Some(a.id) && (l.enabled || !a.temporary)));
            let page: Vec<AlbumRow> = rows.into_iter().skip(offset as usize).take(limit as usize).collect();
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &page, &p.strings("additional")?).await? })))
        }
        "list" if category.as_deref() == Some("shared_with_me") => shared_with_me(ctx, call).await,
        "list" => {
            let (offset, limit) = p.page()?;
            let (sort, descending) = sort(p)?;
            let (uid, space_id) = (access.album_owner()?, space.id);
            let rows = db.call(move |db| db.albums(uid, space_id, which, sort, descending, offset, limit)).await?;
            let mut list = albums_json(ctx, &rows, &p.strings("additional")?).await?;
            if category.as_deref() == Some("normal_share_with_me") {
                // The caller's own, then those shared with them (Home Assistant's library asks for both).
                list.extend(shared_with_me_json(ctx, &p.strings("additional")?).await?);
            }
            Ok(Reply::Data(json!({ "list": list })))
        }
        "count" => {
            let (uid, space_id) = (access.album_owner()?, space.id);
            Ok(Reply::Data(json!({ "count": db.call(move |db| db.count_albums(uid, space_id, which)).await? })))
        }
        "get" => {
            let rows = access.albums(&p.ids("id")?).await?;
            if which == Albums::Normal && rows.iter().any(|a| a.condition.is_some()) {
                return Err(ApiError::not_found("a condition album"));
            }
            Ok(Reply::Data(json!({ "list": albums_json(ctx, &rows, &p.strings("additional")?).await? })))
        }
        "create" => {
            let name = album_name(p)?;
            let items = if p.has("item") { p.ids("item")? } else { Vec::new() };
            let (uid, space_id) = (access.album_owner()?, space.id);
            let (id, refused) = db.call(move |db| db.create_album(uid, space_id, &name, &items, false)).await?;
            tracing::info!(user = access.who(), album = id, "album created");
            let album = albums_json(ctx, &[access.album(id).await?], &[]).await?.remove(0);
            Ok(Reply::Data(json!({ "album": album, "error_list": error_list(&refused) })))
        }
        "add_item" => {
            let album = normal(access.album(p.int("id")?).await?)?;
            let items = p.ids("item")?;
            let refused = db.call(move |db| db.add_album_items(album.id, &items)).await?;
            Ok(Reply::Data(json!({ "error_list": error_list(&refused) })))
        }
        "delete_item" => {
            let album = normal(album_with(&access, p.int("id")?, Role::Manage).await?)?;
            let items = p.ids("item")?;
            db.call(move |db| db.remove_album_items(album.id, &items)).await?;
            Ok(Reply::Done)
        }
        "set_name" => {
            let album = album_with(
                &access,
                p.ids("id")?.first().copied().ok_or_else(|| ApiError::missing("id"))?,
                Role::Manage,
            )
            .await?;
            let name = album_name(p)?;
            db.call(move |db| db.rename_album(album.id, &name)).await?;
            Ok(Reply::Done)
        }
        "download" => {
            let id = p.ids("id")?.first().copied().ok_or_else(|| ApiError::missing("id"))?;
            let album = album_with(&access, id, Role::Download).await?;
            let reach = access.reach(Role::Download).await?;
            let mut filter = ItemQuery::default();
            album.narrow(&mut filter);
            let reach = if album.condition.is_some() { reach } else { reach.within_album(album.id) };
            let limit = super::params::MAX_LIMIT;
            let items = db.call(move |db| db.list_items(&reach, &filter, ItemSort::TakenTime, false, 0, limit)).await?;
            let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
            super::download::album_archive(ctx, call, &ids, &album.name).await
        }
        "delete" => {
            let ids: Vec<i64> = access.albums(&p.ids("id")?).await?.iter().map(|a| a.id).collect();
            let uid = access.album_owner()?;
            let deleted = db.call(move |db| db.delete_albums(uid, &ids)).await?;
            tracing::info!(user = access.who(), deleted, "albums deleted (their photos stay)");
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// A normal album: a condition album's photos are what its condition matches, never added or taken out by hand.
fn normal(album: AlbumRow) -> Result<AlbumRow, ApiError> {
    match album.condition {
        Some(_) => Err(ApiError::not_found(format!("album {} is a condition album", album.id))),
        None => Ok(album),
    }
}

/// An album the principal may do `need` with: their own, or the one a link shares to them with that role (a
/// manager renames it and takes photos out of it; a downloader downloads it).
async fn album_with(access: &crate::service::access::SpaceAccess, id: i64, need: Role) -> Result<AlbumRow, ApiError> {
    match access.linked_album() {
        Some(shared) if shared == id => Ok(access.shared_album(need).await?),
        Some(_) => Err(ApiError::not_found(format!("album {id}"))),
        None => Ok(access.album(id).await?),
    }
}

/// The albums other users share with the caller (as an invitee, or through a group), each with its passphrase,
/// which opens it (`Browse.Item list passphrase=…`), and the caller's role.
pub async fn shared_with_me(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let (offset, limit) = call.params.page().unwrap_or((0, super::params::MAX_LIMIT));
    let list = shared_with_me_json(ctx, &call.params.strings("additional")?).await?;
    let page: Vec<Value> = list.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Reply::Data(json!({ "list": page })))
}

async fn shared_with_me_json(ctx: &Ctx, additional: &[String]) -> Result<Vec<Value>, ApiError> {
    let user = ctx.user()?.clone();
    let (uid, groups) = (user.uid, user.groups.clone());
    let shared = ctx.app.db.call(move |db| db.links_shared_with(uid, &groups)).await?;
    let mut list = Vec::new();
    for (link, role) in shared.iter().filter(|(l, _)| l.kind == LinkKind::Album) {
        let (owner, space_id, album_id) = (link.owner_uid, link.space_id, link.album_id.unwrap_or_default());
        let rows = ctx
            .app
            .db
            .call(move |db| db.albums(owner, space_id, Albums::Ids(&[album_id]), AlbumSort::CreateTime, true, 0, 1))
            .await?;
        for mut album in albums_json(ctx, &rows, additional).await? {
            album["sharing_info"]["permission"] = role.flags(false);
            album["sharing_info"]["role"] = role.as_str().into();
            list.push(album);
        }
    }
    Ok(list)
}

pub(super) fn album_name(p: &Params) -> Result<String, ApiError> {
    let name = p.str("name")?.trim().to_string();
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(ApiError::missing("name"));
    }
    Ok(name)
}

pub(super) fn sort(p: &Params) -> Result<(AlbumSort, bool), ApiError> {
    let sort = match p.opt_str("sort_by")?.as_deref() {
        None | Some("default" | "create_time" | "album_type" | "share_status") => AlbumSort::CreateTime,
        Some("album_name") => AlbumSort::Name,
        Some("start_time") => AlbumSort::StartTime,
        Some(_) => return Err(ApiError::missing("sort_by")),
    };
    let descending = match p.opt_str("sort_direction")?.as_deref() {
        None | Some("desc" | "default") => sort != AlbumSort::Name,
        Some("asc") => false,
        Some(_) => return Err(ApiError::missing("sort_direction")),
    };
    Ok((sort, descending))
}

/// Ids an add could not take (not in the caller's Personal Space, or gone), each with the code it would get.
fn error_list(refused: &[i64]) -> Value {
    json!(refused.iter().map(|id| json!({ "id": id, "error": { "code": 642 } })).collect::<Vec<_>>())
}

pub(super) async fn albums_json(ctx: &Ctx, rows: &[AlbumRow], additional: &[String]) -> Result<Vec<Value>, ApiError> {
    let mut counted = rows.to_vec();
    let rows = match rows.iter().any(|a| a.condition.is_some()) {
        true => ctx.app.db.call(move |db| db.count_condition_albums(&mut counted).map(|()| counted)).await?,
        false => counted,
    };
    let rows = &rows[..];
    let by_link = matches!(ctx.principal, crate::service::principal::Principal::Link(_));
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let found = ctx.app.db.call(move |db| db.links_of(LinkKind::Album, &ids)).await?;
    let links: Vec<Option<&ShareLink>> = rows.iter().map(|a| found.iter().find(|l| l.album_id == Some(a.id))).collect();
    let covers: Vec<i64> = rows.iter().filter_map(|a| a.cover_id).collect();
    let reach = Reach::whole(rows.first().map_or(0, |a| a.space_id));
    let cover_block = super::item_json::cover_blocks(ctx, &reach, covers, additional).await?;
    Ok(rows
        .iter()
        .zip(&links)
        .map(|(a, link)| {
            let mut album = json!({
                "id": a.id,
                "name": a.name,
                "item_count": a.item_count,
                "owner_user_id": a.owner_uid,
                "type": if a.condition.is_some() { "condition" } else { "normal" },
                "create_time": a.created_at,
                "start_time": a.start_time,
                "end_time": a.end_time,
                "passphrase": link.as_ref().map_or("", |l| l.passphrase.as_str()),
                "shared": link.as_ref().is_some_and(|l| l.enabled),
                "temporary_shared": a.temporary,
                "sharing_info": link.as_ref().map_or(json!({}), |l| json!({
                    "passphrase": l.passphrase,
                    "privacy_type": if l.enabled && l.public_role > Role::None { "public" } else { "private" },
                    "sharing_link": super::sharing::sharing_path(l),
                    "enable_password": l.password.is_some(),
                    "expiration": l.expires_at,
                    "owner": { "id": l.owner_uid },
                })),
                "freeze_album": false,
                "sort_by": "default",
                "sort_direction": "default",
                "cant_migrate_condition": {},
                // A link's holder sees the album's photos, not how its owner chose them.
                "condition": match &a.condition {
                    Some(condition) if !by_link => super::condition::condition_json(condition),
                    _ => json!({}),
                },
                "version": a.version,
            });
            if let Some(block) = cover_block(a.cover_id) {
                album["additional"] = block;
            }
            album
        })
        .collect())
}

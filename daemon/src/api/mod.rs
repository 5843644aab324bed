//! The Synology Photos web API: one request in, one envelope out. This module reads the parameters, checks
//! the call against the catalogue, finds who is calling (a session's user, or the holder of a share link:
//! `principal`), and hands over to the handler of the API family; errors become
//! `{"success":false,"error":{"code":N}}` here and nowhere else.

pub mod catalog;
pub mod error;
pub mod params;

mod album;
mod auth;
mod browse;
mod concept;
mod condition;
mod condition_album;
mod download;
mod folder;
mod folder_permission;
mod geocoding;
mod item;
mod item_edit;
mod item_json;
mod map;
mod misc;
mod person;
mod query;
mod scope;
mod search;
mod setting;
mod sharing;
mod thumbnail;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::{header, HeaderMap, Method, Request, Response};
use serde_json::{json, Value};

use crate::app::App;
use crate::domain::Error;
use crate::http::body::{self, Body};
use crate::http::client::Client;
use crate::service::auth::Caller;
use crate::service::principal::{Principal, User};
use error::ApiError;
use params::Params;

/// The cookie photosd sets for a browser's session. Not DSM's own `id`: on a NAS, DSM and photosd share the host,
/// and cookies are per host, so signing in to one would sign the other out.
pub const SESSION_COOKIE: &str = "photosd_id";

/// The cookie of a sharing session (the password links a visitor opened), as DSM names it.
pub const SHARING_COOKIE: &str = "sharing_sid";

/// Form bodies hold parameters, never files: anything larger is refused before it is read.
const FORM_LIMIT: usize = 1024 * 1024;

/// One API call, parsed.
pub struct Call {
    pub api: String,
    pub method: String,
    pub version: u32,
    pub params: Params,
    pub client: Client,
    pub headers: HeaderMap,
    /// The session id the call came with, from `_sid` or the session cookie.
    pub sid: Option<String>,
    /// The file part of a multipart upload, not yet read (its fields before it are in `params`).
    pub upload: Option<upload::Pending>,
}

/// What a handler answers.
pub enum Reply {
    /// `{"success":true,"data":…}`
    Data(Value),
    /// `{"success":true,"data":…}` with `data` already serialised: large answers skip building a `Value` tree.
    Serialized(Vec<u8>),
    /// `{"success":true}`
    Done,
    /// Anything else: files, archives, a login that sets a cookie.
    Response(Response<Body>),
}

/// A call whose API, method and version the path fixes (`/synofoto/api/v2/p/Thumbnail/get`), whatever the query
/// says.
pub async fn serve_fixed(
    app: Arc<App>,
    client: Client,
    (api, method, version): (&str, &str, u32),
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let fixed = [("api", api.to_string()), ("method", method.to_string()), ("version", version.to_string())];
    serve_with(app, client, None, &fixed, request).await
}

pub async fn serve(
    app: Arc<App>,
    client: Client,
    api_in_path: Option<String>,
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    serve_with(app, client, api_in_path, &[], request).await
}

async fn serve_with(
    app: Arc<App>,
    client: Client,
    api_in_path: Option<String>,
    fixed: &[(&str, String)],
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let (parts, incoming) = request.into_parts();
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut upload = None;
    let answer_within = Duration::from_secs(app.config.server.request_timeout_secs);
    if parts.method == Method::POST && content_type.starts_with("multipart/form-data") {
        // An upload's session, when named before the body (query string or cookie), must be valid before any of
        // the body is read. (A login is a urlencoded form, whatever stale cookie comes with it.)
        let named = pairs.iter().find(|(k, _)| k == "_sid").map(|(_, v)| v.clone());
        let link = named_link(&Params::from_pairs(pairs.iter().cloned()), &parts.headers, "");
        let session = named.or_else(|| session_cookie(&parts.headers)).filter(|s| !s.is_empty());
        if let Some(passphrase) = &link {
            // A link's holder uploads without a session; the link must be one before a byte is read.
            let share_sid = cookie(&parts.headers, SHARING_COOKIE);
            let holder = crate::service::sharing::Holder {
                passphrase: Some(passphrase),
                share_sid: share_sid.as_deref(),
                user: None,
                ip: client.ip,
            };
            let signed_in = match &session {
                Some(sid) => crate::service::auth::caller(&app, sid).await.is_ok(),
                None => false,
            };
            if !signed_in && crate::service::sharing::grant(&app.db, &app.config, holder).await.is_err() {
                return envelope(Err(Error::NotFound("share link".into()).into()));
            }
        } else if let Some(sid) = session {
            if let Err(e) = crate::service::auth::caller(&app, &sid).await {
                return envelope(Err(e.into()));
            }
        }
        let stall = Duration::from_secs(app.config.server.stall_timeout_secs);
        match upload::read_fields(content_type, incoming, app.config.server.max_upload_mb, stall).await {
            Ok((fields, pending)) => {
                pairs.extend(fields);
                upload = pending;
            }
            Err(e) => return envelope(Err(e)),
        }
    } else if parts.method == Method::POST {
        match tokio::time::timeout(answer_within, Limited::new(incoming, FORM_LIMIT).collect()).await {
            Ok(Ok(collected)) => {
                let bytes: Bytes = collected.to_bytes();
                pairs.extend(form_urlencoded::parse(&bytes).into_owned());
            }
            Ok(Err(_)) | Err(_) => return envelope(Err(ApiError::missing("request body"))),
        }
    }
    let mut params = Params::from_pairs(pairs);
    for (name, value) in fixed {
        params.insert(name, value.clone());
    }
    if let Some(api) = api_in_path.filter(|_| !params.has("api")) {
        params.insert("api", api);
    }
    let sid = params.raw("_sid").map(str::to_string).or_else(|| session_cookie(&parts.headers));
    let call = Call {
        api: params.raw("api").unwrap_or_default().to_string(),
        method: params.raw("method").unwrap_or_default().to_string(),
        version: params.raw("version").and_then(|v| v.trim_matches('"').parse().ok()).unwrap_or(0),
        params,
        client,
        headers: parts.headers,
        sid: sid.filter(|s| !s.is_empty()),
        upload,
    };
    let (api, method) = (call.api.clone(), call.method.clone());
    // An upload's time is its client's; everything else must answer in time (the bytes of a file, once they flow,
    // are the connection's business).
    let result = match call.upload.is_some() {
        true => dispatch(&app, call).await,
        false => tokio::time::timeout(answer_within, dispatch(&app, call))
            .await
            .unwrap_or_else(|_| Err(ApiError::internal(format!("no answer within {} s", answer_within.as_secs())))),
    };
    if let Err(e) = &result {
        match e.is_client_error() {
            true => tracing::debug!(api, method, code = e.code(), "{e}"),
            false => tracing::error!(api, method, code = e.code(), "{e}"),
        }
    }
    envelope(result)
}

fn envelope(result: Result<Reply, ApiError>) -> Response<Body> {
    match result {
        Ok(Reply::Data(data)) => body::json(&json!({ "success": true, "data": data })),
        Ok(Reply::Serialized(data)) => {
            let mut bytes = Vec::with_capacity(data.len() + 32);
            bytes.extend_from_slice(br#"{"success":true,"data":"#);
            bytes.extend_from_slice(&data);
            bytes.push(b'}');
            body::json_bytes(bytes)
        }
        Ok(Reply::Done) => body::json(&json!({ "success": true })),
        Ok(Reply::Response(response)) => response,
        Err(e) => body::json(&json!({ "success": false, "error": { "code": e.code() } })),
    }
}

async fn dispatch(app: &Arc<App>, mut call: Call) -> Result<Reply, ApiError> {
    if call.api.is_empty() || call.method.is_empty() || call.version == 0 {
        return Err(ApiError::MissingApi);
    }
    // Not in DSM's Photos catalogue but served by every DSM, for clients that encrypt the login form.
    if call.api == "SYNO.API.Encryption" {
        return auth::encryption(app, &call).await;
    }
    let def = catalog::check(&call.api, call.version, &call.method)?;
    match call.api.as_str() {
        "SYNO.API.Info" => return Ok(Reply::Data(catalog::info(&call.params.str("query").unwrap_or("all".into())))),
        "SYNO.API.Auth" => return auth::handle(app, &mut call).await,
        "SYNO.API.Auth.UIConfig" => return auth::ui_config(app, &call).await,
        "SYNO.Core.Sharing.Login" => return sharing::login(app, &call).await,
        _ => {}
    }
    if def.auth_level == 0 {
        return Err(ApiError::NoSuchMethod);
    }
    let principal = principal(app, &call, def).await?;
    if call.api == "SYNO.DSM.Info" {
        return Ok(Reply::Data(misc::dsm_info()));
    }
    let family = call.api.split('.').nth(1).unwrap_or_default().to_string();
    let name = api_name(&call.api).to_string();
    let scope = match family.as_str() {
        // The Shared Space's settings, under the Personal family's name.
        "Foto" if name == "Setting.TeamSpace" => scope::Scope::Shared,
        "Foto" => scope::Scope::Personal,
        "FotoTeam" => scope::Scope::Shared,
        _ => return Err(ApiError::NoSuchApi),
    };
    let ctx = Ctx { app: app.clone(), principal, scope, access: Default::default() };
    match name.as_str() {
        "UserInfo" => misc::user_info(&ctx, &call).await,
        "Browse.Folder" => folder::handle(&ctx, &mut call).await,
        "Browse.Item" => item::handle(&ctx, &mut call).await,
        "Browse.Album" | "Browse.NormalAlbum" => album::handle(&ctx, &call).await,
        "Browse.ConditionAlbum" => condition_album::handle(&ctx, &call).await,
        "Thumbnail" => thumbnail::get(&ctx, &call).await,
        "Browse.Timeline" | "Search.Search" if call.method == "get_geocoding" => {
            geocoding::list(&ctx, &call, &ctx.space().await?).await
        }
        "Browse.Timeline" => browse::timeline(&ctx, &call).await,
        "Browse.RecentlyAdded" => browse::recently_added(&ctx, &call).await,
        "Browse.GeneralTag" => browse::general_tag(&ctx, &call).await,
        "Browse.Person" => person::handle(&ctx, &call).await,
        "Browse.Concept" => concept::handle(&ctx, &call).await,
        "Browse.Geocoding" => geocoding::handle(&ctx, &call).await,
        "Map" if call.api.starts_with("PHOTOSD.") => map::handle(&ctx, &call).await,
        "Setting.User" | "Setting.TeamSpace" | "Setting.Admin" => setting::handle(&ctx, &call).await,
        "Index" => browse::index(&ctx, &call).await,
        "BackgroundTask.Info" => browse::background_tasks(&ctx, &call).await,
        "Search.Filter" | "Search.Search" => search::handle(&ctx, &call).await,
        "Download" => download::download(&ctx, &call).await,
        "Upload.Item" => upload::handle(&ctx, &mut call).await,
        "Streaming" => download::streaming(&ctx, &call).await,
        "Sharing.FolderPermission" => folder_permission::folder_permission(&ctx, &call).await,
        "Sharing.Misc" if call.method == "list_user_group" => folder_permission::list_user_group(&ctx, &call).await,
        "Sharing.Misc" => album::shared_with_me(&ctx, &call).await,
        "Sharing.Passphrase" => sharing::passphrase(&ctx, &call).await,
        "PhotoRequest" => sharing::photo_request(&ctx, &call).await,
        "Upload.PhotoRequestItem" => upload::handle(&ctx, &mut call).await,
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// Who makes a call, decided once here for every handler. A call that names a share link (the `X-SYNO-SHARING`
/// header, `sharing_id` / `_sharing_id`, or for reads a `passphrase`), or comes with only a sharing cookie, to a
/// method the catalogue lets links call, is the link's holder's: signed in or not, it reaches only what the link
/// shares. Anything else needs a session (and, to change something, its SynoToken). A link's holder calling a
/// method links may not call gets 642, as if what they asked for did not exist.
async fn principal(app: &Arc<App>, call: &Call, def: &catalog::ApiDef) -> Result<Principal, ApiError> {
    let named = named_link(&call.params, &call.headers, &call.api);
    let share_sid = cookie(&call.headers, SHARING_COOKIE);
    let session = match &call.sid {
        Some(sid) => Some(crate::service::auth::caller(app, sid).await),
        None => None,
    };
    let user = match session {
        Some(Ok(caller)) => Some(caller),
        // A stale session beside a link (a browser that once signed in) does not stop the link.
        Some(Err(_)) if named.is_some() => None,
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    let by_link = named.is_some() || (user.is_none() && share_sid.is_some());
    let for_links = def.allows_link(call.version, &call.method) || invitee_method(&call.api, &call.method);
    if by_link && for_links {
        // Changing something for a session user still needs their token; a holder without one names the link.
        if changes_something(&call.method) {
            match &user {
                Some(caller) if !carries_token(call, caller) => return Err(Error::NoSession.into()),
                None if named.is_none() => return Err(Error::NotFound("share link".into()).into()),
                _ => {}
            }
        }
        let holder = crate::service::sharing::Holder {
            passphrase: named.as_deref(),
            share_sid: share_sid.as_deref(),
            user: user.as_ref().map(|c| &c.user),
            ip: call.client.ip,
        };
        return Ok(Principal::Link(Box::new(crate::service::sharing::grant(&app.db, &app.config, holder).await?)));
    }
    match user {
        Some(caller) if changes_something(&call.method) && !carries_token(call, &caller) => {
            Err(Error::NoSession.into())
        }
        Some(caller) => Ok(Principal::User(caller.user)),
        None if by_link => Err(Error::NotFound("not shared".into()).into()),
        None => Err(Error::NoSession.into()),
    }
}

/// What an invitee may do through a shared album beyond what the catalogue lets any link do: a manager renames it
/// and takes photos out of it (their role is checked by the handler, through `SpaceAccess::shared_album`).
fn invitee_method(api: &str, method: &str) -> bool {
    matches!((api_name(api), method), ("Browse.Album", "set_name") | ("Browse.NormalAlbum", "delete_item"))
}

/// The share link a call names: the `X-SYNO-SHARING` header, `sharing_id` / `_sharing_id`, or `passphrase` on
/// the reading calls that take one (not on `Sharing.Passphrase` and `PhotoRequest`, where it names the link to
/// manage).
fn named_link(params: &Params, headers: &HeaderMap, api: &str) -> Option<String> {
    let param = |name: &str| params.opt_str(name).ok().flatten().filter(|v| !v.is_empty());
    let managing = matches!(api_name(api), "Sharing.Passphrase" | "PhotoRequest");
    sharing_header(headers).or_else(|| param("_sharing_id")).or_else(|| param("sharing_id")).or_else(|| {
        if managing {
            None
        } else {
            param("passphrase")
        }
    })
}

/// An API's name within its family: `Browse.Item` of `SYNO.FotoTeam.Browse.Item`.
fn api_name(api: &str) -> &str {
    api.splitn(3, '.').nth(2).unwrap_or_default()
}

fn sharing_header(headers: &HeaderMap) -> Option<String> {
    headers.get("x-syno-sharing").and_then(|v| v.to_str().ok()).map(str::to_string).filter(|v| !v.is_empty())
}

/// What every handler gets: the app, who calls, and which space family the API addresses.
pub struct Ctx {
    pub app: Arc<App>,
    pub principal: Principal,
    pub scope: scope::Scope,
    /// What the caller may do in the space of this call, once looked up (`Ctx::access`).
    access: tokio::sync::OnceCell<Arc<crate::service::access::SpaceAccess>>,
}

impl Ctx {
    /// The signed-in user making the call; a share link's holder is none (not found).
    pub fn user(&self) -> Result<&User, ApiError> {
        match &self.principal {
            Principal::User(user) => Ok(user),
            Principal::Link(_) => Err(ApiError::not_found("a share link's holder")),
        }
    }

    /// Who calls, for log lines.
    pub fn who(&self) -> String {
        match &self.principal {
            Principal::User(user) => user.name.clone(),
            Principal::Link(grant) => format!("link {}", grant.link.id),
        }
    }
}

/// Reads have names like list, get, count, get_exif, list_parents, suggest; everything else changes state.
fn changes_something(method: &str) -> bool {
    let reads = ["list", "get", "count", "me", "query", "suggest", "download", "streaming", "backup_check", "getinfo"];
    !(reads.contains(&method) || ["list_", "get_", "count_"].iter().any(|p| method.starts_with(p)))
}

pub(super) fn carries_token(call: &Call, caller: &Caller) -> bool {
    let header = call.headers.get("x-syno-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let param = call.params.opt_str("SynoToken").ok().flatten();
    header.or(param).is_some_and(|t| constant_time_eq(t.as_bytes(), caller.syno_token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session a request's cookies name: photosd's own cookie, else `id`, which clients written for Synology Photos
/// send by hand (synology-api does) because DSM's session is the Photos one. DSM's own `id` in a browser never
/// shadows photosd's cookie, which comes first.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).or_else(|| cookie(headers, "id"))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

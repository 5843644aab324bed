//! `SYNO.Foto.Thumbnail get` / `SYNO.FotoTeam.Thumbnail get`: the JPEG of one size of an item, with a strong
//! ETag (304 when the client has it) and, when the request names the current `cache_key`, a year-long private
//! cache lifetime. A thumbnail still being made answers 642 like DSM; the UI shows a placeholder and asks again.

use hyper::{header, Response, StatusCode};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::http::body;
use crate::service::thumbs::{thumbnail, Thumbnail, SIZES};

pub async fn get(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if call.method != "get" {
        return Err(ApiError::NoSuchMethod);
    }
    let p = &call.params;
    let space = ctx.space().await?;
    let item = ctx.access(&space).await?.item(p.int("id")?).await?;
    let size = p.opt_str("size")?.unwrap_or_else(|| "sm".into());
    if !SIZES.iter().any(|(name, _)| *name == size) {
        return Err(ApiError::missing("size"));
    }
    let (data_dir, id, wanted) = (ctx.app.config.storage.data_dir.clone(), item.id, size.clone());
    let found = ctx.app.db.call(move |db| thumbnail(db, &data_dir, id, &wanted)).await?;
    let (path, etag) = match found {
        Some(Thumbnail::Ready { path, etag }) => (path, etag),
        Some(Thumbnail::Broken { .. }) | Some(Thumbnail::NotReady) | None => return Err(ApiError::NotReady),
    };
    let fresh = p.opt_str("cache_key")?.is_some_and(|k| k == super::item_json::cache_key(&item));
    let cache = if fresh { "private, max-age=31536000, immutable" } else { "private, no-cache" };
    let if_none_match = call.headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let mut response = if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        let mut r = Response::new(body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let file = tokio::fs::File::open(&path).await?;
        let len = file.metadata().await?.len();
        let mut r = Response::new(body::file_range(file, 0, len));
        r.headers_mut().insert(header::CONTENT_LENGTH, len.into());
        r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("image/jpeg"));
        r
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache));
    if let Ok(value) = header::HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(Reply::Response(response))
}

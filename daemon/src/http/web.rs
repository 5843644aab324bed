//! The web portal at `/photo/`: the Svelte app built by `build.rs`, embedded in the binary. Hashed assets are
//! cached for a year; the page itself is never cached, and any other path under `/photo/` answers with it, so
//! that deep links survive a reload. Assets go out gzipped to browsers that take it, compressed once.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

use super::body::{self, Body};

#[derive(rust_embed::RustEmbed)]
#[folder = "$OUT_DIR/web"]
struct Portal;

/// What the page may load: itself, the API, thumbnails and videos from the same origin, and images the app makes
/// (`blob:` previews of uploads). Inline styles are allowed for Svelte's transitions and the grid's positions.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'";

/// Answers a GET for `path`, the part after `/photo/` (empty for the page itself).
pub fn serve(path: &str, headers: &HeaderMap) -> Response<Body> {
    let (name, immutable) = match path.strip_prefix("assets/") {
        Some(_) => (path, true),
        // Everything else is the page: the app routes it.
        None => ("index.html", false),
    };
    let Some(file) = Portal::get(name) else {
        return body::status(StatusCode::NOT_FOUND, "not found");
    };
    let gzip = accepts_gzip(headers) && compressible(name);
    let bytes = match gzip {
        true => gzipped(name, &file.data),
        false => Bytes::from(file.data.into_owned()),
    };
    let mut response = Response::new(body::full(bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(name)));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if immutable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    }
    response
}

/// `/photo` → `/photo/`, and the server root to the portal.
pub fn redirect_to_portal() -> Response<Body> {
    let mut response = body::status(StatusCode::MOVED_PERMANENTLY, "");
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/photo/"));
    response
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "gzip"))
}

fn compressible(name: &str) -> bool {
    [".js", ".css", ".html", ".svg", ".json"].iter().any(|ext| name.ends_with(ext))
}

/// Each asset is compressed the first time a browser asks for it, then kept (they are a few hundred KB in all).
fn gzipped(name: &str, data: &[u8]) -> Bytes {
    static CACHE: OnceLock<Mutex<HashMap<String, Bytes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
        return found.clone();
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = encoder.write_all(data).and_then(|()| encoder.finish()).map(Bytes::from).unwrap_or_default();
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_string(), compressed.clone());
    compressed
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

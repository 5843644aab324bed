//! Response bodies: one boxed body type for JSON, small texts, and files streamed from disk in chunks.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{header, Response, StatusCode};

pub type Body = BoxBody<Bytes, std::io::Error>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

/// A plain-text answer with a status, for requests that are not API calls at all.
pub fn status(code: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(text));
    *response.status_mut() = code;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

pub fn json(value: &serde_json::Value) -> Response<Body> {
    json_bytes(serde_json::to_vec(value).unwrap_or_default())
}

/// A response of JSON already serialised.
pub fn json_bytes(bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

/// `len` bytes of an open file from `offset`, read in 64 KiB chunks as the client takes them.
pub fn file_range(file: tokio::fs::File, offset: u64, len: u64) -> Body {
    use futures_util::TryStreamExt;
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let stream = futures_util::stream::once(async move {
        let mut file = file;
        file.seek(std::io::SeekFrom::Start(offset)).await?;
        Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(file.take(len), 64 * 1024))
    })
    .try_flatten()
    .map_ok(Frame::data);
    StreamBody::new(stream).boxed()
}

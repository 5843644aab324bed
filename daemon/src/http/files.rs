//! Files as HTTP responses: an original, a transcode or a thumbnail, with `Range` support (one range; seeking
//! in a video player works), `Content-Disposition` for downloads, and 416 for a range past the end.

use http_range_header::{parse_range_header, RangeUnsatisfiableError};
use hyper::{header, HeaderMap, Response, StatusCode};

use super::body::{self, Body};

pub struct FileResponse<'a> {
    pub file: tokio::fs::File,
    pub content_type: &'a str,
    /// Offer it as a download under this name (else the browser may show it inline).
    pub download_name: Option<&'a str>,
}

pub async fn serve(file: FileResponse<'_>, request_headers: &HeaderMap) -> std::io::Result<Response<Body>> {
    let size = file.file.metadata().await?.len();
    let range = request_headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|h| parse_range_header(h).and_then(|ranges| ranges.validate(size)));
    let mut response = match range {
        Some(Ok(ranges)) if ranges.len() == 1 => {
            let (start, end) = (*ranges[0].start(), *ranges[0].end());
            let mut r = Response::new(body::file_range(file.file, start, end - start + 1));
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            r.headers_mut().insert(header::CONTENT_LENGTH, (end - start + 1).into());
            insert(r.headers_mut(), header::CONTENT_RANGE, &format!("bytes {start}-{end}/{size}"));
            r
        }
        Some(Err(RangeUnsatisfiableError::Unsatisfiable)) => {
            let mut r = Response::new(body::empty());
            *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            insert(r.headers_mut(), header::CONTENT_RANGE, &format!("bytes */{size}"));
            return Ok(r);
        }
        // No range, a malformed one, or several: the whole file, as RFC 9110 allows.
        _ => {
            let mut r = Response::new(body::file_range(file.file, 0, size));
            r.headers_mut().insert(header::CONTENT_LENGTH, size.into());
            r
        }
    };
    let headers = response.headers_mut();
    insert(headers, header::CONTENT_TYPE, file.content_type);
    insert(headers, header::ACCEPT_RANGES, "bytes");
    if let Some(name) = file.download_name {
        insert(headers, header::CONTENT_DISPOSITION, &attachment(name));
    }
    Ok(response)
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback for old clients, the real name for the rest.
pub fn attachment(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = header::HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_survive_any_characters() {
        assert_eq!(
            super::attachment("Été \"2024\".jpg"),
            "attachment; filename=\"_t_ _2024_.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%20%222024%22.jpg"
        );
    }
}

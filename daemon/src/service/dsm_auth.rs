//! Password checks by DSM itself (`[auth] backend = "dsm"`). On a Synology NAS photosd runs as its package user,
//! and PAM's `unix_chkpwd` checks no one's password but the caller's own; DSM's web API on loopback can, and
//! brings DSM's account rules and 2-step verification with it. The DSM session it opens is closed at once:
//! photosd keeps sessions of its own, so signing out of DSM does not sign a user out of Photos, or the reverse.

use http_body_util::{BodyExt, Full, Limited};
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::domain::Error;

/// DSM answers a login within a second; a DSM that does not is treated as down, not waited on.
const DSM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// The session name photosd logs in with, as the apps of DSM name theirs (FileStation, DownloadStation...).
const SESSION_NAME: &str = "photosd";

/// Checks `account`'s password (and 2-step code, when given) with DSM's `SYNO.API.Auth` at `url`
/// (`http://127.0.0.1:5000/webapi/entry.cgi`). The error is the one DSM gave, in Synology's codes.
pub async fn check(url: &str, account: &str, password: &str, otp_code: Option<&str>) -> Result<(), Error> {
    let mut form = vec![
        ("api", "SYNO.API.Auth"),
        ("version", "6"),
        ("method", "login"),
        ("account", account),
        ("passwd", password),
        ("session", SESSION_NAME),
        ("format", "sid"),
    ];
    if let Some(code) = otp_code {
        form.push(("otp_code", code));
    }
    let answer = post(url, &form).await?;
    if answer["success"].as_bool() == Some(true) {
        if let Some(sid) = answer["data"]["sid"].as_str() {
            let logout = [
                ("api", "SYNO.API.Auth"),
                ("version", "6"),
                ("method", "logout"),
                ("session", SESSION_NAME),
                ("_sid", sid),
            ];
            if let Err(e) = post(url, &logout).await {
                tracing::debug!("closing the DSM session failed: {e}");
            }
        }
        return Ok(());
    }
    Err(match answer["error"]["code"].as_i64() {
        Some(400) => Error::BadCredentials,
        // Disabled, expired or must-change passwords: DSM's own pages deal with those, Photos cannot.
        Some(401 | 408 | 409 | 410) => Error::AccountDisabled,
        Some(402) => Error::NoAppPermission,
        Some(403) => Error::OtpRequired,
        Some(406) => Error::OtpEnforced,
        Some(404) => Error::OtpFailed,
        Some(407) => Error::Blocked,
        other => Error::Internal(format!("DSM refused the login with {other:?}: {answer}")),
    })
}

async fn post(url: &str, form: &[(&str, &str)]) -> Result<Value, Error> {
    let down = |e: &dyn std::fmt::Display| Error::Internal(format!("DSM's login at {url}: {e}"));
    let target: hyper::Uri = url.parse().map_err(|e| down(&e))?;
    let authority = target.authority().ok_or_else(|| down(&"no host in the URL"))?.clone();
    let address = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header(header::HOST, authority.as_str())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| down(&e))?;
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(&address).await.map_err(|e| down(&e))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| down(&e))?;
        tokio::spawn(connection);
        let response = sender.send_request(request).await.map_err(|e| down(&e))?;
        if !response.status().is_success() {
            // A redirect is DSM's "HTTP to HTTPS" setting: auth.dsm_url must name DSM's plain loopback port.
            return Err(down(&format!(
                "HTTP {} (Location: {:?})",
                response.status(),
                response.headers().get(header::LOCATION)
            )));
        }
        let bytes = Limited::new(response.into_body(), 64 * 1024).collect().await.map_err(|e| down(&e))?.to_bytes();
        serde_json::from_slice::<Value>(&bytes).map_err(|e| down(&e))
    };
    tokio::time::timeout(DSM_TIMEOUT, exchange).await.map_err(|_| down(&"no answer in time"))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server that answers every request with `status` and `body`, as DSM's web server would.
    async fn answering(status: &'static str, body: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webapi/entry.cgi", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0u8; 4096];
                let _ = socket.read(&mut request).await;
                let answer =
                    format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn dsm_answers_become_the_same_errors() {
        // (The API turns each into the code DSM gave: 400, 403, 404, 406, 407, 401 and 100.)
        let cases = [
            (r#"{"success":false,"error":{"code":400}}"#, "BadCredentials"),
            (r#"{"success":false,"error":{"code":403}}"#, "OtpRequired"),
            (r#"{"success":false,"error":{"code":404}}"#, "OtpFailed"),
            (r#"{"success":false,"error":{"code":406}}"#, "OtpEnforced"),
            (r#"{"success":false,"error":{"code":407}}"#, "Blocked"),
            (r#"{"success":false,"error":{"code":409}}"#, "AccountDisabled"),
            ("<html>not DSM</html>", "Internal"),
        ];
        for (body, kind) in cases {
            let url = answering("200 OK", body).await;
            let error = check(&url, "alice", "pw", None).await.unwrap_err();
            assert!(format!("{error:?}").starts_with(kind), "{body}: {error:?}");
        }
        let url = answering("200 OK", r#"{"success":true,"data":{"sid":"abc"}}"#).await;
        assert!(check(&url, "alice", "pw", Some("123456")).await.is_ok());
        // DSM set to send plain HTTP to HTTPS: said so, not mistaken for a wrong password.
        let url = answering("301 Moved Permanently", "").await;
        let error = check(&url, "alice", "pw", None).await.unwrap_err();
        assert!(matches!(&error, Error::Internal(m) if m.contains("301")), "{error}");
    }
}

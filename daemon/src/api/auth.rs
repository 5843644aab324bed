//! `SYNO.API.Auth` (login, logout, token), with the two steps DSM 7 clients take before logging in:
//! `SYNO.API.Auth.UIConfig` (a key for the Noise handshake, which photosd does not need but clients insist on)
//! and `SYNO.API.Encryption` (an RSA key, so a client on plain HTTP can send the password encrypted).

use std::sync::Arc;

use hyper::header;
use serde_json::json;

use super::error::ApiError;
use super::{Call, Reply};
use crate::app::App;
use crate::domain::Error;
use crate::http::body;

pub async fn handle(app: &Arc<App>, call: &mut Call) -> Result<Reply, ApiError> {
    match call.method.as_str() {
        "login" => login(app, call).await,
        // Some clients log out without saying which session (synology-api does): that is not an error.
        "logout" => logout(app, call).await,
        "token" | "synotoken" => {
            let caller = crate::service::auth::caller(app, call.sid.as_deref().ok_or(Error::NoSession)?).await?;
            Ok(Reply::Data(json!({ "synotoken": caller.syno_token })))
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

async fn login(app: &Arc<App>, call: &mut Call) -> Result<Reply, ApiError> {
    let ip = call.client.ip;
    // A blocked address gets no RSA decryption, which costs CPU.
    if app.login_guard.is_blocked(ip, "") {
        return Err(Error::Blocked.into());
    }
    // An encrypted login form carries its fields inside one parameter named by the encryption key.
    let sealed = call.params.raw(crate::service::login_crypto::CIPHER_KEY).map(str::to_string);
    let decrypted = match sealed {
        Some(sealed) => crate::service::login_crypto::decrypt_form(&app.login_keys, &sealed).await.map(Some),
        None => Ok(None),
    };
    // The decrypted fields are merged over the plain ones.
    let fields = match decrypted {
        Ok(Some(decrypted)) => {
            let mut merged = call.params.clone();
            for (k, v) in decrypted {
                merged.insert(&k, v);
            }
            merged
        }
        Ok(None) => call.params.clone(),
        Err(reason) => {
            app.login_guard.attempt(ip, "");
            tracing::warn!(%ip, "login refused: {reason}");
            return Err(Error::BadCredentials.into());
        }
    };
    let account = fields.str("account")?;
    let password = fields.str("passwd")?;
    let otp_code = fields.opt_str("otp_code")?.filter(|c| !c.is_empty());
    let session = crate::service::auth::login(app, &account, &password, otp_code.as_deref(), ip).await?;
    let mut data = json!({
        "account": account,
        "sid": session.sid,
        "synotoken": session.caller.syno_token,
        "is_portal_port": false,
    });
    // No `ik_message`: photosd does not complete the Noise handshake, and an empty one makes clients try.
    // Versions before 7 called the device id `did`; a device token is only issued on request.
    if fields.flag("enable_device_token", false).unwrap_or(false) {
        data[if call.version >= 7 { "device_id" } else { "did" }] = json!(crate::service::random_token(16));
    }
    let mut response = body::json(&json!({ "success": true, "data": data }));
    let secure = if call.client.https { "; Secure" } else { "" };
    let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Lax{secure}", super::SESSION_COOKIE, session.sid);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(Reply::Response(response))
}

/// Ends the session named by `_sid`, or by the cookie together with its SynoToken: a cookie alone is what any
/// other site's page sends with a link to this one, and must not end the session (119). The cookie is cleared.
async fn logout(app: &Arc<App>, call: &Call) -> Result<Reply, ApiError> {
    if let Some(sid) = &call.sid {
        if !call.params.has("_sid") {
            let caller = crate::service::auth::caller(app, sid).await?;
            if !super::carries_token(call, &caller) {
                return Err(Error::NoSession.into());
            }
        }
        crate::service::auth::logout(app, sid).await?;
    }
    let mut response = body::json(&json!({ "success": true }));
    let secure = if call.client.https { "; Secure" } else { "" };
    let cleared = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", super::SESSION_COOKIE);
    if let Ok(value) = header::HeaderValue::from_str(&cleared) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(Reply::Response(response))
}

/// `SYNO.API.Auth.UIConfig get`: DSM 7 answers with an `_SSID` cookie holding the server's static X25519 key
/// for the Noise handshake that clients may add to the login; photosd does not take part in it (the login
/// answer carries no `ik_message`), so clients fall back to plain requests, as they do on DSM 6.
pub async fn ui_config(app: &Arc<App>, _call: &Call) -> Result<Reply, ApiError> {
    let mut response = body::json(&json!({ "success": true, "data": {} }));
    let cookie = format!("_SSID={}; Path=/", app.login_keys.noise_public_b64url());
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(Reply::Response(response))
}

/// `SYNO.API.Encryption getinfo`: the RSA public key and the names of the form fields an encrypted login uses.
pub async fn encryption(app: &Arc<App>, call: &Call) -> Result<Reply, ApiError> {
    if call.method != "getinfo" {
        return Err(ApiError::NoSuchMethod);
    }
    let keys = app.login_keys.clone();
    let modulus = tokio::task::spawn_blocking(move || keys.rsa_modulus_hex())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)?;
    Ok(Reply::Data(json!({
        "cipherkey": crate::service::login_crypto::CIPHER_KEY,
        "ciphertoken": crate::service::login_crypto::CIPHER_TOKEN,
        "public_key": modulus,
        "server_time": crate::db::now(),
    })))
}

//! Logins and sessions: a password is checked through PAM against the machine's users (or by DSM, on a NAS:
//! `service::dsm_auth`), behind the login rate limit; a session is a random id (cookie `id` or `_sid`) plus a SynoToken that every call changing
//! something must carry. The Photos app privilege (`spaces.allowed_group`) is checked at login and on each call.

use std::net::IpAddr;
use std::sync::Arc;

use super::principal::User;
use crate::app::App;
use crate::config::PasswordBackend;
use crate::db::SessionLookup;
use crate::domain::Error;

/// The logged-in user a request comes from, and the session's token against cross-site requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: User,
    pub syno_token: String,
}

pub struct NewSession {
    pub sid: String,
    pub caller: Caller,
}

/// Checks the password and opens a session.
pub async fn login(
    app: &Arc<App>,
    account: &str,
    password: &str,
    otp_code: Option<&str>,
    ip: IpAddr,
) -> Result<NewSession, Error> {
    if account.is_empty() || password.is_empty() || account.len() > 256 || password.len() > 1024 {
        return Err(Error::BadCredentials);
    }
    if !app.login_guard.attempt(ip, account) {
        tracing::warn!(%ip, account, "login refused: blocked after repeated failures");
        return Err(Error::Blocked);
    }
    // Who may use Photos is known before any password is checked: an account that may not gets 402 whatever its
    // password, so the answer never tells a right password of a system account (root) from a wrong one.
    let user = uzers::get_user_by_name(account);
    if user.as_ref().is_some_and(|u| !crate::spaces::may_use_photos(&app.config.spaces, u)) {
        tracing::warn!(%ip, account, "login refused: not allowed to use Photos");
        return Err(Error::NoAppPermission);
    }
    // pam_unix holds a thread ~2 s on a wrong password: a handful at a time, so a flood cannot take them all.
    let _slot = app.pam_slots.acquire().await.map_err(|e| Error::Internal(e.to_string()))?;
    let checked = match app.config.auth.backend {
        PasswordBackend::Pam => {
            let (service, user, pass, host) =
                (app.config.auth.pam_service.clone(), account.to_string(), password.to_string(), ip.to_string());
            tokio::task::spawn_blocking(move || pam_check(&service, &user, &pass, &host))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
        }
        PasswordBackend::Dsm => super::dsm_auth::check(&app.config.auth.dsm_url, account, password, otp_code).await,
    };
    if let Err(e) = checked {
        // Asking for the 2-step code is not a failure (the client asks the user and tries again), and neither is
        // a password checker that is down: nobody guessed anything.
        if matches!(e, Error::OtpRequired | Error::Internal(_)) {
            app.login_guard.not_counted(ip, account);
        }
        tracing::warn!(%ip, account, "login failed: {e}");
        return Err(e);
    }
    // A password checker that knows an account the system does not (DSM's directory users) is not enough.
    let user = user.ok_or(Error::BadCredentials)?;
    app.login_guard.succeeded(ip, account);
    // The session is the account's as the system names it, whatever spelling the password checker accepted.
    let name = user.name().to_string_lossy().into_owned();
    if name != account {
        tracing::warn!(%ip, account, "login refused: the account is named {name} on this system");
        return Err(Error::BadCredentials);
    }
    let caller =
        Caller { user: User::from_system(&user, &app.config.auth.admin_group), syno_token: super::random_token(12) };
    let sid = super::random_token(24);
    let credential = crate::ffi::credential_stamp(&caller.user.name);
    let (s, c, ip_text) = (sid.clone(), caller.clone(), ip.to_string());
    app.db
        .call(move |db| {
            db.create_session(&s, &c.syno_token, (c.user.uid, &c.user.name), &ip_text, credential.as_deref())
        })
        .await?;
    tracing::info!(%ip, account, "logged in");
    Ok(NewSession { sid, caller })
}

/// The caller of a request carrying session `sid`: 119 for an unknown session, 106 for an expired one, 105 when
/// the user has lost the Photos privilege since logging in. A session whose account has had its password changed,
/// or was locked or expired, since the login is ended (119).
pub async fn caller(app: &Arc<App>, sid: &str) -> Result<Caller, Error> {
    let idle = app.config.auth.session_idle_minutes * 60;
    let max_age = app.config.auth.session_max_days * 86_400;
    let (sid, sid_for_removal) = (sid.to_string(), sid.to_string());
    let session = match app.db.call(move |db| db.session(&sid, idle, max_age)).await? {
        SessionLookup::Valid(s) => s,
        SessionLookup::Expired => return Err(Error::SessionTimeout),
        SessionLookup::Unknown => return Err(Error::NoSession),
    };
    if session.credential.is_some() && crate::ffi::credential_stamp(&session.user_name) != session.credential {
        let sid = sid_for_removal;
        app.db.call(move |db| db.delete_session(&sid)).await?;
        tracing::info!(account = session.user_name, "session ended: the account's password changed, or it was locked");
        return Err(Error::NoSession);
    }
    let user = uzers::get_user_by_uid(session.uid).ok_or(Error::Forbidden)?;
    if !crate::spaces::may_use_photos(&app.config.spaces, &user) {
        return Err(Error::Forbidden);
    }
    Ok(Caller {
        // Named as at login: a Personal Space is found by that name.
        user: User { name: session.user_name, ..User::from_system(&user, &app.config.auth.admin_group) },
        syno_token: session.syno_token,
    })
}

pub async fn logout(app: &Arc<App>, sid: &str) -> Result<(), Error> {
    let sid = sid.to_string();
    app.db.call(move |db| db.delete_session(&sid)).await?;
    Ok(())
}

/// Blocking (pam_unix may sleep seconds on a failure): run on the blocking pool.
fn pam_check(service: &str, user: &str, password: &str, rhost: &str) -> Result<(), Error> {
    use pam_client2::{conv_mock::Conversation, Context, ErrorCode, Flag};
    let mut context = Context::new(service, Some(user), Conversation::with_credentials(user, password))
        .map_err(|e| Error::Internal(format!("PAM service {service}: {e}")))?;
    let _ = context.set_rhost(Some(rhost));
    let verdict =
        context.authenticate(Flag::SILENT | Flag::DISALLOW_NULL_AUTHTOK).and_then(|()| context.acct_mgmt(Flag::SILENT));
    match verdict {
        // A module may rewrite the user name: the session must belong to the account that was checked.
        Ok(()) if context.user().ok().as_deref() == Some(user) => Ok(()),
        Ok(()) => Err(Error::BadCredentials),
        Err(e) => Err(match e.code() {
            ErrorCode::ACCT_EXPIRED | ErrorCode::NEW_AUTHTOK_REQD | ErrorCode::PERM_DENIED => Error::AccountDisabled,
            ErrorCode::AUTH_ERR | ErrorCode::USER_UNKNOWN | ErrorCode::MAXTRIES | ErrorCode::CRED_INSUFFICIENT => {
                Error::BadCredentials
            }
            _ => Error::Internal(format!("PAM: {e}")),
        }),
    }
}

//! `Error`: the ways a request to the service layer can fail, in the service's own words. The API maps each to its
//! Synology code in one place (`api::error`); other callers (the CLI, the jobs) log them. The message is for the
//! log only: an error never tells a caller that something it may not see exists.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found, or no access: {0}")]
    NotFound(String),
    #[error("already exists")]
    Exists,
    #[error("not allowed")]
    Forbidden,
    #[error("missing or invalid parameter `{0}`")]
    BadParameter(String),
    #[error("not logged in")]
    NoSession,
    #[error("session expired")]
    SessionTimeout,
    #[error("wrong account or password")]
    BadCredentials,
    #[error("account disabled")]
    AccountDisabled,
    #[error("no permission to use Photos")]
    NoAppPermission,
    #[error("2-step verification code required")]
    OtpRequired,
    #[error("wrong 2-step verification code")]
    OtpFailed,
    #[error("the account must set up 2-step verification first")]
    OtpEnforced,
    #[error("too many failed logins; blocked for a while")]
    Blocked,
    #[error("{0}")]
    Internal(String),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("file system: {e}"))
    }
}

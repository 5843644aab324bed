//! `ApiError`: every way an API call can fail, each with its Synology error code, and the one mapping of the
//! service's errors (`domain::Error`) onto them. Handlers return it; `api::serve` turns it into the
//! `{"success":false,"error":{"code":N}}` envelope in one place. The message is for the log; the caller only ever
//! sees the code, so an error never reveals that something exists.

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("api, method or version missing")]
    MissingApi,
    #[error("no such API")]
    NoSuchApi,
    #[error("no such method")]
    NoSuchMethod,
    #[error("version not supported")]
    BadVersion,
    #[error("the session may not do this")]
    Forbidden,
    #[error("session expired")]
    SessionTimeout,
    #[error("missing or invalid parameter `{0}`")]
    BadParameter(String),
    #[error("not logged in")]
    NoSession,
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
    #[error("not found, or no access: {0}")]
    NotFound(String),
    #[error("not ready yet")]
    NotReady,
    #[error("already exists")]
    Exists,
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The Synology error code the client sees.
    pub fn code(&self) -> u32 {
        match self {
            ApiError::MissingApi => 101,
            ApiError::NoSuchApi => 102,
            ApiError::NoSuchMethod => 103,
            ApiError::BadVersion => 104,
            ApiError::Forbidden => 105,
            ApiError::SessionTimeout => 106,
            ApiError::BadParameter(_) => 114,
            ApiError::NoSession => 119,
            ApiError::BadCredentials => 400,
            ApiError::AccountDisabled => 401,
            ApiError::NoAppPermission => 402,
            ApiError::OtpRequired => 403,
            ApiError::OtpFailed => 404,
            ApiError::OtpEnforced => 406,
            ApiError::Blocked => 407,
            ApiError::NotFound(_) => 642,
            // Synology Photos answers a thumbnail that is still being made with "not found"; the UI retries.
            ApiError::NotReady => 642,
            ApiError::Exists => 641,
            ApiError::Internal(_) => 100,
        }
    }

    /// Whether the client caused it (logged at debug), or the server (logged as an error).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, ApiError::Internal(_))
    }

    pub fn missing(name: &str) -> ApiError {
        ApiError::BadParameter(name.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(format!("file system: {e}"))
    }
}

/// The service's errors, each to the `ApiError` of the same meaning (and so to its Synology code).
impl From<crate::domain::Error> for ApiError {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error;
        match e {
            Error::NotFound(what) => ApiError::NotFound(what),
            Error::Exists => ApiError::Exists,
            Error::Forbidden => ApiError::Forbidden,
            Error::BadParameter(name) => ApiError::BadParameter(name),
            Error::NoSession => ApiError::NoSession,
            Error::SessionTimeout => ApiError::SessionTimeout,
            Error::BadCredentials => ApiError::BadCredentials,
            Error::AccountDisabled => ApiError::AccountDisabled,
            Error::NoAppPermission => ApiError::NoAppPermission,
            Error::OtpRequired => ApiError::OtpRequired,
            Error::OtpFailed => ApiError::OtpFailed,
            Error::OtpEnforced => ApiError::OtpEnforced,
            Error::Blocked => ApiError::Blocked,
            Error::Internal(message) => ApiError::Internal(message),
        }
    }
}

//! `ApiError`: every way an API call can fail, each with its Synology error code. The protocol's own failures
//! (no such API, method or version) are its variants; everything the service layer can answer is a
//! `domain::Error`, carried as it is and mapped to its code here and nowhere else. Handlers return it;
//! `api::serve` turns it into the `{"success":false,"error":{"code":N}}` envelope in one place. The message is for
//! the log; the caller only ever sees the code, so an error never reveals that something exists.

use crate::db::DbError;
use crate::domain::Error;

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
    #[error("not ready yet")]
    NotReady,
    #[error(transparent)]
    Service(#[from] Error),
}

impl ApiError {
    /// The Synology error code the client sees.
    pub fn code(&self) -> u32 {
        match self {
            ApiError::MissingApi => 101,
            ApiError::NoSuchApi => 102,
            ApiError::NoSuchMethod => 103,
            ApiError::BadVersion => 104,
            // Synology Photos answers a thumbnail that is still being made with "not found"; the UI retries.
            ApiError::NotReady => 642,
            ApiError::Service(e) => match e {
                Error::Forbidden => 105,
                Error::SessionTimeout => 106,
                Error::BadParameter(_) => 114,
                Error::NoSession => 119,
                Error::BadCredentials => 400,
                Error::AccountDisabled => 401,
                Error::NoAppPermission => 402,
                Error::OtpRequired => 403,
                Error::OtpFailed => 404,
                Error::OtpEnforced => 406,
                Error::Blocked => 407,
                Error::NotFound(_) => 642,
                Error::Exists => 641,
                Error::Internal(_) => 100,
            },
        }
    }

    /// Whether the client caused it (logged at debug), or the server (logged as an error).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, ApiError::Service(Error::Internal(_)))
    }

    /// A parameter that is missing or has no valid value.
    pub fn missing(name: impl Into<String>) -> ApiError {
        Error::BadParameter(name.into()).into()
    }

    /// Something that does not exist, or that the caller may not see: the same answer for both.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        Error::NotFound(what.into()).into()
    }

    /// A failure of photosd's own, never the caller's.
    pub fn internal(message: impl Into<String>) -> ApiError {
        Error::Internal(message.into()).into()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        Error::from(e).into()
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Error::from(e).into()
    }
}

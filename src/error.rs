//! The one domain error type. `crate::api::error` maps it to HTTP once; internal causes go
//! to the log and never to the client.

use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parsed but breaks a rule: 422 `invalid_input` naming the field.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// No valid bearer token: 401.
    #[error("sign in first")]
    Unauthenticated,
    /// Wrong login or password: 401 `invalid_credentials` (never says which).
    #[error("wrong login or password")]
    InvalidCredentials,
    /// Too many failed logins: 429 `account_locked`.
    #[error("too many failed logins; try again in {retry_after_secs} seconds")]
    AccountLocked { retry_after_secs: u64 },
    /// Signed in but not allowed: 403.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404 with a code such as `user_not_found`.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// The request clashes with what is stored: 409.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    /// A dependency (database, live-session store) does not answer: 503, safe to retry.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// A question file with problems: 422 `import_invalid` listing every line at fault.
    #[error("the file has {} problem(s); nothing was imported", .0.len())]
    ImportInvalid(Vec<crate::domain::LineIssue>),
    /// A staff roster with problems: 422 `roster_invalid` listing every row at fault.
    #[error("the roster has {} problem(s); nobody was enrolled", .0.len())]
    RosterInvalid(Vec<crate::domain::LineIssue>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        AppError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(
        code: &'static str,
        field: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
            field,
        }
    }

    pub fn invalid(
        field: impl Into<std::borrow::Cow<'static, str>>,
        reason: impl Into<String>,
    ) -> Self {
        AppError::Invalid(Invalid::new(field, reason))
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable {
                    code: "database_unavailable",
                    message: "the database does not answer; try again shortly".into(),
                }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

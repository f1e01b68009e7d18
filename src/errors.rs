//! The one error mapping. Handlers and models return `AppError`; its
//! response carries the error in an extension, and `web::render_errors`
//! turns that into JSON (API) or a page (HTML) in the caller's language.
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use sea_orm::DbErr;
use std::sync::Arc;

pub use crate::domain::field_errors::FieldErrors;

impl FieldErrors {
    /// `Ok(value)` when no error was recorded.
    ///
    /// # Errors
    /// `AppError::Invalid` with the recorded errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, AppError> {
        if self.is_empty() {
            value().ok_or_else(|| AppError::Internal("parsed value missing".into()))
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside the caller's scope: the two look the same.
    #[error("not found")]
    NotFound,
    /// Not signed in, or the session was revoked.
    #[error("sign-in required")]
    Unauthorized,
    /// Wrong email or password.
    #[error("invalid credentials")]
    BadCredentials,
    #[error("too many failed sign-ins")]
    TooManyAttempts,
    /// Another limit on how often something may be done; the key says
    /// which.
    #[error("rate limited: {0}")]
    Limited(&'static str),
    /// A cross-site form post.
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// The change would make scheduling conflicts (listed); sending it
    /// again with `confirm` saves it anyway.
    #[error("scheduling conflicts")]
    Conflicts(serde_json::Value),
    /// Someone else changed the record first (the loser of a race); the
    /// message key says what to do.
    #[error("changed meanwhile: {0}")]
    Stale(&'static str),
    /// The request body is larger than the route accepts.
    #[error("request too large")]
    TooLarge,
    /// The database cannot be reached (or has no free connection): the
    /// service is down for a moment, the caller's session is not at fault.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A request the framework refused before any handler ran (a path
    /// that is not valid text, a method the route does not take, a body
    /// it could not read): its status, and our message key in place of
    /// the framework's English text.
    #[error("rejected ({0}): {1}")]
    Rejected(StatusCode, &'static str),
}

impl AppError {
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts | Self::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflicts(_) | Self::Stale(_) => StatusCode::CONFLICT,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Rejected(status, _) => *status,
        }
    }

    /// The Fluent message id describing the error as a whole.
    #[must_use]
    pub const fn message_key(&self) -> &'static str {
        match self {
            Self::NotFound => "error-not-found",
            Self::Unauthorized => "error-unauthorized",
            Self::BadCredentials => "error-bad-credentials",
            Self::TooManyAttempts => "error-too-many-attempts",
            Self::Forbidden => "error-forbidden",
            Self::Invalid(_) => "error-invalid",
            Self::Conflicts(_) => "error-conflicts",
            Self::Stale(key) | Self::Limited(key) | Self::Rejected(_, key) => key,
            Self::TooLarge => "error-too-large",
            Self::Unavailable(_) => "error-unavailable",
            Self::Internal(_) => "error-internal",
        }
    }

    #[must_use]
    pub fn field(field: &str, key: &str) -> Self {
        Self::Invalid(FieldErrors::one(field, key))
    }

    /// Our error for a response the framework made itself (an extractor's
    /// rejection, a method not allowed), by its status: its own text is
    /// English and names crate internals, so it never reaches anyone.
    #[must_use]
    pub const fn rejected(status: StatusCode) -> Self {
        let key = match status.as_u16() {
            404 => "error-not-found",
            405 => "error-method-not-allowed",
            413 => "error-too-large",
            415 => "error-bad-form",
            422 => "error-invalid",
            s if s >= 500 => "error-internal",
            _ => "error-bad-request",
        };
        Self::Rejected(status, key)
    }
}

/// The error as it travels from the handler to `web::render_errors`.
#[derive(Debug, Clone)]
pub struct ErrorExtension(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(detail) => tracing::error!(detail = %detail, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(detail = %detail, "database unavailable"),
            _ => {}
        }
        let status = self.status();
        let body = serde_json::json!({ "error": self.message_key() });
        let mut res = (status, axum::Json(body)).into_response();
        res.extensions_mut().insert(ErrorExtension(Arc::new(self)));
        res
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::RecordNotFound(_) => Self::NotFound,
            other if is_unavailable(&other) => Self::Unavailable(other.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl From<loco_rs::Error> for AppError {
    fn from(err: loco_rs::Error) -> Self {
        match err {
            loco_rs::Error::Model(loco_rs::model::ModelError::EntityNotFound) => Self::NotFound,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<loco_rs::model::ModelError> for AppError {
    fn from(err: loco_rs::model::ModelError) -> Self {
        match err {
            loco_rs::model::ModelError::EntityNotFound => Self::NotFound,
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// True when the database could not be reached or gave no connection in
/// time: the service is unavailable, nothing the caller sent is at fault.
/// Covers a pool that timed out or was closed, a connection that failed or
/// broke mid-query, a PostgreSQL server that is starting, stopping or out
/// of connections, and SQLite still busy after its busy timeout.
#[must_use]
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => sqlx_unavailable(e),
        other => {
            let text = other.to_string();
            [
                "pool timed out",
                "PoolTimedOut",
                "Connection refused",
                "connection refused",
            ]
            .iter()
            .any(|m| text.contains(m))
        }
    }
}

fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Io(_)
        | Error::Tls(_) => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
            {
                // SQLITE_BUSY (5) and its extended codes.
                code.parse::<i32>().is_ok_and(|c| c & 0xff == 5)
            } else {
                // PostgreSQL: connection exception (08), insufficient
                // resources (53: too many connections, disk full), admin or
                // crash shutdown, starting up (57P01-57P03).
                code.starts_with("08")
                    || code.starts_with("53")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
            }
        }
        _ => false,
    }
}

/// True when a database error is a UNIQUE violation (both backends).
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when a database error is a FOREIGN KEY violation (both backends).
#[must_use]
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
    )
}

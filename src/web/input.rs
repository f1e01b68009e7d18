//! Extractors whose rejections are 422 field errors instead of axum's bare
//! 400/415 texts, and a lenient field deserializer for "string or number".
use crate::errors::{AppError, FieldErrors};
use axum::{
    extract::{FromRequest, Request},
    Json,
};
use serde::{de::DeserializeOwned, Deserialize};

/// A JSON body; a malformed body is a 422 on the `body` field.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge)
            }
            Err(e) => {
                tracing::debug!(error = %e, "rejected JSON body");
                Err(AppError::Invalid(FieldErrors::one(
                    "body",
                    "error-bad-json",
                )))
            }
        }
    }
}

/// An urlencoded form (repeated keys become lists); malformed is a 422.
pub struct FormData<T>(pub T);

impl<T, S> FromRequest<S> for FormData<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum_extra::extract::Form::<T>::from_request(req, state).await {
            Ok(axum_extra::extract::Form(v)) => Ok(Self(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge)
            }
            Err(e) => {
                tracing::debug!(error = %e, "rejected form body");
                Err(AppError::Invalid(FieldErrors::one(
                    "body",
                    "error-bad-form",
                )))
            }
        }
    }
}

pub use crate::domain::form::{checked, loose};

/// A query string; nonsense is a 422 rather than axum's bare 400.
pub struct QueryParams<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_html_form::from_str(query)
            .map(Self)
            .map_err(|_| AppError::Invalid(FieldErrors::one("query", "error-bad-query")))
    }
}

/// A `pid` from the path; anything that is not a UUID is simply not found.
///
/// # Errors
/// `NotFound` for a malformed pid.
pub fn pid(raw: &str) -> Result<uuid::Uuid, AppError> {
    crate::models::pid(raw)
}

/// The usual list query: page, size, search and free filters.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ListQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub q: Option<String>,
    pub township: Option<String>,
    pub kind: Option<String>,
    pub role: Option<String>,
    pub organization: Option<String>,
    pub entity: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub entity_pid: Option<String>,
    pub village: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub assistance_status: Option<String>,
    pub tag: Option<String>,
}

impl ListQuery {
    #[must_use]
    pub fn page(&self) -> crate::domain::pagination::PageRequest {
        crate::domain::pagination::PageRequest::parse(
            self.page.as_deref(),
            self.per_page.as_deref(),
        )
    }

    /// A filter value, or `None` when blank.
    #[must_use]
    pub fn get(value: Option<&String>) -> Option<&str> {
        value.map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// This query without the page number, for pagination links.
    #[must_use]
    pub fn without_page(&self) -> String {
        let mut copy = self.clone();
        copy.page = None;
        serde_html_form::to_string(&copy).unwrap_or_default()
    }
}

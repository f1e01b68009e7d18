use super::page;
use crate::{
    errors::{AppError, AppResult},
    models::{service_plans, visits},
    views::recipients::VisitJson,
    web::{input::QueryParams, Viewer},
};
use axum::{extract::State, response::Response};
use chrono::{DateTime, Duration, Utc};
use loco_rs::prelude::*;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct VisitQuery {
    from: Option<String>,
    to: Option<String>,
    plan: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn instant(s: Option<&str>, default: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::field("from", "error-instant")),
    }
}

/// Visits in `[from, to)` (RFC 3339 instants; default: the next 4 weeks).
async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<VisitQuery>,
) -> AppResult<Response> {
    let now = Utc::now();
    let from = instant(q.from.as_deref(), now - Duration::days(1))?;
    let to = instant(q.to.as_deref(), now + Duration::days(28))?;
    let plan = match q.plan.as_deref().map(crate::web::input::pid) {
        Some(Ok(p)) => Some(service_plans::load(&ctx.db, &v.scope, p).await?.id),
        Some(Err(e)) => return Err(e),
        None => None,
    };
    let req =
        crate::domain::pagination::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let (rows, info) = visits::list(&ctx.db, &v.scope, from, to, plan, req).await?;
    Ok(page(rows.iter().map(VisitJson::from).collect(), info))
}

pub fn routes() -> Routes {
    Routes::new().prefix("/api/v1/visits").add("/", get(list))
}

//! `POST /api/v1/plan_previews`: the occurrences of a recurrence in a
//! window, for the plan form and for anyone checking a rule. All times are
//! local to `tzid` and carry no offset.
use crate::{controllers::require, domain::recurrence::Recurrence, errors::AppResult, web::Viewer};
use axum::{
    body::Bytes,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::NaiveDateTime;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct PreviewParams {
    #[serde(default)]
    tzid: Option<String>,
    dtstart: String,
    #[serde(default)]
    rrule: Option<String>,
    #[serde(default)]
    exdates: Vec<String>,
    #[serde(default)]
    rdates: Vec<String>,
    window_start: String,
    window_end: String,
}

/// A local time as `2026-03-03T09:00:00` (seconds optional), no offset.
fn local_time(field: &str, s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            format!("{field}: {s:?} is not a local time like 2026-03-03T09:00:00 (no offset)")
        })
}

fn preview(body: &[u8]) -> Result<Vec<String>, String> {
    let p: PreviewParams = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not a preview request: {e}"))?;
    let most = crate::domain::limits::List::PlanDates.max();
    for (field, n) in [("exdates", p.exdates.len()), ("rdates", p.rdates.len())] {
        if n > most {
            return Err(format!("{field}: at most {most} entries"));
        }
    }
    let times = |field: &str, v: &[String]| -> Result<Vec<NaiveDateTime>, String> {
        v.iter().map(|s| local_time(field, s)).collect()
    };
    let r = Recurrence::parse(
        p.tzid.as_deref().unwrap_or("Asia/Shanghai"),
        local_time("dtstart", &p.dtstart)?,
        p.rrule.as_deref(),
        &times("exdates", &p.exdates)?,
        &times("rdates", &p.rdates)?,
    )
    .map_err(|e| e.to_string())?;
    Ok(r.occurrences_between(
        local_time("window_start", &p.window_start)?,
        local_time("window_end", &p.window_end)?,
    )
    .map_err(|e| e.to_string())?
    .iter()
    .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
    .collect())
}

async fn add(v: Viewer, body: Bytes) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    Ok(match preview(&body) {
        Ok(occurrences) => Json(json!({ "occurrences": occurrences })).into_response(),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": error })),
        )
            .into_response(),
    })
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/plan_previews")
        .add("/", post(add))
}

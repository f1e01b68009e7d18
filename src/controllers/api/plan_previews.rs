//! `POST /api/v1/plan_previews`: the occurrences of a recurrence in a
//! window, for the plan form and for anyone checking a rule. All times are
//! local to `tzid` and carry no offset. A refused request is 422 with the
//! message in the caller's language, its id (`code`) and its `field`.
use crate::{
    controllers::require,
    domain::recurrence::{Recurrence, RecurrenceError},
    errors::AppResult,
    i18n::t,
    web::Viewer,
};
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

/// What is wrong with a preview request: the field and the message id.
type Problem = (&'static str, &'static str);

/// A local time as `2026-03-03T09:00:00` (seconds optional), no offset.
fn local_time(field: &'static str, s: &str) -> Result<NaiveDateTime, Problem> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .map_err(|_| (field, "error-local-time"))
}

fn rule_problem(e: &RecurrenceError) -> Problem {
    let field = match e {
        RecurrenceError::UnknownZone(_) => "tzid",
        RecurrenceError::Window | RecurrenceError::TooMany | RecurrenceError::TooFar => {
            "window_end"
        }
        _ => "rrule",
    };
    (field, e.message_key())
}

fn preview(body: &[u8]) -> Result<Vec<String>, Problem> {
    let p: PreviewParams = serde_json::from_slice(body).map_err(|_| ("body", "error-invalid"))?;
    let dates = crate::domain::limits::List::PlanDates;
    dates.check(p.exdates.len()).map_err(|k| ("exdates", k))?;
    dates.check(p.rdates.len()).map_err(|k| ("rdates", k))?;
    let times = |field: &'static str, v: &[String]| -> Result<Vec<NaiveDateTime>, Problem> {
        v.iter().map(|s| local_time(field, s)).collect()
    };
    let r = Recurrence::parse(
        p.tzid.as_deref().unwrap_or(crate::zone::display().name()),
        local_time("dtstart", &p.dtstart)?,
        p.rrule.as_deref(),
        &times("exdates", &p.exdates)?,
        &times("rdates", &p.rdates)?,
    )
    .map_err(|e| rule_problem(&e))?;
    Ok(r.occurrences_between(
        local_time("window_start", &p.window_start)?,
        local_time("window_end", &p.window_end)?,
    )
    .map_err(|e| rule_problem(&e))?
    .iter()
    .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
    .collect())
}

/// The occurrences, or 422 with the translated message, its id (`code`)
/// and the field it is about.
async fn add(v: Viewer, body: Bytes) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    Ok(match preview(&body) {
        Ok(occurrences) => Json(json!({ "occurrences": occurrences })).into_response(),
        Err((field, key)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": t(v.lang, key), "code": key, "field": field })),
        )
            .into_response(),
    })
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/plan_previews")
        .add("/", post(add))
}

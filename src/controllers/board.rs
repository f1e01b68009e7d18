//! The coordinator's board (a week of visits by worker or by recipient,
//! unassigned and conflicting visits marked, bulk reassignment) and the
//! worker's "my week". Officials see their townships' board, read only.
//! The lists are built in `views::board`.
use super::{invalid_or, require};
use crate::{
    domain::role::Role,
    errors::AppResult,
    models::visits,
    views::board::{self as view, BoardJson, ReassignForm},
    web::{input::QueryParams, render::redirect_flash, FormData, Page, Viewer},
};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{Datelike, Duration, NaiveDate};
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Moved to `views::board`; kept here for `controllers::contracts` until
/// it calls the view itself.

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct BoardQuery {
    /// Any day of the week to show (`2026-12-07`); this week by default.
    pub week: Option<String>,
    /// `worker` (default) or `recipient`.
    pub by: Option<String>,
}

/// The Monday of the week of `raw` (or of today).
fn monday(raw: Option<&str>) -> NaiveDate {
    let day = raw
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
        .unwrap_or_else(crate::models::today);
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

async fn board_page(
    ctx: &AppContext,
    v: &Viewer,
    q: &BoardQuery,
    form: Value,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    let by_worker = q.by.as_deref() != Some("recipient");
    let data = view::week_page(ctx, v, monday(q.week.as_deref()), by_worker, form, errors).await?;
    Ok(Page::new("board/week.html", data).status(status).render(v))
}

async fn board(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let form = ReassignForm::first(monday(q.week.as_deref()));
    board_page(&ctx, &v, &q, form, json!({}), StatusCode::OK).await
}

/// Hands one worker's visits that have not started to another worker;
/// the board again with the form's errors.
async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<ReassignForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let now = chrono::Utc::now();
    let result = visits::reassign_as_asked(
        &ctx.db,
        &v.actor,
        &v.scope,
        &f.body(),
        crate::zone::display(),
        now,
    )
    .await;
    let week = monday(f.week.as_deref());
    match invalid_or(result, v.lang)? {
        Ok(0) => Ok(redirect_flash(
            &format!("/board?week={week}"),
            "flash-reassigned-none",
        )),
        Ok(_) => Ok(redirect_flash(
            &format!("/board?week={week}"),
            "flash-reassigned",
        )),
        Err(errors) => {
            let q = BoardQuery {
                week: f.week.clone(),
                by: None,
            };
            let form = serde_json::to_value(&f).unwrap_or_default();
            board_page(&ctx, &v, &q, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A worker's own week, day by day.
async fn my_week(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let data = view::my_week(&ctx, &v, monday(q.week.as_deref())).await?;
    Ok(Page::new("board/my_week.html", data).render(&v))
}

/// Visits needing attention: missed, late and location exceptions of the
/// last 14 days (coordinators, officials, admins).
async fn attention(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_plan())?;
    let since = chrono::Utc::now() - Duration::days(14);
    let data = view::attention(&ctx, &v, since).await?;
    Ok(Page::new("board/attention.html", data).render(&v))
}

/// A worker's start page: what is overdue, today's visits and the next
/// three days', each a tap away.
async fn today(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.user.role == Role::Worker.as_str())?;
    let data = view::today(&ctx, &v, chrono::Utc::now()).await?;
    Ok(Page::new("board/today.html", data).render(&v))
}

/// The board as JSON: the week's visits with names and conflicts.
async fn api_board(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<BoardQuery>,
) -> AppResult<Response> {
    let board = BoardJson::load(&ctx, &v, monday(q.week.as_deref())).await?;
    Ok(Json(board).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/board", get(board))
        .add("/board/reassign", post(reassign))
        .add("/my_week", get(my_week))
        .add("/attention", get(attention))
        .add("/today", get(today))
        .add("/api/v1/board", get(api_board))
}

//! Referrals (转介) from visits, the township's work: officials (for their
//! townships) and admins assign one to an official with a due date and
//! close it with an outcome and a note; coordinators read their
//! organisation's, outcome included.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::{
        referrals::{self, AssignInput, CloseInput},
        today,
    },
    views::referrals::{self as view, ReferralForm, ReferralQuery},
    web::{
        input::{pid, QueryParams},
        render::redirect_flash,
        ApiJson, FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;
use serde_json::{json, Value};

const LIST: &str = "referrals/list.html";
const SHOW: &str = "referrals/show.html";

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    let data = view::list_page(&ctx.db, &v.scope, &q, today()).await?;
    Ok(Page::new(LIST, data).render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let data = view::show_page(&ctx.db, &v.scope, pid(&id)?, today(), None, json!({})).await?;
    Ok(Page::new(SHOW, data).render(&v))
}

/// The referral's page again with a refused form and its errors (422).
async fn refused(
    ctx: &AppContext,
    v: &Viewer,
    r: &referrals::Model,
    f: ReferralForm,
    errors: Value,
) -> AppResult<Response> {
    let data = view::show_page(&ctx.db, &v.scope, r.pid, today(), Some(f), errors).await?;
    Ok(Page::new(SHOW, data)
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(v))
}

async fn assign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ReferralForm>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_referrals())?;
    let result = r.assign(&ctx.db, &v.actor, assign_input(&f)).await;
    match invalid_or(result, v.lang)? {
        Ok(after) => Ok(redirect_flash(
            &format!("/referrals/{}", after.pid),
            "flash-referral-assigned",
        )),
        Err(errors) => refused(&ctx, &v, &r, f, errors).await,
    }
}

async fn close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ReferralForm>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_referrals())?;
    let result = r.close(&ctx.db, &v.actor, close_input(&f)).await;
    match invalid_or(result, v.lang)? {
        Ok(_) => Ok(redirect_flash("/referrals", "flash-referral-closed")),
        Err(errors) => refused(&ctx, &v, &r, f, errors).await,
    }
}

fn assign_input(f: &ReferralForm) -> AssignInput<'_> {
    AssignInput {
        assignee: f.assignee.as_deref(),
        due_on: f.due_on.as_deref(),
    }
}

fn close_input(f: &ReferralForm) -> CloseInput<'_> {
    CloseInput {
        outcome: f.outcome.as_deref(),
        outcome_note: f.outcome_note.as_deref(),
    }
}

async fn api_list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ReferralQuery>,
) -> AppResult<Response> {
    Ok(Json(view::list_json(&ctx.db, &v.scope, &q, today()).await?).into_response())
}

async fn api_show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    Ok(Json(view::show_json(&ctx.db, &v.scope, pid(&id)?, today()).await?).into_response())
}

async fn api_assign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<ReferralForm>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_referrals())?;
    let after = r.assign(&ctx.db, &v.actor, assign_input(&f)).await?;
    Ok(Json(view::show_json(&ctx.db, &v.scope, after.pid, today()).await?).into_response())
}

async fn api_close(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<ReferralForm>,
) -> AppResult<Response> {
    let r = referrals::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_referrals())?;
    let after = r.close(&ctx.db, &v.actor, close_input(&f)).await?;
    Ok(Json(view::show_json(&ctx.db, &v.scope, after.pid, today()).await?).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/referrals", get(list))
        .add("/referrals/{pid}", get(show))
        .add("/referrals/{pid}/assign", post(assign))
        .add("/referrals/{pid}/close", post(close))
        .add("/api/v1/referrals", get(api_list))
        .add("/api/v1/referrals/{pid}", get(api_show))
        .add("/api/v1/referrals/{pid}/assign", post(api_assign))
        .add("/api/v1/referrals/{pid}/close", post(api_close))
}

//! One visit: when, who, for whom, its conflicts; and, for coordinators,
//! the calendar choices: this visit only (move, cancel, reassign), this
//! and following, or the whole series. The page data is built in
//! `views::visits`.
use super::{invalid_or, require};
use crate::{
    domain::role::Role,
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        ad_hoc_visits::{self, AdHocParams},
        visit_lines,
        visits::{self, ChangeKind},
    },
    views::visits::{self as view, ChangeForm},
    web::{
        input::{pid, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

/// The page of `visit`, with what was typed (`Null`: the visit as it is).
async fn page(
    ctx: &AppContext,
    v: &Viewer,
    visit: &visits::Model,
    form: Value,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let data = view::show(ctx, v, visit, form, errors).await?;
    Ok(Page::new("visits/show.html", data).status(status).render(v))
}

/// The ad-hoc visit form: a worker chooses among the people they visit; a
/// coordinator comes from a recipient's page and names the worker.
async fn ad_hoc_form(
    ctx: &AppContext,
    v: &Viewer,
    form: &AdHocParams,
    errors: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let worker_view = v.user.role == Role::Worker.as_str();
    require(worker_view || v.scope.may_manage_plans())?;
    let subject = form.recipient.as_deref().and_then(|p| pid(p).ok());
    if !worker_view && subject.is_none() {
        return Ok(redirect_flash("/recipients", "ad-hoc-choose-recipient"));
    }
    let data = view::ad_hoc_form(ctx, v, form, errors, subject).await?;
    Ok(Page::new("visits/new.html", data).status(status).render(v))
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    recipient: Option<String>,
}

async fn new_ad_hoc(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<NewQuery>,
) -> AppResult<Response> {
    let form = AdHocParams {
        recipient: q.recipient,
        ..Default::default()
    };
    ad_hoc_form(&ctx, &v, &form, json!({}), StatusCode::OK).await
}

async fn add_ad_hoc(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<AdHocParams>,
) -> AppResult<Response> {
    let now = chrono::Utc::now();
    let result = ad_hoc_visits::add(&ctx.db, &v.scope, &v.user, &v.actor, &f, now).await;
    match invalid_or(result, v.lang)? {
        Ok(m) => Ok(redirect_flash(&format!("/visits/{}", m.pid), "flash-saved")),
        Err(errors) => ad_hoc_form(&ctx, &v, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// The recipient's signature image of a visit in scope.
async fn signature(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let image = visit_lines::signature_in_scope(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(view::signature_image(image))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(&id)?).await?;
    page(&ctx, &v, &visit, Value::Null, json!({}), StatusCode::OK).await
}

/// Moves, cancels or reassigns one visit from its page. Changed by someone
/// else since the page was shown: the page again, as the visit is now,
/// with what was typed and what happened (409).
async fn change(
    ctx: &AppContext,
    v: &Viewer,
    id: &str,
    kind: ChangeKind,
    f: ChangeForm,
) -> AppResult<Response> {
    let visit = visits::load(&ctx.db, &v.scope, pid(id)?).await?;
    require(v.scope.may_manage_plans())?;
    let now = chrono::Utc::now();
    let result = visits::change_as_asked(&ctx.db, &v.actor, &visit, kind, &f.body(), now).await;
    if let Err(AppError::Stale(key)) = &result {
        let fresh = visits::load(&ctx.db, &v.scope, visit.pid).await?;
        let errors = json!({"status": [t(v.lang, key)]});
        return page(ctx, v, &fresh, f.echo(kind), errors, StatusCode::CONFLICT).await;
    }
    match invalid_or(result, v.lang)? {
        Ok(after) => Ok(redirect_flash(
            &format!("/visits/{}", after.pid),
            "flash-saved",
        )),
        Err(e) => {
            page(
                ctx,
                v,
                &visit,
                f.echo(kind),
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn move_one(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, ChangeKind::Move, f).await
}

async fn cancel(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, ChangeKind::Cancel, f).await
}

async fn reassign(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<ChangeForm>,
) -> AppResult<Response> {
    change(&ctx, &v, &id, ChangeKind::Reassign, f).await
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/visits", post(add_ad_hoc))
        .add("/visits/new", get(new_ad_hoc))
        .add("/visits/{pid}", get(show))
        .add("/visits/{pid}/move", post(move_one))
        .add("/visits/{pid}/cancel", post(cancel))
        .add("/visits/{pid}/reassign", post(reassign))
        .add("/visits/{pid}/signature", get(signature))
}

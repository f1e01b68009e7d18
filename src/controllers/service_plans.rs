//! Plan pages: the plans in scope, one plan with its coming visits, and
//! the plan form with common patterns and a live preview of the next
//! visits (htmx; without JavaScript the preview button posts the form).
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::{plan_changes::Planner, service_plans},
    views::{
        plan_form::{self, EndForm, Mode, PlanForm, Problems},
        service_plans as plans,
    },
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;

fn planner<'a>(ctx: &'a AppContext, v: &'a Viewer) -> Planner<'a> {
    Planner::new(ctx, &v.scope, &v.actor)
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let page = plans::list_page(&ctx.db, &v.scope, v.lang, &q).await?;
    Ok(page.render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let page = plans::show_page(&ctx.db, &v.scope, v.lang, &plan).await?;
    Ok(page.render(&v))
}

/// After a save: the plan's page, or the form again with the field errors
/// or the conflicts to confirm.
async fn saved_or_form(
    ctx: &AppContext,
    v: &Viewer,
    f: &PlanForm,
    mode: &Mode,
    result: AppResult<service_plans::Model>,
) -> AppResult<Response> {
    let problems = match result {
        Ok(plan) => return Ok(saved(&plan)),
        Err(e) => Problems::of(e, v.lang)?,
    };
    Ok(plan_form::page(&ctx.db, v, f, mode, problems)
        .await?
        .render(v))
}

fn saved(plan: &service_plans::Model) -> Response {
    redirect_flash(&format!("/service_plans/{}", plan.pid), "flash-saved")
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    recipient: Option<String>,
    household: Option<String>,
    /// Another provider's plan whose pattern to start from (handover).
    from_plan: Option<String>,
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<NewQuery>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let tomorrow = crate::models::today() + chrono::Duration::days(1);
    let f = match plan_form::handed_over(&ctx.db, &v.scope, q.from_plan.as_deref()).await? {
        Some(f) => f,
        None => PlanForm::starting(q.recipient, q.household, tomorrow),
    };
    let page = plan_form::page(&ctx.db, &v, &f, &Mode::new(), Problems::none()).await?;
    Ok(page.render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let result = async {
        planner(&ctx, &v)
            .create(&f.params()?, f.confirm.is_some())
            .await
    };
    saved_or_form(&ctx, &v, &f, &Mode::new(), result.await).await
}

#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    /// A visit: change this and following from it.
    from: Option<String>,
}

/// The change form, filled with the plan as it is (from the visit `from`
/// on, for "this and following").
async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<EditQuery>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans() && plan.is_active())?;
    let (p, following) = planner(&ctx, &v)
        .form_params(&plan, q.from.as_deref())
        .await?;
    let f = PlanForm::changing(p, following, q.from);
    let mode = Mode::edit(&plan, following);
    Ok(plan_form::page(&ctx.db, &v, &f, &mode, Problems::none())
        .await?
        .render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let mode = Mode::edit(&plan, f.apply.as_deref() == Some("following"));
    let result = async {
        planner(&ctx, &v)
            .change(&plan, &f.params()?, &f.change_request())
            .await
    };
    saved_or_form(&ctx, &v, &f, &mode, result.await.map(|(p, _)| p)).await
}

async fn end_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans() && plan.is_active())?;
    Ok(plan_form::end_page(&plan, None, None).render(&v))
}

async fn end(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(f): FormData<EndForm>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let planner = planner(&ctx, &v);
    let result = planner
        .end(&plan, f.end_on.as_deref(), f.reason.as_deref())
        .await;
    Ok(match invalid_or(result, v.lang)? {
        Ok((p, _)) => saved(&p),
        Err(errors) => plan_form::end_page(&plan, Some(&f), Some(errors)).render(&v),
    })
}

/// The live preview (an htmx partial).
async fn preview(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(f): FormData<PlanForm>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    Ok(Html(plan_form::preview_html(&ctx.db, &v, &f).await?).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/service_plans", get(list))
        .add("/service_plans", post(add))
        .add("/service_plans/new", get(new))
        .add("/service_plans/preview", post(preview))
        .add("/service_plans/{pid}", get(show))
        .add("/service_plans/{pid}/edit", get(edit))
        .add("/service_plans/{pid}/edit", post(update))
        .add("/service_plans/{pid}/end", get(end_form))
        .add("/service_plans/{pid}/end", post(end))
}

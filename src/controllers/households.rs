//! Households (户): "按户保", members listed together.
use super::{invalid_or, require};
use crate::{
    errors::AppResult,
    models::households::{self, HouseholdParams},
    views::{
        households as view,
        recipients::{vary_on_htmx, wants_results},
    },
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use loco_rs::prelude::*;
use serde_json::json;

const FORM: &str = "households/form.html";

fn saved(h: &households::Model) -> Response {
    redirect_flash(&format!("/households/{}", h.pid), "flash-saved")
}

/// The form again, with its field errors.
fn form_again(data: serde_json::Value, v: &Viewer) -> Response {
    Page::new(FORM, data)
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(v)
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: HeaderMap,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let data = view::list_page(&ctx.db, &v, &q).await?;
    let template = if wants_results(&headers) {
        "households/_results.html"
    } else {
        "households/list.html"
    };
    Ok(vary_on_htmx(Page::new(template, data).render(&v)))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let data = view::show_page(&ctx.db, &v.scope, &h).await?;
    Ok(Page::new("households/show.html", data).render(&v))
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let data = view::new_form(&ctx.db, &v.scope, q.township, q.q).await?;
    Ok(Page::new(FORM, data).render(&v))
}

/// The register form as typed, with the villages of the township chosen:
/// what a browser without JavaScript posts to list them (nothing is saved).
async fn refresh_new(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let data = view::form_again(&ctx.db, &v.scope, "/households".into(), &p, json!({}));
    Ok(Page::new(FORM, data.await?).render(&v))
}

/// The edit form as typed, with the villages of the township chosen.
async fn refresh_edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let action = format!("/households/{}", h.pid);
    let data = view::form_again(&ctx.db, &v.scope, action, &p, json!({}));
    Ok(Page::new(FORM, data.await?).render(&v))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let result = households::Model::create_from(&ctx.db, &v.scope, &v.actor, &p).await;
    match invalid_or(result, v.lang)? {
        Ok(h) => Ok(saved(&h)),
        Err(errors) => {
            let data = view::form_again(&ctx.db, &v.scope, "/households".into(), &p, errors);
            Ok(form_again(data.await?, &v))
        }
    }
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(Page::new(FORM, view::edit_form(&ctx.db, &v.scope, &h).await?).render(&v))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let action = format!("/households/{}", h.pid);
    match invalid_or(h.update_from(&ctx.db, &v.scope, &v.actor, &p).await, v.lang)? {
        Ok(h) => Ok(saved(&h)),
        Err(errors) => {
            let data = view::form_again(&ctx.db, &v.scope, action, &p, errors);
            Ok(form_again(data.await?, &v))
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/households", get(list))
        .add("/households", post(add))
        .add("/households/new", get(new))
        .add("/households/new", post(refresh_new))
        .add("/households/{pid}", get(show))
        .add("/households/{pid}", post(update))
        .add("/households/{pid}/edit", get(edit))
        .add("/households/{pid}/edit", post(refresh_edit))
}

//! The service catalogue: admins add, rename, reorder and retire service
//! types; everyone else chooses from it on plans and visit lines.
use super::{form_response, require};
use crate::{
    errors::AppResult,
    models::service_types::{self, ServiceTypeParams},
    web::{
        input::{pid, ListQuery, QueryParams},
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
use serde_json::json;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let (rows, page) = service_types::list(&ctx.db, q.page()).await?;
    Ok(Page::new(
        "service_types/list.html",
        json!({"items": rows, "page": page, "base_query": q.without_page()}),
    )
    .render(&v))
}

fn form(
    v: &Viewer,
    action: String,
    params: &ServiceTypeParams,
    errors: serde_json::Value,
    status: StatusCode,
) -> Response {
    Page::new(
        "service_types/form.html",
        json!({"action": action, "form": params, "errors": errors,
               "new": action == "/service_types"}),
    )
    .status(status)
    .render(v)
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let params = ServiceTypeParams {
        active: Some("true".into()),
        ..Default::default()
    };
    Ok(form(
        &v,
        "/service_types".into(),
        &params,
        json!({}),
        StatusCode::OK,
    ))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let result = service_types::Model::create(&ctx.db, &v.actor, &p).await;
    form_response(
        result,
        v.lang,
        |_| redirect_flash("/service_types", "flash-saved"),
        |errors| {
            form(
                &v,
                "/service_types".into(),
                &p,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        },
    )
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    let params = ServiceTypeParams {
        code: Some(t.code),
        name_zh: Some(t.name_zh),
        name_en: Some(t.name_en),
        position: Some(t.position.to_string()),
        active: Some(t.active.to_string()),
    };
    Ok(form(
        &v,
        format!("/service_types/{}", t.pid),
        &params,
        json!({}),
        StatusCode::OK,
    ))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<ServiceTypeParams>,
) -> AppResult<Response> {
    require(v.scope.is_admin())?;
    let t = service_types::load(&ctx.db, pid(&id)?).await?;
    let action = format!("/service_types/{}", t.pid);
    let result = t.change(&ctx.db, &v.actor, &p).await;
    let mut shown = p.clone();
    shown.code = Some(t.code.clone());
    form_response(
        result,
        v.lang,
        |_| redirect_flash("/service_types", "flash-saved"),
        |errors| form(&v, action, &shown, errors, StatusCode::UNPROCESSABLE_ENTITY),
    )
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/service_types", get(list))
        .add("/service_types", post(add))
        .add("/service_types/new", get(new))
        .add("/service_types/{pid}", post(update))
        .add("/service_types/{pid}/edit", get(edit))
}

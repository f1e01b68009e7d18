//! Organisations: social-work organisations, charities, government bodies.
use super::{form_response, require};
use crate::{
    domain::organization_kind::OrganizationKind,
    errors::{AppError, AppResult},
    models::organizations::{self, NewOrganization, OrganizationParams},
    views::OrganizationJson,
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
    let kind = ListQuery::get(q.kind.as_ref()).and_then(|k| k.parse::<OrganizationKind>().ok());
    let (rows, page) = organizations::list(
        &ctx.db,
        &v.scope,
        kind,
        ListQuery::get(q.q.as_ref()),
        q.page(),
    )
    .await?;
    let items: Vec<OrganizationJson> = rows.iter().map(OrganizationJson::from).collect();
    Ok(Page::new(
        "organizations/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page()}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(Page::new(
        "organizations/show.html",
        json!({"organization": OrganizationJson::from(&o)}),
    )
    .render(&v))
}

fn form(
    v: &Viewer,
    action: String,
    params: &OrganizationParams,
    errors: serde_json::Value,
    status: StatusCode,
) -> Response {
    Page::new(
        "organizations/form.html",
        json!({"action": action, "form": params, "errors": errors}),
    )
    .status(status)
    .render(v)
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    Ok(form(
        &v,
        "/organizations".into(),
        &OrganizationParams::default(),
        json!({}),
        StatusCode::OK,
    ))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result = async {
        organizations::Model::create(&ctx.db, &v.actor, NewOrganization::try_from(&p)?).await
    }
    .await;
    form_response(
        result,
        v.lang,
        |o| redirect_flash(&format!("/organizations/{}", o.pid), "flash-saved"),
        |errors| {
            form(
                &v,
                "/organizations".into(),
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
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let params = OrganizationParams {
        name: Some(o.name),
        kind: Some(o.kind),
        credit_code: Some(o.credit_code),
    };
    Ok(form(
        &v,
        format!("/organizations/{}", o.pid),
        &params,
        json!({}),
        StatusCode::OK,
    ))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<OrganizationParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let action = format!("/organizations/{}", o.pid);
    let result = async {
        o.update(&ctx.db, &v.actor, NewOrganization::try_from(&p)?)
            .await
    }
    .await;
    form_response(
        result,
        v.lang,
        |o| redirect_flash(&format!("/organizations/{}", o.pid), "flash-saved"),
        |errors| form(&v, action, &p, errors, StatusCode::UNPROCESSABLE_ENTITY),
    )
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let o = organizations::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/organizations/{}", o.pid);
    match o.remove(&ctx.db, &v.actor).await {
        Ok(()) => Ok(redirect_flash("/organizations", "flash-deleted")),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-in-use")),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/organizations", get(list))
        .add("/organizations", post(add))
        .add("/organizations/new", get(new))
        .add("/organizations/{pid}", get(show))
        .add("/organizations/{pid}", post(update))
        .add("/organizations/{pid}/edit", get(edit))
        .add("/organizations/{pid}/delete", post(remove))
}

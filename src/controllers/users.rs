//! People who sign in. Admins manage everyone; coordinators manage the
//! workers and volunteers of their own organisation.
use super::{invalid_or, require};
use crate::{
    domain::role::Role,
    errors::AppResult,
    models::{
        organizations, townships,
        users::{self, UserFilter, UserParams},
    },
    views::{OrganizationJson, TownshipJson, UserJson},
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

/// Builds the list filter from the query, resolving the organisation pid
/// inside the caller's scope.
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    v: &Viewer,
    q: &ListQuery,
) -> AppResult<UserFilter> {
    let organization_id = match ListQuery::get(q.organization.as_ref()).and_then(|s| pid(s).ok()) {
        Some(p) => Some(
            organizations::load(db, &v.scope, p)
                .await
                .map_or(-1, |o| o.id),
        ),
        None => None,
    };
    Ok(UserFilter {
        role: ListQuery::get(q.role.as_ref()).and_then(|r| r.parse::<Role>().ok()),
        organization_id,
        search: ListQuery::get(q.q.as_ref()).map(str::to_string),
    })
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let filter = filter_of(&ctx.db, &v, &q).await?;
    let (rows, page) = users::list(&ctx.db, &v.scope, &filter, q.page()).await?;
    let items: Vec<UserJson> = rows
        .iter()
        .map(|(u, o)| UserJson::new(u, o.as_ref(), &[]))
        .collect();
    let orgs: Vec<OrganizationJson> = organizations::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(OrganizationJson::from)
        .collect();
    Ok(Page::new(
        "users/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(),
               "organizations": orgs, "can_create": v.scope.may_create_users()}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let can_edit = v.scope.may_edit_user(&d.user);
    Ok(Page::new(
        "users/show.html",
        json!({"user": UserJson::from(&d), "can_edit": can_edit}),
    )
    .render(&v))
}

async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: String,
    params: &UserParams,
    errors: serde_json::Value,
    status: StatusCode,
) -> AppResult<Response> {
    let orgs: Vec<OrganizationJson> = organizations::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(OrganizationJson::from)
        .collect();
    let towns: Vec<TownshipJson> = if v.scope.is_admin() {
        townships::options(&ctx.db, &v.scope)
            .await?
            .iter()
            .map(TownshipJson::from)
            .collect()
    } else {
        vec![]
    };
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| v.scope.is_admin() || **r == Role::Worker)
        .map(|r| r.as_str())
        .collect();
    Ok(Page::new(
        "users/form.html",
        json!({"action": action, "form": params, "errors": errors, "organizations": orgs,
               "townships": towns, "roles": roles, "creating": action == "/users"}),
    )
    .status(status)
    .render(v))
}

async fn new(State(ctx): State<AppContext>, v: Viewer) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let own = organizations::options(&ctx.db, &v.scope).await?;
    let params = UserParams {
        role: Some(Role::Worker.as_str().into()),
        organization: v
            .scope
            .own_organization()
            .and(own.first().map(|o| o.pid.to_string())),
        active: Some("true".into()),
        ..Default::default()
    };
    form(
        &ctx,
        &v,
        "/users".into(),
        &params,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<UserParams>,
) -> AppResult<Response> {
    require(v.scope.may_create_users())?;
    let result = async {
        let new = users::parse_for(&ctx.db, &v.scope, &p, true).await?;
        users::Model::create(&ctx.db, &v.actor, new).await
    }
    .await;
    let mut shown = p.clone();
    shown.password = None;
    match invalid_or(result, v.lang)? {
        Ok(u) => Ok(redirect_flash(&format!("/users/{}", u.pid), "flash-saved")),
        Err(errors) => {
            form(
                &ctx,
                &v,
                "/users".into(),
                &shown,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    let params = UserParams {
        name: Some(d.user.name.clone()),
        email: Some(d.user.email.clone()),
        phone: d.user.phone.clone(),
        role: Some(d.user.role.clone()),
        organization: d.organization.as_ref().map(|o| o.pid.to_string()),
        volunteer: Some(d.user.volunteer.to_string()),
        active: Some(d.user.active.to_string()),
        townships: d.townships.iter().map(|t| t.pid.to_string()).collect(),
        password: None,
        locale: d.user.locale.clone(),
    };
    form(
        &ctx,
        &v,
        format!("/users/{}", d.user.pid),
        &params,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<UserParams>,
) -> AppResult<Response> {
    let d = users::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_edit_user(&d.user))?;
    let action = format!("/users/{}", d.user.pid);
    // Unchecked checkboxes are absent from a form post.
    let mut p = p;
    p.active = Some(p.active.is_some().to_string());
    let result = async {
        let new = users::parse_for(&ctx.db, &v.scope, &p, false).await?;
        d.user.update(&ctx.db, &v.actor, new).await
    }
    .await;
    p.password = None;
    match invalid_or(result, v.lang)? {
        Ok(u) => Ok(redirect_flash(&format!("/users/{}", u.pid), "flash-saved")),
        Err(errors) => {
            form(
                &ctx,
                &v,
                action,
                &p,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/users", get(list))
        .add("/users", post(add))
        .add("/users/new", get(new))
        .add("/users/{pid}", get(show))
        .add("/users/{pid}", post(update))
        .add("/users/{pid}/edit", get(edit))
}

//! Households (户): "按户保", members listed together.
use super::{
    invalid_or, merge, require,
    villages::{township_of, township_pid_of_village},
};
use crate::{
    domain::recipient::AssistanceStatus,
    errors::{AppError, AppResult, FieldErrors},
    models::{
        households::{self, HouseholdFilter, HouseholdParams, NewHousehold},
        recipients, today, townships, villages,
    },
    policy::Scope,
    views::{
        recipients::{HouseholdJson, RecipientJson},
        TownshipJson,
    },
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

/// The list filter of a query string.
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<HouseholdFilter> {
    let town = township_of(db, scope, ListQuery::get(q.township.as_ref())).await?;
    let village = recipients::village_of(db, scope, ListQuery::get(q.village.as_ref())).await?;
    Ok(HouseholdFilter {
        township_id: town.map(|t| t.id),
        village_id: village.map(|v| v.id),
        assistance_status: ListQuery::get(q.assistance_status.as_ref())
            .and_then(|s| s.parse::<AssistanceStatus>().ok()),
        search: ListQuery::get(q.q.as_ref()).map(str::to_string),
    })
}

/// Parses a household form against the caller's scope.
///
/// # Errors
/// Field errors; database errors.
pub async fn parse(
    db: &DatabaseConnection,
    scope: &Scope,
    p: &HouseholdParams,
    current_organization: Option<i64>,
) -> AppResult<NewHousehold> {
    let village = recipients::village_of(db, scope, p.village.as_deref()).await?;
    let mut e = FieldErrors::new();
    let org = scope.own_organization().or(current_organization);
    let new = NewHousehold::parse(p, village.as_ref(), org, &mut e);
    e.into_result(|| new)
}

async fn options(
    ctx: &AppContext,
    v: &Viewer,
    township: Option<&str>,
) -> AppResult<serde_json::Value> {
    let towns: Vec<TownshipJson> = townships::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    let town = township_of(&ctx.db, &v.scope, township).await?;
    let vs: Vec<serde_json::Value> = match town {
        Some(t) => villages::of_township(&ctx.db, t.id)
            .await?
            .iter()
            .map(|x| json!({"pid": x.pid, "name": x.name}))
            .collect(),
        None => Vec::new(),
    };
    Ok(json!({
        "townships": towns,
        "villages": vs,
        "assistance_statuses": AssistanceStatus::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    }))
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let filter = filter_of(&ctx.db, &v.scope, &q).await?;
    let (rows, page) = households::list(&ctx.db, &v.scope, &filter, q.page()).await?;
    let items: Vec<HouseholdJson> = rows.iter().map(HouseholdJson::from).collect();
    let data = json!({
        "items": items, "page": page, "query": q, "base_query": q.without_page(),
        "may_register": v.scope.may_register_recipients(),
    });
    let opts = options(&ctx, &v, ListQuery::get(q.township.as_ref())).await?;
    Ok(Page::new("households/list.html", merge(data, opts)).render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let village = villages::Entity::find_by_id(h.village_id)
        .one(&ctx.db)
        .await?;
    let day = today();
    let show_id = v.scope.sees_id_numbers();
    let members: Vec<RecipientJson> = h
        .members(&ctx.db)
        .await?
        .iter()
        .map(|m| RecipientJson::new(m, None, None, show_id, day))
        .collect();
    Ok(Page::new(
        "households/show.html",
        json!({
            "household": HouseholdJson::new(&h, village.as_ref(), Some(members.len() as i64)),
            "members": members,
            "may_edit": v.scope.may_register_recipients(),
        }),
    )
    .render(&v))
}

async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: String,
    params: &HouseholdParams,
    township: Option<String>,
    errors: serde_json::Value,
    status: StatusCode,
) -> AppResult<Response> {
    let town = match (township, params.village.as_deref()) {
        (Some(t), _) => Some(t),
        (None, Some(vp)) => township_pid_of_village(&ctx.db, &v.scope, vp).await?,
        (None, None) => None,
    };
    let opts = options(ctx, v, town.as_deref()).await?;
    let data = json!({"action": action, "form": params, "errors": errors, "township": town});
    Ok(Page::new("households/form.html", merge(data, opts))
        .status(status)
        .render(v))
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    form(
        &ctx,
        &v,
        "/households".into(),
        &HouseholdParams::default(),
        q.township,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let result = async {
        let new = parse(&ctx.db, &v.scope, &p, None).await?;
        households::Model::create(&ctx.db, &v.actor, new).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(h) => Ok(redirect_flash(
            &format!("/households/{}", h.pid),
            "flash-saved",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                "/households".into(),
                &p,
                None,
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
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let village = villages::Entity::find_by_id(h.village_id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let params = HouseholdParams {
        village: Some(village.pid.to_string()),
        address: Some(h.address.clone()),
        phone: h.phone.clone(),
        assistance_status: Some(h.assistance_status.clone()),
        status_since: h.status_since.map(|d| d.to_string()),
        status_until: h.status_until.map(|d| d.to_string()),
        organization: None,
    };
    form(
        &ctx,
        &v,
        format!("/households/{}", h.pid),
        &params,
        None,
        json!({}),
        StatusCode::OK,
    )
    .await
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
    let result = async {
        let new = parse(&ctx.db, &v.scope, &p, h.organization_id).await?;
        h.update(&ctx.db, &v.actor, new).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(h) => Ok(redirect_flash(
            &format!("/households/{}", h.pid),
            "flash-saved",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                action,
                &p,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/households", get(list))
        .add("/households", post(add))
        .add("/households/new", get(new))
        .add("/households/{pid}", get(show))
        .add("/households/{pid}", post(update))
        .add("/households/{pid}/edit", get(edit))
}

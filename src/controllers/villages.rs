//! Villages (村/社区), each in a township.
use super::{invalid_or, require};
use crate::{
    errors::{AppError, AppResult},
    models::{
        townships,
        villages::{self, NewVillage, VillageParams},
    },
    policy::Scope,
    views::{TownshipJson, VillageJson},
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

/// The township a form or filter names, if the caller may see it.
///
/// # Errors
/// Database errors.
pub async fn township_of(
    db: &DatabaseConnection,
    scope: &Scope,
    raw: Option<&str>,
) -> AppResult<Option<townships::Model>> {
    let Some(id) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let Ok(id) = pid(id) else { return Ok(None) };
    match townships::load(db, scope, id).await {
        Ok(t) => Ok(Some(t)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The pid of the township of a village a form names (for the village
/// select box), if the caller may see it.
///
/// # Errors
/// Database errors.
pub async fn township_pid_of_village(
    db: &DatabaseConnection,
    scope: &Scope,
    village: &str,
) -> AppResult<Option<String>> {
    Ok(
        match crate::models::recipients::village_of(db, scope, Some(village)).await? {
            Some(vl) => townships::Entity::find_by_id(vl.township_id)
                .one(db)
                .await?
                .map(|t| t.pid.to_string()),
            None => None,
        },
    )
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let town = township_of(&ctx.db, &v.scope, ListQuery::get(q.township.as_ref())).await?;
    let (rows, page) = villages::list(
        &ctx.db,
        &v.scope,
        town.as_ref().map(|t| t.id),
        ListQuery::get(q.q.as_ref()),
        q.page(),
    )
    .await?;
    let items: Vec<VillageJson> = rows
        .iter()
        .map(|(v, t)| VillageJson::from((v, t)))
        .collect();
    let towns: Vec<TownshipJson> = townships::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    Ok(Page::new(
        "villages/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(), "townships": towns}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (village, town) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    Ok(Page::new(
        "villages/show.html",
        json!({"village": VillageJson::from((&village, &town))}),
    )
    .render(&v))
}

async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: String,
    params: &VillageParams,
    errors: serde_json::Value,
    status: StatusCode,
) -> AppResult<Response> {
    let towns: Vec<TownshipJson> = townships::options(&ctx.db, &v.scope)
        .await?
        .iter()
        .map(TownshipJson::from)
        .collect();
    Ok(Page::new(
        "villages/form.html",
        json!({"action": action, "form": params, "errors": errors, "townships": towns}),
    )
    .status(status)
    .render(v))
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let params = VillageParams {
        township: q.township,
        ..Default::default()
    };
    form(
        &ctx,
        &v,
        "/villages".into(),
        &params,
        json!({}),
        StatusCode::OK,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result = async {
        let town = township_of(&ctx.db, &v.scope, p.township.as_deref()).await?;
        villages::Model::create(&ctx.db, &v.actor, NewVillage::parse(&p, town.as_ref())?).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(village) => Ok(redirect_flash(
            &format!("/villages/{}", village.pid),
            "flash-saved",
        )),
        Err(errors) => {
            form(
                &ctx,
                &v,
                "/villages".into(),
                &p,
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
    require(v.scope.may_manage_places())?;
    let (village, town) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let params = VillageParams {
        township: Some(town.pid.to_string()),
        name: Some(village.name),
        code: village.code,
    };
    form(
        &ctx,
        &v,
        format!("/villages/{}", village.pid),
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
    FormData(p): FormData<VillageParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, _) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let action = format!("/villages/{}", village.pid);
    let result = async {
        let town = township_of(&ctx.db, &v.scope, p.township.as_deref()).await?;
        village
            .update(&ctx.db, &v.actor, NewVillage::parse(&p, town.as_ref())?)
            .await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(village) => Ok(redirect_flash(
            &format!("/villages/{}", village.pid),
            "flash-saved",
        )),
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

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let (village, town) = villages::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/villages/{}", village.pid);
    match village.remove(&ctx.db, &v.actor).await {
        Ok(()) => Ok(redirect_flash(
            &format!("/townships/{}", town.pid),
            "flash-deleted",
        )),
        Err(AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-in-use")),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/villages", get(list))
        .add("/villages", post(add))
        .add("/villages/new", get(new))
        .add("/villages/{pid}", get(show))
        .add("/villages/{pid}", post(update))
        .add("/villages/{pid}/edit", get(edit))
        .add("/villages/{pid}/delete", post(remove))
}

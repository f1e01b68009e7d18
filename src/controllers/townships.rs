//! Townships (乡镇/街道): admins manage them; officials see their own.
use super::{form_response, require};
use crate::{
    domain::pagination::PageRequest,
    errors::AppResult,
    models::{
        townships::{self, NewTownship, TownshipParams},
        villages,
    },
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

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, page) =
        townships::list(&ctx.db, &v.scope, ListQuery::get(q.q.as_ref()), q.page()).await?;
    let items: Vec<TownshipJson> = rows.iter().map(TownshipJson::from).collect();
    Ok(Page::new(
        "townships/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page()}),
    )
    .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let (rows, page) = villages::list(
        &ctx.db,
        &v.scope,
        Some(t.id),
        None,
        PageRequest::parse(None, Some("100")),
    )
    .await?;
    let villages: Vec<VillageJson> = rows
        .iter()
        .map(|(v, t)| VillageJson::from((v, t)))
        .collect();
    Ok(Page::new(
        "townships/show.html",
        json!({"township": TownshipJson::from(&t), "villages": villages, "villages_total": page.total}),
    )
    .render(&v))
}

fn form(
    v: &Viewer,
    action: String,
    params: &TownshipParams,
    errors: serde_json::Value,
    status: StatusCode,
) -> Response {
    Page::new(
        "townships/form.html",
        json!({"action": action, "form": params, "errors": errors}),
    )
    .status(status)
    .render(v)
}

async fn new(v: Viewer) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    Ok(form(
        &v,
        "/townships".into(),
        &TownshipParams::default(),
        json!({}),
        StatusCode::OK,
    ))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let result =
        async { townships::Model::create(&ctx.db, &v.actor, NewTownship::try_from(&p)?).await }
            .await;
    form_response(
        result,
        v.lang,
        |t| redirect_flash(&format!("/townships/{}", t.pid), "flash-saved"),
        |errors| {
            form(
                &v,
                "/townships".into(),
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
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let params = TownshipParams {
        name: Some(t.name),
        code: Some(t.code),
        population: Some(t.population.to_string()),
    };
    Ok(form(
        &v,
        format!("/townships/{}", t.pid),
        &params,
        json!({}),
        StatusCode::OK,
    ))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<TownshipParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let action = format!("/townships/{}", t.pid);
    let result = async {
        t.update(&ctx.db, &v.actor, NewTownship::try_from(&p)?)
            .await
    }
    .await;
    form_response(
        result,
        v.lang,
        |t| redirect_flash(&format!("/townships/{}", t.pid), "flash-saved"),
        |errors| form(&v, action, &p, errors, StatusCode::UNPROCESSABLE_ENTITY),
    )
}

async fn remove(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_manage_places())?;
    let t = townships::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/townships/{}", t.pid);
    match t.remove(&ctx.db, &v.actor).await {
        Ok(()) => Ok(redirect_flash("/townships", "flash-deleted")),
        Err(crate::errors::AppError::Invalid(_)) => Ok(redirect_flash(&back, "error-in-use")),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/townships", get(list))
        .add("/townships", post(add))
        .add("/townships/new", get(new))
        .add("/townships/{pid}", get(show))
        .add("/townships/{pid}", post(update))
        .add("/townships/{pid}/edit", get(edit))
        .add("/townships/{pid}/delete", post(remove))
}

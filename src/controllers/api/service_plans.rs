use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::AppResult,
    models::service_plans::{self, NewPlan, PlanParams},
    views::recipients::PlanJson,
    web::{
        input::{pid, ListQuery, QueryParams},
        ApiJson, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = service_plans::list(&ctx.db, &v.scope, None, q.page()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for p in &rows {
        let r = service_plans::recipient_of(&ctx.db, p).await?;
        items.push(PlanJson::new(p, r.as_ref()));
    }
    Ok(page(items, info))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let p = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let r = service_plans::recipient_of(&ctx.db, &p).await?;
    Ok(ok(PlanJson::new(&p, r.as_ref())))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<PlanParams>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let new = NewPlan::parse(&ctx.db, &v.scope, &p, chrono::Utc::now()).await?;
    let plan = service_plans::Model::create(&ctx.db, &v.actor, new).await?;
    plan.materialise_later(&ctx).await?;
    let plan = service_plans::Entity::find_by_id(plan.id)
        .one(&ctx.db)
        .await?
        .unwrap_or(plan);
    let r = service_plans::recipient_of(&ctx.db, &plan).await?;
    Ok(created(PlanJson::new(&plan, r.as_ref())))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/service_plans")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
}

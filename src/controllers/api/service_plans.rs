use super::{created, ok, page};
use crate::{
    controllers::require,
    errors::{AppError, AppResult},
    models::{
        _entities::recipients,
        plan_changes::{self, Apply, ChangeRequest},
        service_plans::{self, PlanParams},
    },
    views::{person::PersonView, recipients::PlanJson},
    web::{
        input::{pid, ListQuery, QueryParams},
        ApiJson, Viewer,
    },
    workers::plan_materialise::horizon,
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

/// A plan as the caller may see it: its person's name through
/// `PersonView::name_for`. A plan is never the door, so workers see 单**.
#[must_use]
pub fn plan_json(v: &Viewer, p: &service_plans::Model, r: Option<&recipients::Model>) -> PlanJson {
    let shown = r.map(|r| recipients::Model {
        name: PersonView::name_for(v.scope.role(), &r.name, false),
        ..r.clone()
    });
    PlanJson::new(p, shown.as_ref())
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let (rows, info) = service_plans::list(&ctx.db, &v.scope, None, q.page()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for p in &rows {
        let r = service_plans::recipient_of(&ctx.db, p).await?;
        items.push(plan_json(&v, p, r.as_ref()));
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
    Ok(ok(plan_json(&v, &p, r.as_ref())))
}

/// `confirm: true` saves a plan whose visits conflict with others.
#[derive(Debug, Default, Deserialize)]
struct Confirm {
    #[serde(default)]
    confirm: bool,
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Response> {
    require(v.scope.may_manage_plans())?;
    let p: PlanParams = from_body(body.clone())?;
    let c: Confirm = from_body(body)?;
    let plan = plan_changes::create_checked(
        &ctx.db,
        &v.scope,
        &v.actor,
        &p,
        c.confirm,
        chrono::Utc::now(),
        horizon(&ctx),
    )
    .await?;
    plan.materialise_later(&ctx).await?;
    // The job may have run already (inline in tests and small setups).
    let plan = service_plans::Entity::find_by_id(plan.id)
        .one(&ctx.db)
        .await?
        .unwrap_or(plan);
    let r = service_plans::recipient_of(&ctx.db, &plan).await?;
    Ok(created(plan_json(&v, &plan, r.as_ref())))
}

fn from_body<T: serde::de::DeserializeOwned>(body: Value) -> AppResult<T> {
    serde_json::from_value(body).map_err(|_| AppError::field("body", "error-bad-json"))
}

#[derive(Debug, Default, Deserialize)]
struct ChangeBody {
    apply: Option<String>,
    from: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    confirm: bool,
}

/// Changes the whole series (`apply: "series"`, the default) or this and
/// following (`apply: "following"`, `from`: a visit pid). Fields left out
/// keep their current values.
async fn change(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let now = chrono::Utc::now();
    let b: ChangeBody = from_body(body.clone())?;
    let at = match Apply::parse(b.apply.as_deref())? {
        Apply::Series => None,
        Apply::Following => {
            Some(plan_changes::split_point(&ctx.db, &v.scope, &plan, b.from.as_deref(), now).await?)
        }
    };
    let mut params = serde_json::to_value(plan.current_params(&ctx.db, at).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let (Some(p), Value::Object(given)) = (params.as_object_mut(), body) {
        for (k, val) in given {
            if p.contains_key(&k) && k != "recipient" && k != "household" {
                p.insert(k, val);
            }
        }
    }
    let params: PlanParams = from_body(params)?;
    let req = ChangeRequest {
        apply: b.apply,
        from: b.from,
        reason: b.reason,
        confirm: b.confirm,
    };
    let (after, sync) = plan_changes::change_checked(
        &ctx.db,
        &v.scope,
        &v.actor,
        &plan,
        &params,
        &req,
        now,
        horizon(&ctx),
    )
    .await?;
    let r = service_plans::recipient_of(&ctx.db, &after).await?;
    Ok(ok(
        json!({"plan": plan_json(&v, &after, r.as_ref()), "visits": sync}),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct EndBody {
    end_on: Option<String>,
    reason: Option<String>,
}

/// Ends a plan: no visits on or after `end_on` (a local date).
async fn end(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EndBody>,
) -> AppResult<Response> {
    let plan = service_plans::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_manage_plans())?;
    let on = plan_changes::end_date(b.end_on.as_deref())?;
    let (after, sync) = plan
        .end_on(
            &ctx.db,
            &v.actor,
            on,
            chrono::Utc::now(),
            horizon(&ctx),
            b.reason.as_deref(),
        )
        .await?;
    let r = service_plans::recipient_of(&ctx.db, &after).await?;
    Ok(ok(
        json!({"plan": plan_json(&v, &after, r.as_ref()), "visits": sync}),
    ))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/service_plans")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", patch(change))
        .add("/{pid}/end", post(end))
}

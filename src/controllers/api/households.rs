use super::{created, ok, page};
use crate::{
    controllers::{
        households::{filter_of, parse},
        require,
    },
    errors::AppResult,
    models::{
        households::{self, HouseholdParams},
        today, villages,
    },
    views::recipients::{HouseholdJson, RecipientJson},
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
use serde_json::json;

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let filter = filter_of(&ctx.db, &v.scope, &q).await?;
    let (rows, info) = households::list(&ctx.db, &v.scope, &filter, q.page()).await?;
    Ok(page(rows.iter().map(HouseholdJson::from).collect(), info))
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
    let mut body = serde_json::to_value(HouseholdJson::new(
        &h,
        village.as_ref(),
        Some(members.len() as i64),
    ))
    .unwrap_or_default();
    if let Some(o) = body.as_object_mut() {
        o.insert("member_list".into(), json!(members));
    }
    Ok(ok(body))
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    ApiJson(p): ApiJson<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let new = parse(&ctx.db, &v.scope, &p, None).await?;
    let h = households::Model::create(&ctx.db, &v.actor, new).await?;
    let village = villages::Entity::find_by_id(h.village_id)
        .one(&ctx.db)
        .await?;
    Ok(created(HouseholdJson::new(&h, village.as_ref(), Some(0))))
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<HouseholdParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let h = households::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let new = parse(&ctx.db, &v.scope, &p, h.organization_id).await?;
    let h = h.update(&ctx.db, &v.actor, new).await?;
    let village = villages::Entity::find_by_id(h.village_id)
        .one(&ctx.db)
        .await?;
    Ok(ok(HouseholdJson::new(&h, village.as_ref(), None)))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/v1/households")
        .add("/", get(list))
        .add("/", post(add))
        .add("/{pid}", get(show))
        .add("/{pid}", put(update))
        .add("/{pid}", patch(update))
}

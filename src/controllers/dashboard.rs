//! The officials' dashboard: every contract in force in the caller's
//! scope with its fulfilment, risks and call-backs, and charts (ECharts,
//! loaded on this page only) of delivery against pace and of visits by
//! month. Every figure links to the contract page and its drill-down.
use crate::{
    controllers::api::contracts::contract_json,
    errors::{AppError, AppResult},
    models::{
        callbacks,
        contracts::{self, Column, Entity},
        fulfilment,
        service_types::Catalogue,
    },
    web::{Page, Viewer},
};
use crate::{
    models::_entities::townships,
    web::input::{ListQuery, QueryParams},
};
use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

/// Contracts per page.
const PER_PAGE: &str = "10";

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let scoped = || {
        crate::models::scoped(Entity::find(), v.scope.contracts())
            .map(|f| f.filter(Column::Status.eq("active")))
            .ok_or(AppError::NotFound)
    };
    // Every township's contracts in force, summed from their kept totals.
    let all: Vec<contracts::Model> = scoped()?.all(&ctx.db).await?;
    let towns = fulfilment::by_township(&ctx.db, &all, crate::models::today()).await?;
    let places: Vec<townships::Model> = townships::Entity::find()
        .filter(townships::Column::Id.is_in(towns.iter().map(|t| t.township_id)))
        .order_by_asc(townships::Column::Name)
        .all(&ctx.db)
        .await?;
    let chosen = ListQuery::get(q.township.as_ref())
        .and_then(|p| uuid::Uuid::parse_str(p).ok())
        .and_then(|p| places.iter().find(|t| t.pid == p));
    let mut find = scoped()?;
    if let Some(t) = chosen {
        find = find.filter(Column::TownshipId.eq(t.id));
    }
    let page_request = crate::domain::pagination::PageRequest::parse(
        q.page.as_deref(),
        Some(q.per_page.as_deref().unwrap_or(PER_PAGE)),
    );
    let (rows, page) = crate::models::fetch_page(
        &ctx.db,
        find.order_by_asc(Column::TownshipId)
            .order_by_asc(Column::StartsOn)
            .order_by_asc(Column::Id),
        page_request,
    )
    .await?;
    let summaries: Vec<serde_json::Value> = places
        .iter()
        .filter_map(|t| {
            let s = towns.iter().find(|x| x.township_id == t.id)?;
            Some(
                json!({"pid": t.pid, "name": t.name, "contracts": s.contracts,
                        "total": crate::domain::money::format_yuan(s.total_fen),
                        "completed": s.completed, "due": s.due,
                        "completed_rate": s.rate(s.completed), "late_rate": s.rate(s.late),
                        "missed": s.missed}),
            )
        })
        .collect();
    let today = crate::models::today();
    let now = chrono::Utc::now();
    let names = Catalogue::load(&ctx.db).await?;
    let mut cards = Vec::with_capacity(rows.len());
    let mut charts = Vec::with_capacity(rows.len());
    for c in &rows {
        let report = fulfilment::report(&ctx.db, c, today, now).await?;
        let months = fulfilment::monthly(&ctx.db, c, today).await?;
        let calls = if v.scope.may_manage_contracts() {
            Some(callbacks::summary(
                &callbacks::of_contract(&ctx.db, c).await?,
            ))
        } else {
            None
        };
        let label = |i: &fulfilment::ItemReport| match (&i.service, &i.material_category) {
            (Some(s), _) => names.name(s, v.lang),
            (_, Some(m)) => crate::i18n::t(v.lang, &format!("material-{m}")),
            _ => String::new(),
        };
        let pct = |milli: i64, q: i64| {
            if q > 0 {
                (milli as f64 * 1000.0 / q as f64).round() / 10.0
            } else {
                0.0
            }
        };
        charts.push(json!({
            "id": format!("chart-{}", c.pid),
            "items": report.items.iter().map(&label).collect::<Vec<_>>(),
            "delivered": report.items.iter().map(|i| i.percent).collect::<Vec<_>>(),
            "expected": report.items.iter().map(|i| pct(i.expected_milli, i.quantity_milli)).collect::<Vec<_>>(),
            "forecast": report.items.iter().map(|i| pct(i.forecast_milli, i.quantity_milli)).collect::<Vec<_>>(),
            "months": months.iter().map(|m| m.month.clone()).collect::<Vec<_>>(),
            "completed": months.iter().map(|m| m.completed).collect::<Vec<_>>(),
            "attempted": months.iter().map(|m| m.attempted).collect::<Vec<_>>(),
            "missed": months.iter().map(|m| m.missed).collect::<Vec<_>>(),
            "late": months.iter().map(|m| m.late).collect::<Vec<_>>(),
        }));
        cards.push(json!({
            "contract": contract_json(&ctx, c).await?,
            "report": report,
            "callbacks": calls,
            "chart": format!("chart-{}", c.pid),
        }));
    }
    let labels = json!({
        "delivered": crate::i18n::t(v.lang, "dashboard-delivered"),
        "expected": crate::i18n::t(v.lang, "fulfilment-expected"),
        "forecast": crate::i18n::t(v.lang, "fulfilment-forecast"),
        "completed": crate::i18n::t(v.lang, "fulfilment-completed"),
        "attempted": crate::i18n::t(v.lang, "fulfilment-attempted"),
        "missed": crate::i18n::t(v.lang, "fulfilment-missed"),
        "late": crate::i18n::t(v.lang, "fulfilment-late"),
    });
    Ok(Page::new(
        "dashboard/show.html",
        json!({
            "townships": summaries,
            "chosen": chosen.map(|t| json!({"pid": t.pid, "name": t.name})),
            "page": page, "base_query": q.without_page(),
            "cards": cards,
            // Inside a <script> element: "</" must not close it.
            "charts": json!({"labels": labels, "charts": charts})
                .to_string()
                .replace("</", "<\\/"),
            "today": today,
            "service_names": names.names(v.lang),
        }),
    )
    .render(&v))
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", get(show))
}

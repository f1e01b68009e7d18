//! The officials' dashboard: every contract in force in the caller's
//! scope summed by township, then a page of contract cards with their
//! fulfilment, risks, call-backs and chart data (ECharts, loaded on that
//! page only). Every figure links to the contract page and its drill-down.
//!
//! The page's rows load their parties and call-backs one statement per
//! table, and the cards' fulfilment reports and monthly charts the
//! model's batched loaders (`fulfilment::reports`,
//! `fulfilment::monthly_of_all`): a fixed number of statements whatever
//! the number of cards.
use super::Ref;
use crate::{
    domain::{locale::Locale, money::format_yuan, pagination::PageRequest},
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        _entities::{contracts, organizations, townships},
        callbacks::Summary,
        fulfilment::{self, ItemReport, MonthStatus, Report, TownshipSummary},
        service_types::Catalogue,
    },
    policy::Scope,
    web::input::ListQuery,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Statement,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Contracts per page.
const PER_PAGE: &str = "10";

/// The call-backs a card's summary counts, per contract: the newest,
/// pending first, as `callbacks::of_contract` lists them.
const CALLBACKS_SUMMED: i64 = 200;

/// One township's contracts in force, summed.
#[derive(Debug, Serialize)]
pub struct TownshipLine {
    pub pid: uuid::Uuid,
    pub name: String,
    pub contracts: usize,
    pub total: String,
    pub completed: i64,
    pub due: i64,
    pub completed_rate: f64,
    pub late_rate: f64,
    pub missed: i64,
}

impl TownshipLine {
    fn new(t: &townships::Model, s: &TownshipSummary) -> Self {
        Self {
            pid: t.pid,
            name: t.name.clone(),
            contracts: s.contracts,
            total: format_yuan(s.total_fen),
            completed: s.completed,
            due: s.due,
            completed_rate: s.rate(s.completed),
            late_rate: s.rate(s.late),
            missed: s.missed,
        }
    }
}

/// What a card says of its contract.
#[derive(Debug, Serialize)]
pub struct CardContract {
    pub pid: uuid::Uuid,
    pub code: String,
    pub title: String,
    pub township: Option<Ref>,
    pub organization: Option<Ref>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// One contract's card.
#[derive(Debug, Serialize)]
pub struct Card {
    pub contract: CardContract,
    pub report: Report,
    /// For those who supervise (officials and admins) only.
    pub callbacks: Option<Summary>,
    /// The id of its chart's element.
    pub chart: String,
    /// Each item's delivery against pace, in percent of its quantity: the
    /// table behind the chart (the chart's own figures).
    pub pace: Vec<Pace>,
    /// The visits by month: the chart's, and the table behind it.
    pub months: Vec<MonthStatus>,
}

/// One item's row of the table behind a card's chart.
#[derive(Debug, Serialize)]
pub struct Pace {
    pub name: String,
    pub delivered: f64,
    pub expected: f64,
    pub forecast: f64,
}

/// The dashboard page's data.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub townships: Vec<TownshipLine>,
    pub chosen: Option<Ref>,
    pub page: crate::domain::pagination::PageInfo,
    pub base_query: String,
    pub cards: Vec<Card>,
    /// The charts' data as JSON, safe inside a `<script>` element.
    pub charts: String,
    pub today: NaiveDate,
    pub service_names: Value,
}

/// The dashboard of the caller's scope as of `today` (`now` separates
/// done from scheduled), for the page's template.
///
/// # Errors
/// `NotFound` for a caller who sees no contracts; database errors.
pub async fn load(
    db: &DatabaseConnection,
    scope: &Scope,
    lang: Locale,
    q: &ListQuery,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Value> {
    let in_force = || {
        crate::models::scoped(contracts::Entity::find(), scope.contracts())
            .map(|f| f.filter(contracts::Column::Status.eq("active")))
            .ok_or(AppError::NotFound)
    };
    // Every township's contracts in force, summed from their kept totals.
    let all: Vec<contracts::Model> = in_force()?.all(db).await?;
    let towns = fulfilment::by_township(db, &all, today).await?;
    let places: Vec<townships::Model> = townships::Entity::find()
        .filter(townships::Column::Id.is_in(towns.iter().map(|t| t.township_id)))
        .order_by_asc(townships::Column::Name)
        .all(db)
        .await?;
    let chosen = ListQuery::get(q.township.as_ref())
        .and_then(|p| uuid::Uuid::parse_str(p).ok())
        .and_then(|p| places.iter().find(|t| t.pid == p));
    let mut find = in_force()?;
    if let Some(t) = chosen {
        find = find.filter(contracts::Column::TownshipId.eq(t.id));
    }
    let (rows, page) = crate::models::fetch_page(
        db,
        find.order_by_asc(contracts::Column::TownshipId)
            .order_by_asc(contracts::Column::StartsOn)
            .order_by_asc(contracts::Column::Id),
        PageRequest::parse(
            q.page.as_deref(),
            Some(q.per_page.as_deref().unwrap_or(PER_PAGE)),
        ),
    )
    .await?;
    let names = Catalogue::load(db).await?;
    let mut cards = cards(db, scope, &rows, &places, today, now).await?;
    let charts = charts(lang, &names, &cards);
    for card in &mut cards {
        card.pace = pace(lang, &names, card);
    }
    let dashboard = Dashboard {
        townships: places
            .iter()
            .filter_map(|t| {
                let s = towns.iter().find(|x| x.township_id == t.id)?;
                Some(TownshipLine::new(t, s))
            })
            .collect(),
        chosen: chosen.map(|t| Ref {
            pid: t.pid,
            name: t.name.clone(),
        }),
        page,
        base_query: q.without_page(),
        cards,
        charts,
        today,
        service_names: names.names(lang),
    };
    serde_json::to_value(dashboard).map_err(|e| AppError::Internal(e.to_string()))
}

/// The cards of a page of contracts: parties, call-backs, reports and
/// months each one statement (or a few) for the whole page.
async fn cards(
    db: &DatabaseConnection,
    scope: &Scope,
    rows: &[contracts::Model],
    places: &[townships::Model],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<Card>> {
    // The page's contracts are in force, so their townships are among
    // `places`.
    let providers: HashMap<i64, organizations::Model> = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(rows.iter().map(|c| c.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut calls = if scope.may_manage_contracts() {
        Some(callback_summaries(db, rows).await?)
    } else {
        None
    };
    let reports = fulfilment::reports(db, rows, today, now).await?;
    let monthly = fulfilment::monthly_of_all(db, rows, today).await?;
    let mut out = Vec::with_capacity(rows.len());
    for ((c, report), months) in rows.iter().zip(reports).zip(monthly) {
        out.push(Card {
            contract: CardContract {
                pid: c.pid,
                code: c.code.clone(),
                title: c.title.clone(),
                township: places.iter().find(|t| t.id == c.township_id).map(|t| Ref {
                    pid: t.pid,
                    name: t.name.clone(),
                }),
                organization: providers.get(&c.organization_id).map(|o| Ref {
                    pid: o.pid,
                    name: o.name.clone(),
                }),
                starts_on: c.starts_on,
                ends_on: c.ends_on,
            },
            report,
            callbacks: calls.as_mut().map(|m| m.remove(&c.id).unwrap_or_default()),
            chart: format!("chart-{}", c.pid),
            pace: Vec::new(),
            months,
        });
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct CallbackRow {
    contract_id: i64,
    status: String,
    satisfaction: Option<i64>,
}

/// The call-back summary of each contract (`callbacks::summary` of what
/// `callbacks::of_contract` lists), in one statement.
async fn callback_summaries(
    db: &DatabaseConnection,
    rows: &[contracts::Model],
) -> AppResult<HashMap<i64, Summary>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let p = |i: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${i}"),
        _ => "?".to_string(),
    };
    let ids: Vec<String> = (1..=rows.len()).map(p).collect();
    let sql = format!(
        "SELECT r.contract_id, r.status, r.satisfaction FROM (\
           SELECT contract_id, visit_id, status, satisfaction, ROW_NUMBER() OVER (\
             PARTITION BY contract_id \
             ORDER BY CASE WHEN status = 'pending' THEN 1 ELSE 0 END DESC, id DESC) AS n \
           FROM callbacks WHERE contract_id IN ({})) r \
         JOIN visits v ON v.id = r.visit_id WHERE r.n <= {}",
        ids.join(", "),
        p(rows.len() + 1)
    );
    let values: Vec<sea_orm::Value> = rows
        .iter()
        .map(|c| c.id.into())
        .chain([CALLBACKS_SUMMED.into()])
        .collect();
    let mut by: HashMap<i64, Vec<(String, Option<i64>)>> = HashMap::new();
    for r in CallbackRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?
    {
        by.entry(r.contract_id)
            .or_default()
            .push((r.status, r.satisfaction));
    }
    Ok(by
        .into_iter()
        .map(|(id, list)| (id, summary(&list)))
        .collect())
}

/// `callbacks::summary` of call-backs given as status and satisfaction
/// (a test holds the two equal).
fn summary(list: &[(String, Option<i64>)]) -> Summary {
    let reached: Vec<i64> = list
        .iter()
        .filter(|(s, _)| s == "reached")
        .filter_map(|(_, n)| *n)
        .collect();
    Summary {
        sampled: list.len(),
        reached: list.iter().filter(|(s, _)| s == "reached").count(),
        unreachable: list.iter().filter(|(s, _)| s == "unreachable").count(),
        satisfaction: (!reached.is_empty()).then(|| {
            (reached.iter().sum::<i64>() as f64 * 10.0 / reached.len() as f64).round() / 10.0
        }),
    }
}

/// The series' names. Fields in alphabetical order, as the page's JSON
/// has always had them.
#[derive(Debug, Serialize)]
struct Labels {
    attempted: String,
    completed: String,
    delivered: String,
    expected: String,
    forecast: String,
    late: String,
    missed: String,
}

/// One card's chart: its items against pace (percent of the quantity)
/// and its visits by month. Fields in alphabetical order, as the page's
/// JSON has always had them.
#[derive(Debug, Serialize)]
struct Chart {
    attempted: Vec<i64>,
    completed: Vec<i64>,
    delivered: Vec<f64>,
    expected: Vec<f64>,
    forecast: Vec<f64>,
    id: String,
    items: Vec<String>,
    late: Vec<i64>,
    missed: Vec<i64>,
    months: Vec<String>,
}

/// The charts' data with the series' labels, as JSON to stand inside a
/// `<script>` element.
fn charts(lang: Locale, names: &Catalogue, cards: &[Card]) -> String {
    let labels = Labels {
        attempted: t(lang, "fulfilment-attempted"),
        completed: t(lang, "fulfilment-completed"),
        delivered: t(lang, "dashboard-delivered"),
        expected: t(lang, "fulfilment-expected"),
        forecast: t(lang, "fulfilment-forecast"),
        late: t(lang, "fulfilment-late"),
        missed: t(lang, "fulfilment-missed"),
    };
    let charts: Vec<Chart> = cards.iter().map(|c| chart(lang, names, c)).collect();
    // Inside a <script> element: "</" must not close it.
    json!({"labels": labels, "charts": charts})
        .to_string()
        .replace("</", "<\\/")
}

/// The rows of the table behind a card's chart: the chart's figures.
fn pace(lang: Locale, names: &Catalogue, card: &Card) -> Vec<Pace> {
    let c = chart(lang, names, card);
    c.items
        .into_iter()
        .enumerate()
        .map(|(k, name)| Pace {
            name,
            delivered: c.delivered[k],
            expected: c.expected[k],
            forecast: c.forecast[k],
        })
        .collect()
}

fn chart(lang: Locale, names: &Catalogue, card: &Card) -> Chart {
    let (items, months) = (&card.report.items, &card.months);
    let pct = |milli: i64, q: i64| {
        if q > 0 {
            (milli as f64 * 1000.0 / q as f64).round() / 10.0
        } else {
            0.0
        }
    };
    Chart {
        attempted: months.iter().map(|m| m.attempted).collect(),
        completed: months.iter().map(|m| m.completed).collect(),
        delivered: items.iter().map(|i| i.percent).collect(),
        expected: items
            .iter()
            .map(|i| pct(i.expected_milli, i.quantity_milli))
            .collect(),
        forecast: items
            .iter()
            .map(|i| pct(i.forecast_milli, i.quantity_milli))
            .collect(),
        id: card.chart.clone(),
        items: items
            .iter()
            .map(|i: &ItemReport| {
                super::export::item_name(
                    names,
                    lang,
                    i.service.as_deref(),
                    i.material_category.as_deref(),
                )
            })
            .collect(),
        late: months.iter().map(|m| m.late).collect(),
        missed: months.iter().map(|m| m.missed).collect(),
        months: months.iter().map(|m| m.month.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::summary;
    use crate::models::callbacks::{self, CallbackJson};
    use rstest::rstest;

    fn called(status: &str, satisfaction: Option<i64>) -> CallbackJson {
        CallbackJson {
            pid: uuid::Uuid::nil(),
            status: status.to_string(),
            satisfaction,
            note: None,
            called_at: None,
            visit: uuid::Uuid::nil(),
            visit_day: String::new(),
            recipient: None,
            phone: None,
        }
    }

    #[rstest]
    #[case::none(&[])]
    #[case::pending_only(&[("pending", None), ("pending", None)])]
    #[case::one_reached(&[("reached", Some(4)), ("unreachable", None), ("pending", None)])]
    #[case::an_average_to_round(&[("reached", Some(5)), ("reached", Some(4)), ("reached", Some(4))])]
    #[case::reached_without_a_score(&[("reached", None), ("reached", Some(2))])]
    fn the_batched_summary_agrees_with_the_models(#[case] list: &[(&str, Option<i64>)]) {
        let pairs: Vec<(String, Option<i64>)> =
            list.iter().map(|(s, n)| ((*s).to_string(), *n)).collect();
        let full: Vec<CallbackJson> = list.iter().map(|(s, n)| called(s, *n)).collect();
        assert_eq!(
            serde_json::to_value(summary(&pairs)).ok(),
            serde_json::to_value(callbacks::summary(&full)).ok()
        );
    }
}

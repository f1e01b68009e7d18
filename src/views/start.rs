//! The start page (`/`) of each role: its work, each figure a link to the
//! list it counts, with the first few items.
//!
//! - coordinator: unassigned and conflicting visits of the coming 7 days,
//!   missed visits of the last 14, open referrals, contract risks;
//! - official: contract risks, months due for acceptance, pending
//!   amendments, open and overdue referrals, missed visits;
//! - admin: the official's view over every township, and the admin tiles.
//!
//! (A worker's start page is `/today`.) Everything runs through the
//! caller's scope, as the lists it links to do, and with a fixed number of
//! statements: the visits' related rows in one query per table
//! (`views::board::describe`), acceptances and amendments one query each;
//! the risk reports a few statements per contract for at most
//! `RISK_CONTRACTS` contracts in force (the dashboard has the rest).
use super::board::{describe, BoardVisit};
use crate::{
    domain::{
        acceptance_due::months_due, fulfilment::Period, pagination::PageRequest, role::Role,
        visit::VisitStatus,
    },
    errors::{AppError, AppResult},
    models::{
        _entities::{acceptances, contract_versions, contracts, townships},
        fulfilment, referrals, scoped,
        visits::{self, Conflict, Flag},
    },
    web::Viewer,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Items shown under each figure.
const FIRST: usize = 3;
/// Contracts in force whose risks the start page works out (those ending
/// first).
pub const RISK_CONTRACTS: u64 = 10;
/// Days ahead checked for unassigned and conflicting visits.
const COMING_DAYS: i64 = 7;
/// Days back of missed visits (as `/attention`).
const MISSED_DAYS: i64 = 14;

/// A figure: how many, the list it counts, the first few.
#[derive(Debug, Serialize)]
struct Figure<T: Serialize> {
    total: u64,
    href: String,
    first: Vec<T>,
}

/// A contract named on the start page with what is wrong.
#[derive(Debug, Serialize)]
struct ContractLine {
    pid: uuid::Uuid,
    code: String,
    title: String,
    township: String,
    /// Risk keys (`risk-*`), or months due (`2026-11`), or pending
    /// amendments.
    risks: Vec<&'static str>,
    months: Vec<String>,
    pending: usize,
}

/// The start page's data for the caller at `now`.
///
/// # Errors
/// `NotFound` for a worker (whose start page is `/today`); database
/// errors.
pub async fn load(ctx: &AppContext, v: &Viewer, now: DateTime<Utc>) -> AppResult<Value> {
    let role = v.scope.role();
    if role == Role::Worker {
        return Err(AppError::NotFound);
    }
    let today = now.with_timezone(&crate::zone::display()).date_naive();
    let mut out = json!({
        "role": role.as_str(), "today": today,
        "unassigned": null, "conflicting": null, "contracts": null, "overdue": null,
        "proposals": null,
    });
    let put = |out: &mut Value, k: &str, val: Value| {
        if let Some(m) = out.as_object_mut() {
            m.insert(k.into(), val);
        }
    };
    if role == Role::Coordinator {
        let (unassigned, conflicting) = coming(ctx, v, now).await?;
        put(&mut out, "unassigned", json!(unassigned));
        put(&mut out, "conflicting", json!(conflicting));
    }
    put(&mut out, "missed", json!(missed(ctx, v, now).await?));
    put(
        &mut out,
        "referrals",
        json!(open_referrals(ctx, v, today).await?),
    );
    if v.scope.may_manage_referrals() {
        put(
            &mut out,
            "overdue",
            json!(overdue_referrals(ctx, v, today).await?),
        );
    }
    if v.scope.may_register_recipients() {
        put(
            &mut out,
            "proposals",
            json!(Figure::<()> {
                total: crate::models::proposals::pending_count(&ctx.db, &v.scope).await?,
                href: "/proposals".into(),
                first: Vec::new(),
            }),
        );
    }
    let contracts = contract_work(ctx, v, role, today, now).await?;
    put(&mut out, "contracts", contracts);
    Ok(out)
}

/// Unassigned and conflicting visits of the coming days.
async fn coming(
    ctx: &AppContext,
    v: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<(Figure<BoardVisit>, Figure<BoardVisit>)> {
    let (rows, found, _) = visits::board(
        &ctx.db,
        &v.scope,
        now,
        now + Duration::days(COMING_DAYS),
        None,
    )
    .await?;
    let unassigned: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].worker_id.is_none() && rows[i].status() != VisitStatus::Cancelled)
        .collect();
    let mut conflicted: Vec<usize> = found.iter().map(|c| c.index).collect();
    conflicted.sort_unstable();
    conflicted.dedup();
    // One description of both lists' first few.
    let shown: Vec<usize> = unassigned
        .iter()
        .take(FIRST)
        .chain(conflicted.iter().take(FIRST))
        .copied()
        .collect();
    let picked: Vec<visits::Model> = shown.iter().map(|&i| rows[i].clone()).collect();
    let conflicts: Vec<Conflict> = found
        .iter()
        .flat_map(|c| {
            shown
                .iter()
                .enumerate()
                .filter(move |(_, i)| **i == c.index)
                .map(move |(j, _)| Conflict {
                    index: j,
                    ..c.clone()
                })
        })
        .collect();
    let mut described = describe(ctx, v, &picked, &conflicts).await?.into_iter();
    let first_unassigned: Vec<BoardVisit> = described
        .by_ref()
        .take(unassigned.len().min(FIRST))
        .collect();
    let first_conflicted: Vec<BoardVisit> = described.collect();
    Ok((
        Figure {
            total: unassigned.len() as u64,
            href: "/board".into(),
            first: first_unassigned,
        },
        Figure {
            total: conflicted.len() as u64,
            href: "/board".into(),
            first: first_conflicted,
        },
    ))
}

/// Missed visits of the last days, newest first.
async fn missed(ctx: &AppContext, v: &Viewer, now: DateTime<Utc>) -> AppResult<Figure<BoardVisit>> {
    let per_page = FIRST.to_string();
    let req = PageRequest::parse(None, Some(per_page.as_str()));
    let (rows, page) = visits::flagged(
        &ctx.db,
        &v.scope,
        Flag::Missed,
        now - Duration::days(MISSED_DAYS),
        req,
    )
    .await?;
    Ok(Figure {
        total: page.total,
        href: "/attention#missed".into(),
        first: describe(ctx, v, &rows, &[]).await?,
    })
}

/// Open referrals: how many (the list names people, so it stays there).
async fn open_referrals(ctx: &AppContext, v: &Viewer, today: NaiveDate) -> AppResult<Figure<()>> {
    Ok(Figure {
        total: referrals::count(&ctx.db, &v.scope, referrals::Filter::Open, today).await?,
        href: "/referrals".into(),
        first: Vec::new(),
    })
}

/// Overdue referrals (open, due before today), for those who work them:
/// how many, linking to the list filtered to them.
async fn overdue_referrals(
    ctx: &AppContext,
    v: &Viewer,
    today: NaiveDate,
) -> AppResult<Figure<()>> {
    Ok(Figure {
        total: referrals::count(&ctx.db, &v.scope, referrals::Filter::Overdue, today).await?,
        href: "/referrals?overdue=true".into(),
        first: Vec::new(),
    })
}

/// The contracts in force: risks (of the `RISK_CONTRACTS` ending first),
/// and for those who supervise them, months due for acceptance and
/// pending amendments.
async fn contract_work(
    ctx: &AppContext,
    v: &Viewer,
    role: Role,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Value> {
    let Some(find) = scoped(contracts::Entity::find(), v.scope.contracts()) else {
        return Ok(Value::Null);
    };
    let db = &ctx.db;
    let in_force: Vec<contracts::Model> = find
        .filter(contracts::Column::Status.eq("active"))
        .order_by_asc(contracts::Column::EndsOn)
        .order_by_asc(contracts::Column::Id)
        .all(db)
        .await?;
    let places: HashMap<i64, String> = townships::Entity::find()
        .filter(townships::Column::Id.is_in(in_force.iter().map(|c| c.township_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let line = |c: &contracts::Model| ContractLine {
        pid: c.pid,
        code: c.code.clone(),
        title: c.title.clone(),
        township: places.get(&c.township_id).cloned().unwrap_or_default(),
        risks: Vec::new(),
        months: Vec::new(),
        pending: 0,
    };
    let mut risky = Vec::new();
    for c in in_force
        .iter()
        .take(usize::try_from(RISK_CONTRACTS).unwrap_or(usize::MAX))
    {
        let report = fulfilment::report(db, c, today, now).await?;
        if !report.risks.is_empty() {
            risky.push(ContractLine {
                risks: report.risks,
                ..line(c)
            });
        }
    }
    let supervises = matches!(role, Role::Official | Role::Admin);
    let (mut due, mut pending) = (Vec::new(), Vec::new());
    if supervises && !in_force.is_empty() {
        let ids: Vec<i64> = in_force.iter().map(|c| c.id).collect();
        let mut accepted: HashMap<i64, NaiveDate> = HashMap::new();
        for (id, end) in acceptances::Entity::find()
            .select_only()
            .column(acceptances::Column::ContractId)
            .column(acceptances::Column::PeriodEnd)
            .filter(acceptances::Column::ContractId.is_in(ids.clone()))
            .into_tuple::<(i64, NaiveDate)>()
            .all(db)
            .await?
        {
            let e = accepted.entry(id).or_insert(end);
            *e = (*e).max(end);
        }
        let mut waiting: HashMap<i64, usize> = HashMap::new();
        for id in contract_versions::Entity::find()
            .select_only()
            .column(contract_versions::Column::ContractId)
            .filter(contract_versions::Column::ContractId.is_in(ids))
            .filter(contract_versions::Column::Status.eq("pending"))
            .into_tuple::<i64>()
            .all(db)
            .await?
        {
            *waiting.entry(id).or_default() += 1;
        }
        for c in &in_force {
            let period = Period {
                start: c.starts_on,
                end: c.ends_on,
            };
            let months = months_due(period, accepted.get(&c.id).copied(), today);
            if !months.is_empty() {
                due.push(ContractLine {
                    months: months.iter().map(|(y, m)| format!("{y}-{m:02}")).collect(),
                    ..line(c)
                });
            }
            if let Some(&n) = waiting.get(&c.id) {
                pending.push(ContractLine {
                    pending: n,
                    ..line(c)
                });
            }
        }
    }
    let figure = |list: Vec<ContractLine>, href: &str| {
        let total = list.len();
        json!({"total": total, "href": href, "first": list.into_iter().take(FIRST).collect::<Vec<_>>()})
    };
    Ok(json!({
        "in_force": in_force.len(),
        "checked": in_force.len().min(usize::try_from(RISK_CONTRACTS).unwrap_or(usize::MAX)),
        "risks": figure(risky, "/dashboard"),
        "due": supervises.then(|| figure(due, "/contracts")),
        "pending": supervises.then(|| figure(pending, "/contracts")),
    }))
}

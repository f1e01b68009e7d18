//! Benchmark visits: for every township with recipients, a contract in
//! force over the last year covering them all, and `n` visits spread over
//! that year (about 80 % completed, each with three service lines and one
//! material line; the rest attempted, missed, cancelled or refused, some
//! late). Rows go in with `INSERT` batches and explicit ids.
use super::names::Rng;
use crate::domain::visit::VisitStatus;
use crate::{
    errors::AppResult,
    models::{
        _entities::{
            contract_items, contract_recipients, contracts, recipients, users,
            visit_material_lines, visit_service_lines, visits,
        },
        Actor,
    },
};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

const BATCH: usize = 1000;

async fn next_id<C: ConnectionTrait>(db: &C, table: &str) -> AppResult<i64> {
    #[derive(Debug, sea_orm::FromQueryResult)]
    struct Max {
        m: Option<i64>,
    }
    let sql = format!("SELECT CAST(MAX(id) AS BIGINT) AS m FROM {table}");
    let found = <Max as sea_orm::FromQueryResult>::find_by_statement(
        sea_orm::Statement::from_string(db.get_database_backend(), sql),
    )
    .one(db)
    .await?;
    Ok(found.and_then(|x| x.m).unwrap_or(0) + 1)
}

/// Moves PostgreSQL's id sequences past rows inserted with explicit ids.
async fn resync<C: ConnectionTrait>(db: &C, tables: &[&str]) -> AppResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for t in tables {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"
        ))
        .await?;
    }
    Ok(())
}

/// Writes the benchmark contracts (one per township and provider, in
/// force, covering the provider's people there) and `n` visits (none when
/// `n` is 0). Returns (contracts, visits, lines).
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_lines)]
pub async fn perf_visits(
    db: &DatabaseConnection,
    n: usize,
    seed: u64,
) -> AppResult<(usize, usize, usize)> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let today = crate::models::today();
    let start = today - Duration::days(365);
    let now = Utc::now();
    // Recipients by township and provider.
    let people: Vec<(i64, i64, i64, Option<i64>)> = recipients::Entity::find()
        .select_only()
        .column(recipients::Column::Id)
        .column(recipients::Column::HouseholdId)
        .column(recipients::Column::TownshipId)
        .column(recipients::Column::OrganizationId)
        .filter(recipients::Column::OrganizationId.is_not_null())
        .order_by_asc(recipients::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if people.is_empty() {
        return Ok((0, 0, 0));
    }
    let mut by_town: std::collections::BTreeMap<(i64, i64), Vec<(i64, i64)>> =
        std::collections::BTreeMap::new();
    for (id, household, town, org) in &people {
        if let Some(org) = org {
            by_town
                .entry((*town, *org))
                .or_default()
                .push((*id, *household));
        }
    }
    let workers: Vec<(i64, Option<i64>)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::OrganizationId)
        .filter(users::Column::Role.eq("worker"))
        .into_tuple()
        .all(db)
        .await?;
    let actor = Actor::system("perf:seed");
    let txn = db.begin().await?;
    let mut contracts_made = Vec::new();
    for (i, ((town, org), members)) in by_town.iter().enumerate() {
        let k = i64::try_from(members.len()).unwrap_or(1);
        let c = sea_orm::ActiveModelTrait::insert(
            contracts::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                township_id: Set(*town),
                organization_id: Set(*org),
                code: Set(format!("PERF-{}-{i}", uuid::Uuid::new_v4().simple())),
                title: Set(format!("性能测试合同{i}")),
                procurement_method: Set("competitive_consultation".into()),
                signed_on: Set(start - Duration::days(10)),
                starts_on: Set(start),
                ends_on: Set(start + Duration::days(729)),
                total_fen: Set(k * 1_000_000),
                status: Set("active".into()),
                min_visits_per_month: Set(Some(2)),
                min_visit_minutes: Set(Some(30)),
                max_late_percent: Set(Some(10)),
                version: Set(1),
                ..Default::default()
            },
            &txn,
        )
        .await?;
        for (position, (service, category, unit, q, price)) in [
            (Some("daily_care"), None, "visit", 24, 8000),
            (Some("emotional_support"), None, "hour", 12, 6000),
            (Some("home_visit"), None, "session", 24, 3000),
            (None, Some("food"), "yuan", 600, 100),
        ]
        .into_iter()
        .enumerate()
        {
            sea_orm::ActiveModelTrait::insert(
                contract_items::ActiveModel {
                    pid: Set(uuid::Uuid::new_v4()),
                    contract_id: Set(c.id),
                    position: Set(i64::try_from(position).unwrap_or(0) + 1),
                    service: Set(service.map(str::to_string)),
                    material_category: Set(category.map(str::to_string)),
                    unit: Set(unit.into()),
                    quantity_milli: Set(k * q * 1000),
                    unit_price_fen: Set(price),
                    min_minutes: Set((unit == "visit").then_some(30)),
                    ..Default::default()
                },
                &txn,
            )
            .await?;
        }
        for chunk in members.chunks(BATCH) {
            contract_recipients::Entity::insert_many(chunk.iter().map(|(id, _)| {
                contract_recipients::ActiveModel {
                    contract_id: Set(c.id),
                    recipient_id: Set(*id),
                    created_at: Set(now.into()),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        contracts_made.push((c.id, *town, *org));
    }
    crate::models::audit_logs::record(
        &txn,
        &actor,
        crate::models::audit_logs::Action::Create,
        "contracts",
        None,
        &serde_json::json!({"perf_contracts": contracts_made.len()}),
    )
    .await?;
    txn.commit().await?;
    if n == 0 {
        return Ok((contracts_made.len(), 0, 0));
    }

    let towns: Vec<_> = by_town.iter().collect();
    let mut visit_id = next_id(db, "visits").await?;
    let (mut made, mut lines) = (0, 0);
    while made < n {
        let count = BATCH.min(n - made);
        let mut vs = Vec::with_capacity(count);
        let mut services = Vec::with_capacity(count * 3);
        let mut materials = Vec::with_capacity(count);
        for _ in 0..count {
            let ((town, org), members) = towns[rng.below(towns.len())];
            let (recipient, household) = members[rng.below(members.len())];
            let worker = workers
                .iter()
                .filter(|w| w.1 == Some(*org))
                .nth(rng.below(8))
                .or_else(|| workers.first())
                .map(|w| w.0);
            let day = start + Duration::days(i64::try_from(rng.below(365)).unwrap_or(0));
            let at = crate::domain::recurrence::resolve(
                crate::zone::display(),
                day.and_hms_opt(8 + u32::try_from(rng.below(9)).unwrap_or(0), 0, 0)
                    .unwrap_or_default(),
            );
            let roll = rng.below(100);
            let status = match roll {
                0..=79 => VisitStatus::Completed,
                80..=86 => VisitStatus::Attempted,
                87..=88 => VisitStatus::Refused,
                89..=94 => VisitStatus::Missed,
                _ => VisitStatus::Cancelled,
            };
            let late = status == VisitStatus::Missed || rng.below(100) < 10;
            vs.push(visits::ActiveModel {
                id: Set(visit_id),
                pid: Set(uuid::Uuid::new_v4()),
                organization_id: Set(*org),
                recipient_id: Set(Some(recipient)),
                household_id: Set(household),
                township_id: Set(*town),
                worker_id: Set(worker),
                starts_at: Set(at.into()),
                ends_at: Set((at + Duration::hours(1)).into()),
                tzid: Set("Asia/Shanghai".into()),
                status: Set(status.as_str().into()),
                exception: Set(false),
                late: Set(late),
                location_exception: Set(rng.below(100) < 4),
                ..Default::default()
            });
            if status == VisitStatus::Completed {
                for (service, minutes) in [
                    ("daily_care", 30 + rng.below(31)),
                    ("emotional_support", 15 + rng.below(31)),
                    ("home_visit", 10 + rng.below(11)),
                ] {
                    services.push(visit_service_lines::ActiveModel {
                        visit_id: Set(visit_id),
                        service: Set(service.into()),
                        minutes: Set(i64::try_from(minutes).unwrap_or(30)),
                        created_at: Set(at.into()),
                        ..Default::default()
                    });
                }
                materials.push(visit_material_lines::ActiveModel {
                    visit_id: Set(visit_id),
                    item: Set("大米".into()),
                    category: Set("food".into()),
                    quantity_milli: Set(10_000),
                    unit: Set("斤".into()),
                    value_fen: Set(3000 + 100 * i64::try_from(rng.below(70)).unwrap_or(0)),
                    funding: Set(if rng.below(10) == 0 {
                        "donation"
                    } else {
                        "contract"
                    }
                    .into()),
                    donor: Set(None),
                    created_at: Set(at.into()),
                    ..Default::default()
                });
            }
            visit_id += 1;
        }
        lines += services.len() + materials.len();
        made += count;
        let txn = db.begin().await?;
        visits::Entity::insert_many(vs)
            .exec_without_returning(&txn)
            .await?;
        if !services.is_empty() {
            visit_service_lines::Entity::insert_many(services)
                .exec_without_returning(&txn)
                .await?;
        }
        if !materials.is_empty() {
            visit_material_lines::Entity::insert_many(materials)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    resync(db, &["visits"]).await?;
    // The contracts' kept totals, as a change of their terms would build them.
    for (id, _, _) in &contracts_made {
        if let Some(c) = contracts::Entity::find_by_id(*id).one(db).await? {
            let txn = db.begin().await?;
            crate::models::fulfilment::rebuild(&txn, &c).await?;
            txn.commit().await?;
        }
    }
    Ok((contracts_made.len(), made, lines))
}

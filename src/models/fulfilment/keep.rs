//! Keeping a contract's totals (`fulfilment_days`, `fulfilment_months`):
//! each write to a visit moves them by the difference of what the visit
//! counted before and after; a rebuild sums the contract's visits a month
//! at a time. Both go through `domain::counting`.
use super::{count, Sql};
use crate::{
    domain::{
        counting::{DayFigures, DayKey, MonthKey, Totals},
        fulfilment::Period,
    },
    errors::AppResult,
    models::_entities::contracts,
};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::json;

/// Rows per INSERT statement (8 binds a row: within every backend's limit).
const CHUNK: usize = 500;

/// Rows per INSERT statement on PostgreSQL, where the rows travel as one
/// JSON parameter: with 500 rows and 2,000 parameters a statement cost
/// about 45 ms on the client's side, and writing a rebuild's 22,000 month
/// rows took 2.7 s; as JSON, 0.35 s (README → Benchmarks).
const JSON_CHUNK: usize = 5_000;

/// A PostgreSQL statement whose one parameter `$1` is `rows` as JSON.
fn json_statement(sql: &str, rows: Vec<serde_json::Value>) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        [serde_json::Value::Array(rows).to_string().into()],
    )
}

/// How written rows meet rows already kept.
#[derive(Clone, Copy)]
enum Mode {
    /// Added to them (a write's difference).
    Add,
    /// Replace them (a rebuild: its rows replace any a concurrent write
    /// added meanwhile; that write is in the rebuild's count once it has
    /// committed).
    Replace,
}

async fn write_days<C: ConnectionTrait>(
    db: &C,
    rows: &[(&DayKey, &DayFigures)],
    mode: Mode,
) -> AppResult<()> {
    let set = match mode {
        Mode::Add => {
            "n = fulfilment_days.n + excluded.n, late = fulfilment_days.late + excluded.late, \
             exceptions = fulfilment_days.exceptions + excluded.exceptions"
        }
        Mode::Replace => "n = excluded.n, late = excluded.late, exceptions = excluded.exceptions",
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for chunk in rows.chunks(JSON_CHUNK) {
            let json: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(k, f)| json!([k.0, k.1, k.2, k.3, k.4, f.0, f.1, f.2]))
                .collect();
            let sql = format!(
                "INSERT INTO fulfilment_days (contract_id, day, kind, key, donor, n, late, exceptions) \
                 SELECT (r->>0)::bigint, (r->>1)::date, r->>2, r->>3, r->>4, (r->>5)::bigint, \
                 (r->>6)::bigint, (r->>7)::bigint FROM jsonb_array_elements(CAST($1 AS jsonb)) AS r \
                 ON CONFLICT (contract_id, day, kind, key, donor) DO UPDATE SET {set}"
            );
            db.execute_raw(json_statement(&sql, json)).await?;
        }
        return Ok(());
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = Sql::new(db.get_database_backend());
        let values: Vec<String> = chunk
            .iter()
            .map(|(k, f)| {
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {})",
                    q.p(k.0),
                    q.p(k.1),
                    q.p(k.2),
                    q.p(k.3.clone()),
                    q.p(k.4.clone()),
                    q.p(f.0),
                    q.p(f.1),
                    q.p(f.2)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO fulfilment_days (contract_id, day, kind, key, donor, n, late, exceptions) \
             VALUES {} ON CONFLICT (contract_id, day, kind, key, donor) DO UPDATE SET {set}",
            values.join(", ")
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    Ok(())
}

async fn write_months<C: ConnectionTrait>(
    db: &C,
    rows: &[(&MonthKey, &i64)],
    mode: Mode,
) -> AppResult<()> {
    let set = match mode {
        Mode::Add => "completed = fulfilment_months.completed + excluded.completed",
        Mode::Replace => "completed = excluded.completed",
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for chunk in rows.chunks(JSON_CHUNK) {
            let json: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(k, n)| json!([k.0, k.1, k.2, n]))
                .collect();
            let sql = format!(
                "INSERT INTO fulfilment_months (contract_id, recipient_id, month, completed) \
                 SELECT (r->>0)::bigint, (r->>1)::bigint, r->>2, (r->>3)::bigint \
                 FROM jsonb_array_elements(CAST($1 AS jsonb)) AS r \
                 ON CONFLICT (contract_id, month, recipient_id) DO UPDATE SET {set}"
            );
            db.execute_raw(json_statement(&sql, json)).await?;
        }
        return Ok(());
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = Sql::new(db.get_database_backend());
        let values: Vec<String> = chunk
            .iter()
            .map(|(k, n)| {
                format!(
                    "({}, {}, {}, {})",
                    q.p(k.0),
                    q.p(k.1),
                    q.p(k.2.clone()),
                    q.p(**n)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO fulfilment_months (contract_id, recipient_id, month, completed) \
             VALUES {} ON CONFLICT (contract_id, month, recipient_id) DO UPDATE SET {set}",
            values.join(", ")
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    Ok(())
}

async fn write<C: ConnectionTrait>(db: &C, t: &Totals, mode: Mode) -> AppResult<()> {
    let days: Vec<_> = t.days.iter().collect();
    write_days(db, &days, mode).await?;
    let months: Vec<_> = t.months.iter().collect();
    write_months(db, &months, mode).await
}

/// Moves the kept totals from what a visit added before a write to what
/// it adds after (inside the write's transaction). Each row changes by
/// the difference, atomically in the database, so concurrent writes to
/// one contract's day add up without waiting for each other.
///
/// # Errors
/// Database errors.
pub async fn apply<C: ConnectionTrait>(db: &C, before: &Totals, after: &Totals) -> AppResult<()> {
    write(db, &Totals::change(before, after), Mode::Add).await
}

/// Counts a visit written straight to the database (tests, bulk loads):
/// what it adds, from nothing.
///
/// # Errors
/// Database errors.
pub async fn count_new<C: ConnectionTrait>(db: &C, visit_id: i64) -> AppResult<()> {
    apply(
        db,
        &Totals::default(),
        &count::totals_of(db, visit_id).await?,
    )
    .await
}

/// Rebuilds every total of `c` from its visits (inside the caller's
/// transaction): after a change of its terms, coverage or period. The
/// visits are read a month at a time and counted by the same rule as a
/// single write; the sums are written in bulk.
///
/// # Errors
/// Database errors.
pub async fn rebuild<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<()> {
    crate::models::audit_logs::lock_chain(db).await?;
    let backend = db.get_database_backend();
    for table in ["fulfilment_days", "fulfilment_months"] {
        let mut q = Sql::new(backend);
        let sql = format!("DELETE FROM {table} WHERE contract_id = {}", q.p(c.id));
        db.execute_raw(q.statement(&sql)).await?;
    }
    let tl = super::timeline(db, c).await?;
    let rule = count::rule_of(c, &tl);
    let covers = count::covers_of(db, c).await?;
    let mut totals = Totals::default();
    if !covers.is_empty() {
        let period = Period {
            start: c.starts_on,
            end: c.ends_on,
        };
        for (y, m) in period.months() {
            let Some(first) = NaiveDate::from_ymd_opt(y, m, 1) else {
                continue;
            };
            let first = first.max(c.starts_on);
            let last = crate::domain::fulfilment::month_end(y, m).min(c.ends_on);
            count::add_days(db, c, &rule, &covers, (first, last), &mut totals).await?;
        }
    }
    write(db, &totals.without_zeros(), Mode::Replace).await
}

/// Rebuilds the totals of every contract; returns how many.
///
/// # Errors
/// Database errors.
pub async fn rebuild_all(db: &sea_orm::DatabaseConnection) -> AppResult<usize> {
    use sea_orm::{EntityTrait, TransactionTrait};
    let all = contracts::Entity::find().all(db).await?;
    for c in &all {
        let txn = db.begin().await?;
        rebuild(&txn, c).await?;
        txn.commit().await?;
    }
    Ok(all.len())
}

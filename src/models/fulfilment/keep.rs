//! Keeping a contract's totals (`fulfilment_days`, `fulfilment_months`):
//! each write to a visit moves them by the difference of what the visit
//! counted before and after; a rebuild sums the contract's visits and
//! writes what differs from the kept rows. Both go through
//! `domain::counting`.
use super::{count, Sql};
use crate::{
    domain::counting::{self, DayFigures, DayKey, MonthKey, Totals},
    errors::AppResult,
    models::_entities::contracts,
};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, StreamTrait};
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

async fn write_days<C: ConnectionTrait>(db: &C, rows: &[(&DayKey, &DayFigures)]) -> AppResult<()> {
    let set = "n = fulfilment_days.n + excluded.n, late = fulfilment_days.late + excluded.late, \
               exceptions = fulfilment_days.exceptions + excluded.exceptions";
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

async fn write_months<C: ConnectionTrait>(db: &C, rows: &[(&MonthKey, &i64)]) -> AppResult<()> {
    let set = "completed = fulfilment_months.completed + excluded.completed";
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for chunk in rows.chunks(JSON_CHUNK) {
            let json: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(k, n)| json!([k.0, k.1, k.2, n]))
                .collect();
            let sql = format!(
                "INSERT INTO fulfilment_months (contract_id, month, recipient_id, completed) \
                 SELECT (r->>0)::bigint, r->>1, (r->>2)::bigint, (r->>3)::bigint \
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
                    q.p(k.1.clone()),
                    q.p(k.2),
                    q.p(**n)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO fulfilment_months (contract_id, month, recipient_id, completed) \
             VALUES {} ON CONFLICT (contract_id, month, recipient_id) DO UPDATE SET {set}",
            values.join(", ")
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    Ok(())
}

/// Adds `t` to the kept totals, row by row, each table in the order of
/// its unique index (a `DayKey` and a `MonthKey` are the index's columns
/// in order, so the maps iterate that way). On SQLite a new row's rowid
/// follows the order of writing, and the compliance count reads the
/// month rows through that index: month rows once written by (recipient,
/// month) left a contract's month scattered over the table, and after a
/// rebuild from nothing the fulfilment page took 24–25 ms at p50 against
/// 18.8 (README → "The rebuild rewritten"). One order for every writer
/// also means two transactions never take the same rows' locks in
/// opposite orders.
async fn add<C: ConnectionTrait>(db: &C, t: &Totals) -> AppResult<()> {
    let days: Vec<_> = t.days.iter().collect();
    write_days(db, &days).await?;
    let months: Vec<_> = t.months.iter().collect();
    write_months(db, &months).await
}

/// Moves the kept totals from what a visit added before a write to what
/// it adds after (inside the write's transaction). Each row changes by
/// the difference, atomically in the database, so concurrent writes to
/// one contract's day add up without waiting for each other.
///
/// # Errors
/// Database errors.
pub async fn apply<C: ConnectionTrait>(db: &C, before: &Totals, after: &Totals) -> AppResult<()> {
    add(db, &Totals::change(before, after)).await
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

#[derive(FromQueryResult)]
struct KeptDay {
    day: NaiveDate,
    kind: String,
    key: String,
    donor: String,
    n: i64,
    late: i64,
    exceptions: i64,
}

#[derive(FromQueryResult)]
struct KeptMonth {
    recipient_id: i64,
    month: String,
    completed: i64,
}

/// The totals kept for `c` now.
async fn kept_of<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<Totals> {
    let backend = db.get_database_backend();
    let mut out = Totals::default();
    let mut q = Sql::new(backend);
    let sql = format!(
        "SELECT day, kind, key, donor, n, late, exceptions FROM fulfilment_days \
         WHERE contract_id = {}",
        q.p(c.id)
    );
    for r in KeptDay::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        // Only counting writes these rows, so every kind is one of its own.
        if let Some(kind) = counting::day_kind(&r.kind) {
            out.days.insert(
                (c.id, r.day, kind, r.key, r.donor),
                (r.n, r.late, r.exceptions),
            );
        }
    }
    let mut q = Sql::new(backend);
    let sql = format!(
        "SELECT recipient_id, month, completed FROM fulfilment_months WHERE contract_id = {}",
        q.p(c.id)
    );
    for r in KeptMonth::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        out.months
            .insert((c.id, r.month, r.recipient_id), r.completed);
    }
    Ok(out)
}

/// What the visits of `c` add to its totals.
async fn count_all<C: ConnectionTrait + StreamTrait>(
    db: &C,
    c: &contracts::Model,
) -> AppResult<Totals> {
    let tl = super::timeline(db, c).await?;
    let rule = count::rule_of(c, &tl);
    let covers = count::covers_of(db, c).await?;
    let mut totals = Totals::default();
    if !covers.is_empty() {
        count::add_period(db, c, &rule, &covers, &mut totals).await?;
    }
    Ok(totals)
}

/// Rebuilds every total of `c` from its visits (inside the caller's
/// transaction): after a change of its terms, coverage or period. The
/// visits are streamed by one statement and counted by the same rule as
/// a single write; only the rows whose figures differ from what is kept are
/// written (by their difference, as a write to a visit does), and rows
/// left at nothing are removed.
///
/// A rebuild holds the audit chain's lock from the start, and every write
/// to a visit takes it before it moves a total, so no such write runs
/// between reading what is kept and writing the difference.
///
/// # Errors
/// Database errors.
pub async fn rebuild<C: ConnectionTrait + StreamTrait>(
    db: &C,
    c: &contracts::Model,
) -> AppResult<()> {
    crate::models::audit_logs::lock_chain(db).await?;
    let counted = count_all(db, c).await?;
    let kept = kept_of(db, c).await?;
    add(db, &Totals::change(&kept, &counted)).await?;
    let backend = ConnectionTrait::get_database_backend(db);
    for (table, nothing) in [
        ("fulfilment_days", "n = 0 AND late = 0 AND exceptions = 0"),
        ("fulfilment_months", "completed = 0"),
    ] {
        let mut q = Sql::new(backend);
        let sql = format!(
            "DELETE FROM {table} WHERE contract_id = {} AND {nothing}",
            q.p(c.id)
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    Ok(())
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

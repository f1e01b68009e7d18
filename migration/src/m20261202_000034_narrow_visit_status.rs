//! `visits.status` allows exactly the statuses a visit can have (the words
//! of `doudi::domain::visit::VisitStatus`): the `accepted` the first
//! migration allowed was never written by any code, and goes.
//!
//! Rows with a status outside the new list are not guessed at: the
//! migration stops, naming them, and changes nothing (none are known).
//!
//! PostgreSQL drops the CHECK and adds the narrower one. SQLite cannot
//! alter a CHECK, so the table is rebuilt from its own stored definition
//! with only the status list changed, inside the migration's transaction:
//! with foreign keys deferred (`PRAGMA foreign_keys = OFF` does nothing
//! inside a transaction), the rows are copied aside, the table dropped and
//! created again, the rows put back under the same ids, and every index
//! and trigger of `visits` created again as it was; the rows of the tables
//! that refer to visits find their visits again before the commit checks
//! them. `down` restores the old list the same way.
use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DatabaseBackend, Statement},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statuses a visit may have, as `VisitStatus::ALL` spells them (a
/// test in the app checks that the two lists agree).
pub const STATUSES: [&str; 7] = [
    "scheduled",
    "in_progress",
    "completed",
    "attempted",
    "refused",
    "cancelled",
    "missed",
];

/// The list before this migration.
const OLD_STATUSES: [&str; 8] = [
    "scheduled",
    "in_progress",
    "completed",
    "attempted",
    "refused",
    "cancelled",
    "missed",
    "accepted",
];

/// The name PostgreSQL gave the CHECK, kept for the new one.
const CONSTRAINT: &str = "visits_status_check";

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The quoted words of `text`, in order.
fn words_of(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn migration_error(message: String) -> DbErr {
    DbErr::Migration(format!("m20261202_000034_narrow_visit_status: {message}"))
}

/// Stops when any visit has a status outside `STATUSES`.
async fn refuse_other_statuses(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            m.get_database_backend(),
            format!(
                "SELECT status, COUNT(*) AS n FROM visits WHERE status NOT IN ({}) \
                 GROUP BY status ORDER BY status",
                quoted(&STATUSES)
            ),
        ))
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut found = Vec::new();
    for r in rows {
        let status: String = r.try_get("", "status")?;
        let n: i64 = r.try_get("", "n")?;
        found.push(format!("{n} with status '{status}'"));
    }
    Err(migration_error(format!(
        "visits with a status no code uses: {}. Give them one of {} (e.g. \
         UPDATE visits SET status = 'completed' WHERE status = 'accepted'), \
         then migrate again; nothing was changed.",
        found.join(", "),
        quoted(&STATUSES)
    )))
}

async fn set_check_postgres(m: &SchemaManager<'_>, words: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    let names = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT conname FROM pg_constraint WHERE conrelid = 'visits'::regclass \
             AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%status%'",
        ))
        .await?;
    for row in names {
        let name: String = row.try_get("", "conname")?;
        db.execute_unprepared(&format!(
            "ALTER TABLE visits DROP CONSTRAINT \"{}\"",
            name.replace('"', "\"\"")
        ))
        .await?;
    }
    db.execute_unprepared(&format!(
        "ALTER TABLE visits ADD CONSTRAINT {CONSTRAINT} CHECK (status IN ({}))",
        quoted(words)
    ))
    .await?;
    Ok(())
}

/// `sql` (the table's stored definition) with the status list replaced,
/// or an error when the list found is not `from`.
fn with_status_list(sql: &str, from: &[&str], to: &[&str]) -> Result<String, DbErr> {
    let head = "\"status\" IN (";
    let start = match sql.match_indices(head).collect::<Vec<_>>()[..] {
        [(at, _)] => at + head.len(),
        _ => {
            return Err(migration_error(format!(
                "expected one `{head}...)` in the definition of visits: {sql}"
            )))
        }
    };
    let len = sql[start..]
        .find(')')
        .ok_or_else(|| migration_error(format!("unclosed status list: {sql}")))?;
    let list = &sql[start..start + len];
    if words_of(list) != from {
        return Err(migration_error(format!(
            "visits allows ({list}), expected ({})",
            quoted(from)
        )));
    }
    Ok(format!(
        "{}{}{}",
        &sql[..start],
        quoted(to),
        &sql[start + len..]
    ))
}

async fn texts(m: &SchemaManager<'_>, sql: &str) -> Result<Vec<String>, DbErr> {
    let rows = m
        .get_connection()
        .query_all_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
        .await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// Rebuilds `visits` with `to` as its status list (see the module doc).
/// Runs inside the migration's transaction (`use_transaction`).
async fn rebuild_sqlite(m: &SchemaManager<'_>, from: &[&str], to: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    let table = texts(
        m,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'visits'",
    )
    .await?;
    let [table] = &table[..] else {
        return Err(migration_error("no table visits".into()));
    };
    let create = with_status_list(table, from, to)?;
    // Indexes and triggers as written (the automatic index of `pid` comes
    // back with the table).
    let extras = texts(
        m,
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'visits' \
         AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
    )
    .await?;
    let sequence = texts(
        m,
        "SELECT CAST(seq AS TEXT) FROM sqlite_sequence WHERE name = 'visits'",
    )
    .await?;
    db.execute_unprepared("PRAGMA defer_foreign_keys = ON")
        .await?;
    db.execute_unprepared("CREATE TEMP TABLE visits_rebuild AS SELECT * FROM visits")
        .await?;
    db.execute_unprepared("DROP TABLE visits").await?;
    db.execute_unprepared(&create).await?;
    db.execute_unprepared("INSERT INTO visits SELECT * FROM visits_rebuild")
        .await?;
    db.execute_unprepared("DROP TABLE visits_rebuild").await?;
    for sql in &extras {
        db.execute_unprepared(sql).await?;
    }
    // Ids of deleted visits are not handed out again.
    if let [seq] = &sequence[..] {
        let seq: i64 = seq
            .parse()
            .map_err(|_| migration_error(format!("sqlite_sequence of visits: {seq}")))?;
        db.execute_unprepared(&format!(
            "UPDATE sqlite_sequence SET seq = MAX(seq, {seq}) WHERE name = 'visits'"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'visits', {seq} \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'visits')"
        ))
        .await?;
    }
    Ok(())
}

async fn set_check(m: &SchemaManager<'_>, from: &[&str], to: &[&str]) -> Result<(), DbErr> {
    match m.get_database_backend() {
        DatabaseBackend::Sqlite => rebuild_sqlite(m, from, to).await,
        DatabaseBackend::Postgres => set_check_postgres(m, to).await,
        other => Err(migration_error(format!("unsupported backend {other:?}"))),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        refuse_other_statuses(m).await?;
        set_check(m, &OLD_STATUSES, &STATUSES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_check(m, &STATUSES, &OLD_STATUSES).await
    }

    /// One transaction on SQLite too: the rebuild is all or nothing, and
    /// deferred foreign keys are checked at its commit.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_list_is_replaced_and_nothing_else() {
        let sql = "CREATE TABLE \"visits\" ( \"id\" integer, \"status\" varchar NOT NULL \
                   DEFAULT 'scheduled', CHECK (\"status\" IN ('scheduled', 'in_progress', \
                   'completed', 'attempted', 'refused', 'cancelled', 'missed', 'accepted')), \
                   FOREIGN KEY (\"plan_id\") REFERENCES \"service_plans\" (\"id\") )";
        let narrowed = with_status_list(sql, &OLD_STATUSES, &STATUSES).expect("found");
        assert!(!narrowed.contains("accepted"));
        assert_eq!(sql.replace(", 'accepted'", ""), narrowed);
        assert_eq!(
            with_status_list(&narrowed, &STATUSES, &OLD_STATUSES).expect("back"),
            sql
        );
        assert!(with_status_list(&narrowed, &OLD_STATUSES, &STATUSES).is_err());
        assert!(with_status_list("CREATE TABLE x (y int)", &STATUSES, &STATUSES).is_err());
    }
}

//! A contract's fulfilment, by job:
//! - `count`: what counting needs from the database (a contract's rule,
//!   visits with their lines), fed to the one counting rule in
//!   `domain::counting`;
//! - `keep`: the kept totals, moved by each write to a visit and rebuilt
//!   from the visits;
//! - `report`: the figures read from the kept totals (the arithmetic is
//!   `domain::fulfilment`).
//!
//! A visit counts toward a contract when it is the provider's, for a
//! person the contract covered on its day (display zone), inside the
//! period, with a status that counts; its lines count when it was
//! delivered and of a type an item buys.
mod count;
mod keep;
mod report;

pub use crate::domain::counting::Totals;
pub use count::totals_of;
pub use keep::{apply, count_new, rebuild, rebuild_all};
pub use report::*;

use super::_entities::{contract_items, contracts};
use super::contracts::{TermItem, Terms};
use crate::{
    domain::fulfilment::{
        self, material_share, ItemFigures, ItemInput, JudgedMonth, MonthCount, Period, Rates, Risk,
        Thresholds, Unit, VisitCounts,
    },
    domain::money::format_yuan,
    errors::AppResult,
};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};
use serde::Serialize;

/// Bind parameters and values of one statement, numbered for PostgreSQL.
struct Sql {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// A bind parameter for `v`, as the backend writes it.
    fn p(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_string(),
        }
    }

    fn statement(self, sql: &str) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }

    /// The calendar month of a kept day total, `YYYY-MM`.
    fn month(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "to_char(day, 'YYYY-MM')",
            _ => "substr(day, 1, 7)",
        }
    }
}

fn instant(day: NaiveDate) -> DateTime<FixedOffset> {
    crate::domain::recurrence::resolve(crate::zone::display(), day.and_time(chrono::NaiveTime::MIN))
        .into()
}

impl Sql {
    /// The day (display zone) the visit `v` starts on, the zone bound as a
    /// parameter.
    fn day_of(&mut self, v: &str) -> String {
        let zone = self.p(crate::zone::day_param(self.backend));
        crate::zone::day_sql(self.backend, &format!("{v}.starts_at"), &zone)
    }

    /// `cr` (a `contract_recipients` row) covered the recipient on the day
    /// the visit `v` starts. Binds parameters: write it where it stands in
    /// the text.
    fn covered_on_day(&mut self, v: &str) -> String {
        let (first, last) = (self.day_of(v), self.day_of(v));
        covers("cr.", &first, &last)
    }
}

/// A coverage row (columns prefixed `at`) covers every day from the SQL
/// day `first` to `last` ([`fulfilment::covered_throughout`] in SQL).
fn covers(at: &str, first: &str, last: &str) -> String {
    format!(
        "({at}covered_from IS NULL OR {at}covered_from <= {first}) \
         AND ({at}covered_until IS NULL OR {at}covered_until >= {last})"
    )
}

/// A condition on a visits table `v`: the visit's recipient was covered
/// by contract `id` on the visit's day (the contract and the zone bound).
#[must_use]
pub fn covered_visit(backend: DatabaseBackend, id: i64, v: &str) -> sea_orm::sea_query::SimpleExpr {
    let mut q = Sql::new(backend);
    let sql = format!(
        "EXISTS (SELECT 1 FROM contract_recipients cr WHERE cr.contract_id = {} \
         AND cr.recipient_id = {v}.recipient_id AND {})",
        q.p(id),
        q.covered_on_day(v)
    );
    sea_orm::sea_query::Expr::cust_with_values(sql, q.values)
}

/// The terms a contract has had, oldest first, with the day each took
/// effect (the first rules from the start).
#[derive(Debug, Clone)]
pub struct Timeline {
    pub starts: Vec<NaiveDate>,
    pub terms: Vec<Terms>,
}

impl Timeline {
    /// The terms in force on `day`.
    #[must_use]
    pub fn at(&self, day: NaiveDate) -> &Terms {
        &self.terms[fulfilment::in_force(&self.starts, day).min(self.terms.len() - 1)]
    }

    /// Every item signature any version bought, once.
    fn signatures(&self) -> Vec<&TermItem> {
        let mut out: Vec<&TermItem> = Vec::new();
        for t in &self.terms {
            for i in &t.items {
                if !out.iter().any(|o| signature(o) == signature(i)) {
                    out.push(i);
                }
            }
        }
        out
    }
}

/// The terms of `c` over time, from its approved amendments (each keeps
/// the terms it replaced) and the terms it has now.
///
/// # Errors
/// Database errors.
pub async fn timeline<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<Timeline> {
    use super::_entities::contract_versions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let versions = contract_versions::Entity::find()
        .filter(contract_versions::Column::ContractId.eq(c.id))
        .filter(contract_versions::Column::Status.eq("approved"))
        .order_by_asc(contract_versions::Column::Version)
        .all(db)
        .await?;
    Ok(timeline_of(c, versions, Terms::of_contract(db, c).await?))
}

/// The timeline of `c` from its approved versions (by version) and the
/// terms it has now.
fn timeline_of(
    c: &contracts::Model,
    versions: Vec<super::_entities::contract_versions::Model>,
    now: Terms,
) -> Timeline {
    let mut starts = vec![c.starts_on];
    let mut terms = Vec::new();
    for v in versions {
        let Some(previous) = v
            .previous
            .as_deref()
            .and_then(|p| serde_json::from_str::<Terms>(p).ok())
        else {
            continue;
        };
        terms.push(previous);
        let last = starts.last().copied().unwrap_or(v.effective_on);
        starts.push(v.effective_on.max(last));
    }
    terms.push(now);
    Timeline { starts, terms }
}

/// What an item counts, whatever version it is in: its service or
/// material, unit, and minimum minutes.
fn signature(i: &TermItem) -> String {
    crate::domain::counting::key_of(
        i.service.as_deref(),
        i.material_category.as_deref(),
        i.unit.as_str(),
        i.min_minutes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    /// The coverage condition as each database receives it: the zone is a
    /// bound value, never part of the SQL text.
    #[test]
    fn the_zone_reaches_sql_as_a_parameter() {
        let query = |backend| {
            let mut q = Query::select();
            q.expr(covered_visit(backend, 7, "visits"));
            q
        };
        let (sql, values) = query(DatabaseBackend::Postgres).build(PostgresQueryBuilder);
        let values = format!("{values:?}");
        assert!(
            !sql.contains("Asia/Shanghai") && !sql.contains('7'),
            "{sql}"
        );
        assert!(sql.contains("AT TIME ZONE CAST($2 AS TEXT)"), "{sql}");
        assert!(sql.contains("AT TIME ZONE CAST($3 AS TEXT)"), "{sql}");
        assert!(
            values.contains("Asia/Shanghai") && values.contains('7'),
            "{values}"
        );
        let (sql, values) = query(DatabaseBackend::Sqlite).build(SqliteQueryBuilder);
        let values = format!("{values:?}");
        assert!(
            !sql.contains("minutes") && sql.contains("date(visits.starts_at, ?)"),
            "{sql}"
        );
        assert!(values.contains("+480 minutes"), "{values}");
        // The report's statements bind it the same way.
        let mut q = Sql::new(DatabaseBackend::Sqlite);
        let text = q.covered_on_day("v");
        assert_eq!(text.matches('?').count(), q.values.len());
        assert!(!text.contains("480"));
    }
}

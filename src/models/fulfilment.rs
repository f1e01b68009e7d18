//! A contract's fulfilment, from SQL aggregates over its visits: what each
//! line item delivered, the visits by outcome, each covered recipient's
//! completed visits per month, material value by funding source. The
//! arithmetic is `domain::fulfilment`.
//!
//! A visit counts toward a contract when it is the provider's, for a
//! covered recipient, starts inside the period (display zone), and, for
//! delivery, is completed; lines count when of a type an item buys.
use super::_entities::{contract_items, contracts};
use super::contracts::{TermItem, Terms};
use crate::{
    domain::fulfilment::{
        self, material_share, ItemFigures, ItemInput, JudgedMonth, MonthCount, Period, Rates, Risk,
        Thresholds, Unit, VisitCounts,
    },
    domain::money::format_yuan,
    errors::AppResult,
    web::render::DISPLAY_ZONE,
};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};
use serde::Serialize;

/// One item's figures, with the item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub pid: uuid::Uuid,
    pub position: i64,
    pub service: Option<String>,
    pub material_category: Option<String>,
    pub unit: String,
    pub quantity_milli: i64,
    pub unit_price_fen: i64,
    pub delivered_milli: i64,
    pub value_fen: i64,
    pub percent: f64,
    pub expected_milli: i64,
    pub gap_milli: i64,
    pub forecast_milli: i64,
    pub risks: Vec<&'static str>,
    /// The same figures as people write them (`12.5`, `¥15000.00`).
    pub shown: ItemShown,
}

/// An item's figures for display.
#[derive(Debug, Clone, Serialize)]
pub struct ItemShown {
    pub delivered: String,
    pub quantity: String,
    pub expected: String,
    pub forecast: String,
    pub value: String,
}

/// Material value by where it came from.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct FundingRow {
    pub funding: String,
    pub donor: Option<String>,
    pub value_fen: i64,
}

/// A funding row with its value in yuan.
#[derive(Debug, Clone, Serialize)]
pub struct FundingShown {
    pub funding: String,
    pub donor: Option<String>,
    pub value_fen: i64,
    pub value: String,
}

/// A contract's fulfilment on a day.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub today: NaiveDate,
    pub period_days: i64,
    pub elapsed_days: i64,
    pub items: Vec<ItemReport>,
    pub covered: usize,
    pub visits: VisitCountsJson,
    pub rates: RatesJson,
    pub compliance: ComplianceJson,
    pub funding: Vec<FundingShown>,
    pub service_value_fen: i64,
    pub material_value_fen: i64,
    pub service_value: String,
    pub material_value: String,
    /// Material share of "material + service", in percent.
    pub material_share: f64,
    pub risks: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitCountsJson {
    pub completed: i64,
    pub attempted: i64,
    pub refused: i64,
    pub cancelled: i64,
    pub missed: i64,
    pub late: i64,
    pub exceptions: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatesJson {
    pub due: i64,
    pub completed: f64,
    pub attempted: f64,
    pub missed: f64,
    pub late: f64,
    pub exceptions: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComplianceJson {
    pub min_per_month: Option<i64>,
    pub judged: usize,
    pub met: usize,
    pub percent: f64,
    /// Recipient-months short of the term: recipient id, month, completed.
    #[serde(skip)]
    pub short: Vec<(i64, i32, u32, i64)>,
}

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
    crate::domain::recurrence::resolve(DISPLAY_ZONE, day.and_time(chrono::NaiveTime::MIN)).into()
}

/// The day (display zone) a visit starts on, as the database writes it.
fn day_of(backend: DatabaseBackend, v: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("({v}.starts_at AT TIME ZONE 'Asia/Shanghai')::date"),
        _ => format!("date({v}.starts_at, '+8 hours')"),
    }
}

/// `cr` (a `contract_recipients` row) covered the recipient on the day
/// the visit `v` starts.
fn covered_on_day(backend: DatabaseBackend, v: &str) -> String {
    let day = day_of(backend, v);
    format!(
        "(cr.covered_from IS NULL OR cr.covered_from <= {day}) \
         AND (cr.covered_until IS NULL OR cr.covered_until >= {day})"
    )
}

/// A condition on a visits table `v` (literal contract id, no binds): the
/// visit's recipient was covered by contract `id` on the visit's day.
#[must_use]
pub fn covered_visit_sql(backend: DatabaseBackend, id: i64, v: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM contract_recipients cr WHERE cr.contract_id = {id} \
         AND cr.recipient_id = {v}.recipient_id AND {})",
        covered_on_day(backend, v)
    )
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
    terms.push(Terms::of_contract(db, c).await?);
    Ok(Timeline { starts, terms })
}

/// What an item counts, whatever version it is in: its service or
/// material, unit, and minimum minutes.
fn signature(i: &TermItem) -> String {
    match (&i.service, &i.material_category) {
        (Some(s), _) => format!(
            "s|{s}|{}|{}",
            i.unit,
            i.min_minutes.map(|m| m.to_string()).unwrap_or_default()
        ),
        (None, m) => format!("m|{}|{}", m.clone().unwrap_or_default(), i.unit),
    }
}

/// The same item in another version: same service or material, same unit.
fn same_item<'a>(terms: &'a Terms, it: &contract_items::Model) -> Option<&'a TermItem> {
    terms.items.iter().find(|t| {
        t.service == it.service && t.material_category == it.material_category && t.unit == it.unit
    })
}

/// A day total in thousandths of the item's unit.
fn milli_of(unit: Unit, n: i64) -> i64 {
    match unit {
        Unit::Hour => minutes_to_milli_hours(n),
        Unit::Yuan => n * 10,
        Unit::Item => n,
        Unit::Visit | Unit::Session => n * 1000,
    }
}

/// Recomputes `c`'s day totals for `[from, to]` (clipped to its period),
/// inside the caller's transaction. Serialised with every other write by
/// the audit chain's lock, so two refreshes of one day never interleave.
async fn refresh_days<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    tl: &Timeline,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<()> {
    let (from, to) = (from.max(c.starts_on), to.min(c.ends_on));
    if to < from {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut q = Sql::new(backend);
    let sql = format!(
        "DELETE FROM fulfilment_days WHERE contract_id = {} AND day >= {} AND day <= {}",
        q.p(c.id),
        q.p(from),
        q.p(to)
    );
    db.execute_raw(q.statement(&sql)).await?;
    let day = day_of(backend, "v");
    let covered = covered_on_day(backend, "v");
    // The visits of the provider in the range whose recipient the contract
    // covered that day. CROSS JOIN keeps SQLite's planner on the visits'
    // (organization, start) index.
    let base = |q: &mut Sql| {
        format!(
            "cr.recipient_id = v.recipient_id AND cr.contract_id = {} AND v.organization_id = {} \
             AND v.starts_at >= {} AND v.starts_at < {} AND {covered}",
            q.p(c.id),
            q.p(c.organization_id),
            q.p(instant(from)),
            q.p(instant(to + Duration::days(1)))
        )
    };
    let signatures = tl.signatures();
    for services in [true, false] {
        let mut q = Sql::new(backend);
        let rows: Vec<String> = signatures
            .iter()
            .filter(|i| i.service.is_some() == services)
            .map(|i| {
                let k = q.p(signature(i));
                let what = q.p(if services {
                    i.service.clone()
                } else {
                    i.material_category.clone()
                });
                let unit = q.p(i.unit.clone());
                let min = q.p(i.min_minutes);
                format!("({k}, {what}, {unit}, {min})")
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let cid = q.p(c.id);
        let sql = if services {
            format!(
                "WITH sig(k, what, unit, min_minutes) AS (VALUES {}) \
                 INSERT INTO fulfilment_days (contract_id, day, kind, key, n, late, exceptions) \
                 SELECT {cid}, {day}, 'item', sig.k, CAST(CASE WHEN sig.unit = 'visit' THEN COUNT(DISTINCT v.id) \
                 WHEN sig.unit = 'hour' THEN SUM(l.minutes) ELSE COUNT(l.id) END AS BIGINT), 0, 0 \
                 FROM visits v CROSS JOIN contract_recipients cr CROSS JOIN visit_service_lines l CROSS JOIN sig \
                 WHERE {} AND v.status = 'completed' AND l.visit_id = v.id AND l.service = sig.what \
                 AND (sig.min_minutes IS NULL OR l.minutes >= sig.min_minutes) \
                 GROUP BY {day}, sig.k, sig.unit{KEEP}",
                rows.join(", "),
                base(&mut q)
            )
        } else {
            format!(
                "WITH sig(k, what, unit, min_minutes) AS (VALUES {}) \
                 INSERT INTO fulfilment_days (contract_id, day, kind, key, n, late, exceptions) \
                 SELECT {cid}, {day}, 'item', sig.k, CAST(CASE WHEN sig.unit = 'yuan' THEN SUM(m.value_fen) \
                 ELSE SUM(m.quantity_milli) END AS BIGINT), 0, 0 \
                 FROM visits v CROSS JOIN contract_recipients cr CROSS JOIN visit_material_lines m CROSS JOIN sig \
                 WHERE {} AND v.status = 'completed' AND m.visit_id = v.id AND m.category = sig.what \
                 AND m.funding = 'contract' GROUP BY {day}, sig.k, sig.unit{KEEP}",
                rows.join(", "),
                base(&mut q)
            )
        };
        db.execute_raw(q.statement(&sql)).await?;
    }
    let mut q = Sql::new(backend);
    let cid = q.p(c.id);
    let sql = format!(
        "INSERT INTO fulfilment_days (contract_id, day, kind, key, n, late, exceptions) \
         SELECT {cid}, {day}, 'status', v.status, CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(CASE WHEN v.late THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN v.location_exception THEN 1 ELSE 0 END) AS BIGINT) \
         FROM visits v CROSS JOIN contract_recipients cr WHERE {} \
         AND v.status IN ('completed', 'attempted', 'refused', 'cancelled', 'missed') \
         GROUP BY {day}, v.status{KEEP}",
        base(&mut q)
    );
    db.execute_raw(q.statement(&sql)).await?;
    let mut q = Sql::new(backend);
    let cid = q.p(c.id);
    let sql = format!(
        "INSERT INTO fulfilment_days (contract_id, day, kind, key, donor, n, late, exceptions) \
         SELECT {cid}, {day}, 'funding', m.funding, COALESCE(m.donor, ''), CAST(SUM(m.value_fen) AS BIGINT), 0, 0 \
         FROM visits v CROSS JOIN contract_recipients cr CROSS JOIN visit_material_lines m \
         WHERE {} AND v.status = 'completed' AND m.visit_id = v.id \
         GROUP BY {day}, m.funding, m.donor{KEEP}",
        base(&mut q)
    );
    db.execute_raw(q.statement(&sql)).await?;
    Ok(())
}

/// A rebuild's rows replace any a concurrent write added meanwhile (that
/// write is in the rebuild's count once it has committed).
const KEEP: &str = " ON CONFLICT (contract_id, day, kind, key, donor) DO UPDATE SET \
     n = excluded.n, late = excluded.late, exceptions = excluded.exceptions";

/// `YYYY-MM` of a day.
fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// Recomputes `c`'s completed visits per recipient for the month holding
/// `day` (one recipient's, or everyone's), against the minimum visit
/// length in force on the month's first day in the period.
async fn refresh_month<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    tl: &Timeline,
    day: NaiveDate,
) -> AppResult<()> {
    use chrono::Datelike;
    let first = day.with_day(1).unwrap_or(day).max(c.starts_on);
    let last = fulfilment::month_end(day.year(), day.month()).min(c.ends_on);
    if last < first {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let month = month_key(day);
    let mut q = Sql::new(backend);
    let sql = format!(
        "DELETE FROM fulfilment_months WHERE contract_id = {} AND month = {}",
        q.p(c.id),
        q.p(month.clone())
    );
    db.execute_raw(q.statement(&sql)).await?;
    let mut q = Sql::new(backend);
    let mut sql = format!(
        "INSERT INTO fulfilment_months (contract_id, recipient_id, month, completed) \
         SELECT {}, v.recipient_id, {}, CAST(COUNT(*) AS BIGINT) \
         FROM visits v CROSS JOIN contract_recipients cr \
         WHERE cr.recipient_id = v.recipient_id AND cr.contract_id = {} AND v.organization_id = {} \
         AND v.starts_at >= {} AND v.starts_at < {} AND v.status = 'completed' AND {}",
        q.p(c.id),
        q.p(month),
        q.p(c.id),
        q.p(c.organization_id),
        q.p(instant(first)),
        q.p(instant(last + Duration::days(1))),
        covered_on_day(backend, "v")
    );
    if let Some(m) = tl.at(first).min_visit_minutes {
        sql.push_str(&format!(
            " AND (SELECT COALESCE(SUM(l.minutes), 0) FROM visit_service_lines l WHERE l.visit_id = v.id) >= {}",
            q.p(m)
        ));
    }
    sql.push_str(
        " GROUP BY v.recipient_id ON CONFLICT (contract_id, month, recipient_id) \
         DO UPDATE SET completed = excluded.completed",
    );
    db.execute_raw(q.statement(&sql)).await?;
    Ok(())
}

/// Rebuilds every total of `c` from its visits (inside the caller's
/// transaction): after a change of its terms, coverage or period.
///
/// # Errors
/// Database errors.
pub async fn rebuild<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<()> {
    super::audit_logs::lock_chain(db).await?;
    let backend = db.get_database_backend();
    for table in ["fulfilment_days", "fulfilment_months"] {
        let mut q = Sql::new(backend);
        let sql = format!("DELETE FROM {table} WHERE contract_id = {}", q.p(c.id));
        db.execute_raw(q.statement(&sql)).await?;
    }
    let tl = timeline(db, c).await?;
    refresh_days(db, c, &tl, c.starts_on, c.ends_on).await?;
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    for (y, m) in period.months() {
        if let Some(day) = NaiveDate::from_ymd_opt(y, m, 1) {
            refresh_month(db, c, &tl, day.max(c.starts_on)).await?;
        }
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

/// What one visit adds to the kept totals of the contracts it counts
/// toward: day rows by (contract, day, kind, key, donor) → (n, late,
/// exceptions), and completed visits by (contract, recipient, month).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    days: std::collections::BTreeMap<DayKey, (i64, i64, i64)>,
    months: std::collections::BTreeMap<(i64, i64, String), i64>,
}

/// Contract, day, kind, key, donor.
type DayKey = (i64, NaiveDate, String, String, String);

const COUNTED: [&str; 5] = ["completed", "attempted", "refused", "cancelled", "missed"];

/// What the visit `visit_id` adds to the kept totals as it stands now (in
/// the caller's transaction): the same rules as [`rebuild`]'s queries,
/// applied to one visit.
///
/// # Errors
/// Database errors.
pub async fn totals_of<C: ConnectionTrait>(db: &C, visit_id: i64) -> AppResult<Totals> {
    use super::_entities::{
        contract_recipients, visit_material_lines, visit_service_lines, visits,
    };
    use sea_orm::QuerySelect;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut out = Totals::default();
    // On PostgreSQL the visit's row is locked first, as every other write
    // to a visit does, so what it counted before a write cannot change
    // under it (SQLite has one writer anyway).
    let mut find = visits::Entity::find_by_id(visit_id);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        find = find.lock_exclusive();
    }
    let Some(v) = find.one(db).await? else {
        return Ok(out);
    };
    // A household visit (no one recipient) counts toward no contract.
    let (Some(recipient), true) = (v.recipient_id, COUNTED.contains(&v.status.as_str())) else {
        return Ok(out);
    };
    let day = v.starts_at.with_timezone(&DISPLAY_ZONE).date_naive();
    let ids: Vec<i64> = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::RecipientId.eq(recipient))
        .all(db)
        .await?
        .into_iter()
        .filter(|cr| fulfilment::covered_throughout(cr.covered_from, cr.covered_until, day, day))
        .map(|cr| cr.contract_id)
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let found = contracts::Entity::find()
        .filter(contracts::Column::Id.is_in(ids))
        .filter(contracts::Column::OrganizationId.eq(v.organization_id))
        .filter(contracts::Column::StartsOn.lte(day))
        .filter(contracts::Column::EndsOn.gte(day))
        .all(db)
        .await?;
    if found.is_empty() {
        return Ok(out);
    }
    let completed = v.status == "completed";
    let (services, materials) = if completed {
        (
            visit_service_lines::Entity::find()
                .filter(visit_service_lines::Column::VisitId.eq(v.id))
                .all(db)
                .await?,
            visit_material_lines::Entity::find()
                .filter(visit_material_lines::Column::VisitId.eq(v.id))
                .all(db)
                .await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let mut add = |c: i64, kind: &str, key: &str, donor: &str, n: i64, late: i64, exc: i64| {
        let e = out
            .days
            .entry((c, day, kind.to_string(), key.to_string(), donor.to_string()))
            .or_default();
        *e = (e.0 + n, e.1 + late, e.2 + exc);
    };
    let mut months = Vec::new();
    for c in found {
        add(
            c.id,
            "status",
            &v.status,
            "",
            1,
            i64::from(v.late),
            i64::from(v.location_exception),
        );
        if !completed {
            continue;
        }
        let tl = timeline(db, &c).await?;
        for sig in tl.signatures() {
            let Some(unit) = Unit::parse(&sig.unit) else {
                continue;
            };
            let n: i64 = if unit.is_service() {
                let lines: Vec<&visit_service_lines::Model> = services
                    .iter()
                    .filter(|l| Some(&l.service) == sig.service.as_ref())
                    .filter(|l| sig.min_minutes.is_none_or(|m| l.minutes >= m))
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                match unit {
                    Unit::Visit => 1,
                    Unit::Hour => lines.iter().map(|l| l.minutes).sum(),
                    _ => i64::try_from(lines.len()).unwrap_or(i64::MAX),
                }
            } else {
                let lines: Vec<&visit_material_lines::Model> = materials
                    .iter()
                    .filter(|m| Some(&m.category) == sig.material_category.as_ref())
                    .filter(|m| m.funding == "contract")
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                if unit == Unit::Yuan {
                    lines.iter().map(|m| m.value_fen).sum()
                } else {
                    lines.iter().map(|m| m.quantity_milli).sum()
                }
            };
            add(c.id, "item", &signature(sig), "", n, 0, 0);
        }
        for m in &materials {
            add(
                c.id,
                "funding",
                &m.funding,
                m.donor.as_deref().unwrap_or_default(),
                m.value_fen,
                0,
                0,
            );
        }
        // The month's minimum length is the one in force on its first day
        // in the period.
        use chrono::Datelike;
        let first = day.with_day(1).unwrap_or(day).max(c.starts_on);
        let minutes: i64 = services.iter().map(|l| l.minutes).sum();
        if tl.at(first).min_visit_minutes.is_none_or(|m| minutes >= m) {
            months.push((c.id, recipient, month_key(day)));
        }
    }
    for key in months {
        *out.months.entry(key).or_default() += 1;
    }
    Ok(out)
}

/// Moves the kept totals from what a visit added before a write to what
/// it adds after (inside the write's transaction). Each row changes by
/// the difference, atomically in the database, so concurrent writes to
/// one contract's day add up without waiting for each other.
///
/// # Errors
/// Database errors.
pub async fn apply<C: ConnectionTrait>(db: &C, before: &Totals, after: &Totals) -> AppResult<()> {
    let backend = db.get_database_backend();
    let mut q = Sql::new(backend);
    let mut rows = Vec::new();
    let keys: std::collections::BTreeSet<_> = before.days.keys().chain(after.days.keys()).collect();
    for k in keys {
        let (b, a) = (
            before.days.get(k).copied().unwrap_or_default(),
            after.days.get(k).copied().unwrap_or_default(),
        );
        let d = (a.0 - b.0, a.1 - b.1, a.2 - b.2);
        if d == (0, 0, 0) {
            continue;
        }
        rows.push(format!(
            "({}, {}, {}, {}, {}, {}, {}, {})",
            q.p(k.0),
            q.p(k.1),
            q.p(k.2.clone()),
            q.p(k.3.clone()),
            q.p(k.4.clone()),
            q.p(d.0),
            q.p(d.1),
            q.p(d.2)
        ));
    }
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO fulfilment_days (contract_id, day, kind, key, donor, n, late, exceptions) \
             VALUES {} ON CONFLICT (contract_id, day, kind, key, donor) DO UPDATE SET \
             n = fulfilment_days.n + excluded.n, late = fulfilment_days.late + excluded.late, \
             exceptions = fulfilment_days.exceptions + excluded.exceptions",
            rows.join(", ")
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    let mut q = Sql::new(backend);
    let mut rows = Vec::new();
    let keys: std::collections::BTreeSet<_> =
        before.months.keys().chain(after.months.keys()).collect();
    for k in keys {
        let d = after.months.get(k).copied().unwrap_or_default()
            - before.months.get(k).copied().unwrap_or_default();
        if d == 0 {
            continue;
        }
        rows.push(format!(
            "({}, {}, {}, {})",
            q.p(k.0),
            q.p(k.1),
            q.p(k.2.clone()),
            q.p(d)
        ));
    }
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO fulfilment_months (contract_id, recipient_id, month, completed) \
             VALUES {} ON CONFLICT (contract_id, month, recipient_id) DO UPDATE SET \
             completed = fulfilment_months.completed + excluded.completed",
            rows.join(", ")
        );
        db.execute_raw(q.statement(&sql)).await?;
    }
    Ok(())
}

/// Counts a visit written straight to the database (tests, bulk loads):
/// what it adds, from nothing.
///
/// # Errors
/// Database errors.
pub async fn count_new<C: ConnectionTrait>(db: &C, visit_id: i64) -> AppResult<()> {
    apply(db, &Totals::default(), &totals_of(db, visit_id).await?).await
}

#[derive(Debug, FromQueryResult)]
struct SumRow {
    kind: String,
    key: String,
    donor: String,
    n: Option<i64>,
    late: Option<i64>,
    exceptions: Option<i64>,
}

/// The day totals of `c` over `[from, to]`.
async fn sums<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<SumRow>> {
    let mut q = Sql::new(db.get_database_backend());
    let sql = format!(
        "SELECT kind, key, donor, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(late) AS BIGINT) AS late, \
         CAST(SUM(exceptions) AS BIGINT) AS exceptions FROM fulfilment_days \
         WHERE contract_id = {} AND day >= {} AND day <= {} GROUP BY kind, key, donor",
        q.p(c.id),
        q.p(from),
        q.p(to)
    );
    Ok(SumRow::find_by_statement(q.statement(&sql)).all(db).await?)
}

#[derive(Debug, FromQueryResult)]
struct Total {
    total: Option<i64>,
}

/// Bind parameters and values of one statement, with the visits a
/// contract counts (`v`, its coverage row `cr`).
fn counted(q: &mut Sql, c: &contracts::Model, from: DateTime<FixedOffset>) -> String {
    let covered = covered_on_day(q.backend, "v");
    format!(
        "FROM visits v JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
         WHERE cr.contract_id = {} AND v.organization_id = {} AND v.starts_at >= {} AND v.starts_at < {} AND {covered}",
        q.p(c.id),
        q.p(c.organization_id),
        q.p(from),
        q.p(instant(c.ends_on + Duration::days(1)))
    )
}

/// Thousandths of a unit to one decimal, as a table shows them.
fn shown_units(milli: i64) -> String {
    let tenths = (milli * 10 + 500).div_euclid(1000);
    if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths.div_euclid(10), tenths.rem_euclid(10))
    }
}

/// Minutes in thousandths of an hour, half up (SQL integer division
/// differs between databases, so it happens here).
fn minutes_to_milli_hours(minutes: i64) -> i64 {
    (minutes * 1000 + 30).div_euclid(60)
}

/// What an item's plans still have scheduled inside the period after
/// `now`, in thousandths of its unit (materials are never scheduled).
async fn scheduled<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    item: &contract_items::Model,
    unit: Unit,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    if !unit.is_service() {
        return Ok(0);
    }
    let mut q = Sql::new(db.get_database_backend());
    let base = counted(
        &mut q,
        c,
        DateTime::<FixedOffset>::from(now).max(instant(c.starts_on)),
    );
    // SQLite numbers bind parameters by position: bind in the order of the text.
    let pattern = q.p(format!("%,{},%", item.service.clone().unwrap_or_default()));
    let what = if unit == Unit::Hour {
        "SUM(sp.duration_minutes)"
    } else {
        "COUNT(v.id) * 1000"
    };
    let sql = format!(
        "SELECT CAST({what} AS BIGINT) AS total {} AND v.status = 'scheduled' \
         AND (',' || sp.services || ',') LIKE {pattern}",
        base.replacen(
            "FROM visits v",
            "FROM visits v JOIN service_plans sp ON sp.id = v.plan_id",
            1
        )
    );
    let n = Total::find_by_statement(q.statement(&sql))
        .one(db)
        .await?
        .and_then(|t| t.total)
        .unwrap_or(0);
    Ok(if unit == Unit::Hour {
        minutes_to_milli_hours(n)
    } else {
        n
    })
}

#[derive(Debug, FromQueryResult)]
struct MonthRow {
    recipient_id: i64,
    month: String,
    completed: i64,
}

#[derive(Debug, FromQueryResult)]
struct CoverageRow {
    recipient_id: i64,
    covered_from: Option<NaiveDate>,
    covered_until: Option<NaiveDate>,
}

/// Frequency compliance over the months judged by `today`: each month by
/// the term in force on its first day in the period, each recipient
/// judged for the months they were covered throughout.
async fn compliance<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    tl: &Timeline,
    coverage: &[CoverageRow],
    today: NaiveDate,
    shortfalls: bool,
) -> AppResult<fulfilment::Compliance> {
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    let months: Vec<JudgedMonth> = period
        .judged_months(today)
        .into_iter()
        .filter_map(|(y, m)| {
            let first = NaiveDate::from_ymd_opt(y, m, 1)?.max(c.starts_on);
            let last = fulfilment::month_end(y, m).min(c.ends_on);
            Some(JudgedMonth {
                year: y,
                month: m,
                min_per_month: tl.at(first).min_visits_per_month.unwrap_or(0),
                recipients: coverage
                    .iter()
                    .filter(|r| {
                        fulfilment::covered_throughout(r.covered_from, r.covered_until, first, last)
                    })
                    .map(|r| r.recipient_id)
                    .collect(),
            })
        })
        .collect();
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(fulfilment::compliance(&[], &[]));
    };
    if !shortfalls {
        return met_counts(db, c, &months).await;
    }
    let mut q = Sql::new(db.get_database_backend());
    let sql = format!(
        "SELECT recipient_id, month, completed FROM fulfilment_months \
         WHERE contract_id = {} AND month >= {} AND month <= {}",
        q.p(c.id),
        q.p(format!("{:04}-{:02}", first.year, first.month)),
        q.p(format!("{:04}-{:02}", last.year, last.month))
    );
    let counts: Vec<MonthCount> = MonthRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let (y, m) = r.month.split_once('-')?;
            Some(MonthCount {
                recipient: r.recipient_id,
                year: y.parse().ok()?,
                month: m.parse().ok()?,
                completed: r.completed,
            })
        })
        .collect();
    Ok(fulfilment::compliance(&months, &counts))
}

#[derive(Debug, FromQueryResult)]
struct MetRow {
    n: Option<i64>,
}

/// Compliance counted in the database: per judged month, the judged
/// recipients whose kept count meets that month's term (the list of who
/// fell short is left out: only exports need it).
async fn met_counts<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    months: &[JudgedMonth],
) -> AppResult<fulfilment::Compliance> {
    let judged: usize = months.iter().map(|m| m.recipients.len()).sum();
    // A term of zero is met by everyone judged, visits or not.
    let mut met: usize = months
        .iter()
        .filter(|m| m.min_per_month <= 0)
        .map(|m| m.recipients.len())
        .sum();
    // SQLite numbers parameters by position: bind in the order of the text.
    let mut q = Sql::new(db.get_database_backend());
    let contract = q.p(c.id);
    let mut terms = Vec::new();
    for m in months.iter().filter(|m| m.min_per_month > 0) {
        let first = NaiveDate::from_ymd_opt(m.year, m.month, 1)
            .unwrap_or(c.starts_on)
            .max(c.starts_on);
        let last = fulfilment::month_end(m.year, m.month).min(c.ends_on);
        terms.push(format!(
            "(fm.month = {} AND fm.completed >= {} AND (cr.covered_from IS NULL OR cr.covered_from <= {}) \
             AND (cr.covered_until IS NULL OR cr.covered_until >= {}))",
            q.p(format!("{:04}-{:02}", m.year, m.month)),
            q.p(m.min_per_month),
            q.p(first),
            q.p(last)
        ));
    }
    if !terms.is_empty() {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM fulfilment_months fm \
             JOIN contract_recipients cr ON cr.contract_id = fm.contract_id AND cr.recipient_id = fm.recipient_id \
             WHERE fm.contract_id = {contract} AND ({})",
            terms.join(" OR ")
        );
        let n = MetRow::find_by_statement(q.statement(&sql))
            .one(db)
            .await?
            .and_then(|r| r.n)
            .unwrap_or(0);
        met += usize::try_from(n).unwrap_or(0);
    }
    Ok(fulfilment::Compliance::of_counts(judged, met.min(judged)))
}

async fn coverage<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<Vec<CoverageRow>> {
    let mut q = Sql::new(db.get_database_backend());
    let sql = format!(
        "SELECT recipient_id, covered_from, covered_until FROM contract_recipients WHERE contract_id = {}",
        q.p(c.id)
    );
    Ok(CoverageRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?)
}

/// The fulfilment of `c` as of the end of `today` (display zone), from
/// its kept totals: each part of the period under the terms then in
/// force (coverage, prices, frequency term); quantities and pace are the
/// contract's as it stands. `now` separates done from still scheduled.
///
/// # Errors
/// Database errors.
pub async fn report<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    report_of(db, c, today, now, false).await
}

/// [`report`] with the list of recipient-months short of the frequency
/// term (`compliance.short`), for the compliance export.
///
/// # Errors
/// Database errors.
pub async fn report_with_shortfalls<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    report_of(db, c, today, now, true).await
}

async fn report_of<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
    shortfalls: bool,
) -> AppResult<Report> {
    let t = Thresholds::default();
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    let last = today.min(c.ends_on);
    let tl = timeline(db, c).await?;
    let mut parts = Vec::new();
    for (first, end, i) in fulfilment::segments(&tl.starts, c.starts_on, last) {
        parts.push((i, sums(db, c, first, end).await?));
    }
    let mut items = Vec::new();
    let mut figures: Vec<ItemFigures> = Vec::new();
    let mut service_value = 0;
    for it in super::contracts::items_of(db, c.id).await? {
        let Some(unit) = Unit::parse(&it.unit) else {
            continue;
        };
        let delivered: Vec<(i64, i64)> = parts
            .iter()
            .filter_map(|(i, rows)| {
                let then = same_item(&tl.terms[*i], &it)?;
                let key = signature(then);
                let n: i64 = rows
                    .iter()
                    .filter(|r| r.kind == "item" && r.key == key)
                    .filter_map(|r| r.n)
                    .sum();
                Some((milli_of(unit, n), then.unit_price_fen))
            })
            .collect();
        let (delivered_milli, value_fen) = fulfilment::priced(&delivered);
        let input = ItemInput {
            quantity_milli: it.quantity_milli,
            unit_price_fen: it.unit_price_fen,
            delivered_milli,
            scheduled_milli: scheduled(db, c, &it, unit, now).await?,
            value_fen: Some(value_fen),
        };
        let f = fulfilment::item(input, period, today, t);
        if unit.is_service() {
            service_value += f.value_fen;
        }
        items.push(ItemReport {
            pid: it.pid,
            position: it.position,
            service: it.service.clone(),
            material_category: it.material_category.clone(),
            unit: it.unit.clone(),
            quantity_milli: it.quantity_milli,
            unit_price_fen: it.unit_price_fen,
            delivered_milli: f.delivered_milli,
            value_fen: f.value_fen,
            percent: f.percent,
            expected_milli: f.expected_milli,
            gap_milli: f.gap_milli,
            forecast_milli: f.forecast_milli,
            risks: f.risks.iter().map(|r| r.as_str()).collect(),
            shown: ItemShown {
                delivered: shown_units(f.delivered_milli),
                quantity: shown_units(it.quantity_milli),
                expected: shown_units(f.expected_milli),
                forecast: shown_units(f.forecast_milli),
                value: format_yuan(f.value_fen),
            },
        });
        figures.push(f);
    }
    let mut counts = VisitCounts::default();
    let mut funding: Vec<FundingRow> = Vec::new();
    for r in parts.iter().flat_map(|(_, rows)| rows) {
        let n = r.n.unwrap_or(0);
        match r.kind.as_str() {
            "status" => {
                match r.key.as_str() {
                    "completed" => counts.completed += n,
                    "attempted" => counts.attempted += n,
                    "refused" => counts.refused += n,
                    "cancelled" => counts.cancelled += n,
                    "missed" => counts.missed += n,
                    _ => continue,
                }
                if r.key != "cancelled" {
                    counts.late += r.late.unwrap_or(0);
                    counts.exceptions += r.exceptions.unwrap_or(0);
                }
            }
            "funding" => match funding
                .iter_mut()
                .find(|f| f.funding == r.key && f.donor.as_deref().unwrap_or_default() == r.donor)
            {
                Some(f) => f.value_fen += n,
                None => funding.push(FundingRow {
                    funding: r.key.clone(),
                    donor: Some(r.donor.clone()).filter(|d| !d.is_empty()),
                    value_fen: n,
                }),
            },
            _ => {}
        }
    }
    funding.sort_by(|a, b| (&a.funding, &a.donor).cmp(&(&b.funding, &b.donor)));
    let coverage = coverage(db, c).await?;
    let covered = coverage
        .iter()
        .filter(|r| fulfilment::covered_throughout(r.covered_from, r.covered_until, last, last))
        .count();
    let rates: Rates = fulfilment::rates(counts);
    let compliance = compliance(db, c, &tl, &coverage, today, shortfalls).await?;
    let material_value: i64 = funding.iter().map(|f| f.value_fen).sum();
    let risks: Vec<Risk> = fulfilment::contract_risks(
        &figures,
        &compliance,
        &rates,
        tl.at(last).max_late_percent.map(|p| p as f64),
        t,
    );
    Ok(Report {
        today,
        period_days: period.days(),
        elapsed_days: period.elapsed_days(today),
        items,
        covered,
        visits: VisitCountsJson {
            completed: counts.completed,
            attempted: counts.attempted,
            refused: counts.refused,
            cancelled: counts.cancelled,
            missed: counts.missed,
            late: counts.late,
            exceptions: counts.exceptions,
        },
        rates: RatesJson {
            due: rates.due,
            completed: rates.completed,
            attempted: rates.attempted,
            missed: rates.missed,
            late: rates.late,
            exceptions: rates.exceptions,
        },
        compliance: ComplianceJson {
            min_per_month: tl.at(last).min_visits_per_month,
            judged: compliance.judged,
            met: compliance.met,
            percent: compliance.percent,
            short: compliance.short,
        },
        funding: funding
            .into_iter()
            .map(|f| FundingShown {
                value: format_yuan(f.value_fen),
                funding: f.funding,
                donor: f.donor,
                value_fen: f.value_fen,
            })
            .collect(),
        service_value_fen: service_value,
        material_value_fen: material_value,
        service_value: format_yuan(service_value),
        material_value: format_yuan(material_value),
        material_share: material_share(service_value, material_value),
        risks: risks.iter().map(|r| r.as_str()).collect(),
    })
}

/// The visits behind a figure of the fulfilment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behind {
    Completed,
    /// Nobody home or refused.
    Attempted,
    Missed,
    Cancelled,
    Late,
    Exceptions,
    /// Completed visits that delivered an item (by the item's pid).
    Item(uuid::Uuid),
}

impl Behind {
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "completed" => Some(Self::Completed),
            "attempted" => Some(Self::Attempted),
            "missed" => Some(Self::Missed),
            "cancelled" => Some(Self::Cancelled),
            "late" => Some(Self::Late),
            "exceptions" => Some(Self::Exceptions),
            other => other
                .strip_prefix("item:")
                .and_then(|p| uuid::Uuid::parse_str(p).ok())
                .map(Self::Item),
        }
    }
}

/// The visits a figure counts, newest first, a page at a time: the same
/// conditions as the figure (the provider's, covered recipients, inside
/// the period and up to the end of `today`).
///
/// # Errors
/// `NotFound` for an item not of this contract; database errors.
pub async fn visits_behind(
    db: &sea_orm::DatabaseConnection,
    c: &contracts::Model,
    behind: &Behind,
    today: NaiveDate,
    page: crate::domain::pagination::PageRequest,
) -> AppResult<(
    Vec<super::_entities::visits::Model>,
    crate::domain::pagination::PageInfo,
)> {
    use super::_entities::{visit_material_lines, visit_service_lines, visits};
    use sea_orm::{
        sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    };
    let covered = covered_visit_sql(db.get_database_backend(), c.id, "visits");
    let until = instant(today + Duration::days(1)).min(instant(c.ends_on + Duration::days(1)));
    let mut q = visits::Entity::find()
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(Expr::cust(covered))
        .filter(visits::Column::StartsAt.gte(instant(c.starts_on)))
        .filter(visits::Column::StartsAt.lt(until));
    let due = ["completed", "attempted", "refused", "missed"];
    q = match behind {
        Behind::Completed => q.filter(visits::Column::Status.eq("completed")),
        Behind::Attempted => q.filter(visits::Column::Status.is_in(["attempted", "refused"])),
        Behind::Missed => q.filter(visits::Column::Status.eq("missed")),
        Behind::Cancelled => q.filter(visits::Column::Status.eq("cancelled")),
        Behind::Late => q
            .filter(visits::Column::Status.is_in(due))
            .filter(visits::Column::Late.eq(true)),
        Behind::Exceptions => q
            .filter(visits::Column::Status.is_in(due))
            .filter(visits::Column::LocationException.eq(true)),
        Behind::Item(pid) => {
            let item = contract_items::Entity::find()
                .filter(contract_items::Column::Pid.eq(*pid))
                .filter(contract_items::Column::ContractId.eq(c.id))
                .one(db)
                .await?
                .ok_or(crate::errors::AppError::NotFound)?;
            let lines = if let Some(service) = item.service {
                let mut l = visit_service_lines::Entity::find()
                    .select_only()
                    .column(visit_service_lines::Column::VisitId)
                    .filter(visit_service_lines::Column::Service.eq(service));
                if let Some(m) = item.min_minutes {
                    l = l.filter(visit_service_lines::Column::Minutes.gte(m));
                }
                l.into_query()
            } else {
                visit_material_lines::Entity::find()
                    .select_only()
                    .column(visit_material_lines::Column::VisitId)
                    .filter(
                        visit_material_lines::Column::Category
                            .eq(item.material_category.unwrap_or_default()),
                    )
                    .filter(visit_material_lines::Column::Funding.eq("contract"))
                    .into_query()
            };
            q.filter(visits::Column::Status.eq("completed"))
                .filter(visits::Column::Id.in_subquery(lines))
        }
    };
    super::fetch_page(
        db,
        q.order_by_desc(visits::Column::StartsAt)
            .order_by_desc(visits::Column::Id),
        page,
    )
    .await
}

/// One calendar month of a contract's visits by outcome.
#[derive(Debug, Clone, Serialize, Default)]
pub struct MonthStatus {
    /// `YYYY-MM`.
    pub month: String,
    pub completed: i64,
    pub attempted: i64,
    pub missed: i64,
    pub late: i64,
}

#[derive(Debug, FromQueryResult)]
struct MonthStatusRow {
    month: String,
    status: String,
    n: Option<i64>,
    late: Option<i64>,
}

/// The contract's visits per month (display zone) up to the end of
/// `today`, by outcome: for the dashboard's charts.
///
/// # Errors
/// Database errors.
pub async fn monthly<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    today: NaiveDate,
) -> AppResult<Vec<MonthStatus>> {
    let mut q = Sql::new(db.get_database_backend());
    let month = q.month();
    let sql = format!(
        "SELECT {month} AS month, key AS status, CAST(SUM(n) AS BIGINT) AS n, \
         CAST(SUM(late) AS BIGINT) AS late FROM fulfilment_days \
         WHERE contract_id = {} AND kind = 'status' AND day <= {} \
         GROUP BY {month}, key ORDER BY {month}",
        q.p(c.id),
        q.p(today)
    );
    let mut out: Vec<MonthStatus> = Vec::new();
    for r in MonthStatusRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        if out.last().is_none_or(|m| m.month != r.month) {
            out.push(MonthStatus {
                month: r.month.clone(),
                ..Default::default()
            });
        }
        if let Some(m) = out.last_mut() {
            match r.status.as_str() {
                "completed" => m.completed += r.n.unwrap_or(0),
                "attempted" | "refused" => m.attempted += r.n.unwrap_or(0),
                "missed" => m.missed += r.n.unwrap_or(0),
                _ => {}
            }
            if r.status != "cancelled" {
                m.late += r.late.unwrap_or(0);
            }
        }
    }
    Ok(out)
}

/// One township's contracts in force, summed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TownshipSummary {
    pub township_id: i64,
    pub contracts: usize,
    pub total_fen: i64,
    pub completed: i64,
    /// Completed, attempted, refused and missed (cancelled ones are not due).
    pub due: i64,
    pub late: i64,
    pub missed: i64,
}

impl TownshipSummary {
    /// `n` as a share of the visits due, in percent.
    #[must_use]
    pub fn rate(&self, n: i64) -> f64 {
        if self.due == 0 {
            0.0
        } else {
            (n as f64 * 1000.0 / self.due as f64).round() / 10.0
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct TownRow {
    township_id: i64,
    status: String,
    n: Option<i64>,
    late: Option<i64>,
}

/// The contracts' visits by township, up to the end of `today`, from the
/// kept totals (one grouped query).
///
/// # Errors
/// Database errors.
pub async fn by_township<C: ConnectionTrait>(
    db: &C,
    contracts: &[contracts::Model],
    today: NaiveDate,
) -> AppResult<Vec<TownshipSummary>> {
    let mut out: Vec<TownshipSummary> = Vec::new();
    for c in contracts {
        match out.iter_mut().find(|t| t.township_id == c.township_id) {
            Some(t) => {
                t.contracts += 1;
                t.total_fen += c.total_fen;
            }
            None => out.push(TownshipSummary {
                township_id: c.township_id,
                contracts: 1,
                total_fen: c.total_fen,
                ..Default::default()
            }),
        }
    }
    for chunk in contracts.chunks(500) {
        let mut q = Sql::new(db.get_database_backend());
        let ids: Vec<String> = chunk.iter().map(|c| q.p(c.id)).collect();
        let sql = format!(
            "SELECT c.township_id AS township_id, d.key AS status, CAST(SUM(d.n) AS BIGINT) AS n, \
             CAST(SUM(d.late) AS BIGINT) AS late FROM fulfilment_days d JOIN contracts c ON c.id = d.contract_id \
             WHERE d.contract_id IN ({}) AND d.kind = 'status' AND d.day <= {} GROUP BY c.township_id, d.key",
            ids.join(", "),
            q.p(today)
        );
        for r in TownRow::find_by_statement(q.statement(&sql))
            .all(db)
            .await?
        {
            let Some(t) = out.iter_mut().find(|t| t.township_id == r.township_id) else {
                continue;
            };
            let n = r.n.unwrap_or(0);
            match r.status.as_str() {
                "completed" => t.completed += n,
                "missed" => t.missed += n,
                "attempted" | "refused" => {}
                _ => continue,
            }
            t.due += n;
            t.late += r.late.unwrap_or(0);
        }
    }
    Ok(out)
}

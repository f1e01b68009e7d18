//! A contract's fulfilment, from SQL aggregates over its visits: what each
//! line item delivered, the visits by outcome, each covered recipient's
//! completed visits per month, material value by funding source. The
//! arithmetic is `domain::fulfilment`.
//!
//! A visit counts toward a contract when it is the provider's, for a
//! covered recipient, starts inside the period (display zone), and, for
//! delivery, is completed; lines count when of a type an item buys.
use super::_entities::{contract_items, contracts};
use crate::{
    domain::fulfilment::{
        self, material_share, ItemFigures, ItemInput, MonthCount, Period, Rates, Risk, Thresholds,
        Unit, VisitCounts,
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

    /// The calendar month of a visit's start in the display zone, `YYYY-MM`.
    fn month(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => {
                "to_char(v.starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
            }
            _ => "strftime('%Y-%m', v.starts_at, '+8 hours')",
        }
    }
}

fn instant(day: NaiveDate) -> DateTime<FixedOffset> {
    crate::domain::recurrence::resolve(DISPLAY_ZONE, day.and_time(chrono::NaiveTime::MIN)).into()
}

/// `FROM visits v JOIN contract_recipients ... WHERE` the visit counts
/// toward `c` (any outcome), starting before `until`.
fn counted(q: &mut Sql, c: &contracts::Model, until: DateTime<FixedOffset>) -> String {
    let from = instant(c.starts_on);
    let end = instant(c.ends_on + Duration::days(1)).min(until);
    format!(
        "FROM visits v JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
         WHERE cr.contract_id = {} AND v.organization_id = {} AND v.starts_at >= {} AND v.starts_at < {}",
        q.p(c.id),
        q.p(c.organization_id),
        q.p(from),
        q.p(end)
    )
}

#[derive(Debug, FromQueryResult)]
struct Total {
    total: Option<i64>,
}

async fn total<C: ConnectionTrait>(db: &C, q: Sql, sql: &str) -> AppResult<i64> {
    Ok(Total::find_by_statement(q.statement(sql))
        .one(db)
        .await?
        .and_then(|t| t.total)
        .unwrap_or(0))
}

/// What an item delivered, in thousandths of its unit.
async fn delivered<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    item: &contract_items::Model,
    unit: Unit,
    until: DateTime<FixedOffset>,
) -> AppResult<i64> {
    let mut q = Sql::new(db.get_database_backend());
    let base = counted(&mut q, c, until);
    let sql = match unit {
        Unit::Visit | Unit::Hour | Unit::Session => {
            let service = q.p(item.service.clone().unwrap_or_default());
            let min = match item.min_minutes {
                Some(m) => format!(" AND l.minutes >= {}", q.p(m)),
                None => String::new(),
            };
            let what = match unit {
                Unit::Visit => "COUNT(DISTINCT v.id) * 1000",
                Unit::Hour => "SUM(l.minutes)",
                _ => "COUNT(l.id) * 1000",
            };
            format!(
                "SELECT CAST({what} AS BIGINT) AS total {} AND v.status = 'completed' AND l.service = {service}{min}",
                base.replacen(
                    "FROM visits v",
                    "FROM visit_service_lines l JOIN visits v ON v.id = l.visit_id",
                    1
                )
            )
        }
        Unit::Item | Unit::Yuan => {
            let category = q.p(item.material_category.clone().unwrap_or_default());
            let what = if unit == Unit::Item {
                "SUM(m.quantity_milli)"
            } else {
                "SUM(m.value_fen) * 10"
            };
            format!(
                "SELECT CAST({what} AS BIGINT) AS total {} AND v.status = 'completed' AND m.category = {category} AND m.funding = 'contract'",
                base.replacen(
                    "FROM visits v",
                    "FROM visit_material_lines m JOIN visits v ON v.id = m.visit_id",
                    1
                )
            )
        }
    };
    let n = total(db, q, &sql).await?;
    Ok(if unit == Unit::Hour {
        minutes_to_milli_hours(n)
    } else {
        n
    })
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
    let base = counted(&mut q, c, instant(NaiveDate::MAX - Duration::days(2)));
    // SQLite numbers bind parameters by position: bind in the order of the text.
    let after = q.p(DateTime::<FixedOffset>::from(now));
    let pattern = q.p(format!("%,{},%", item.service.clone().unwrap_or_default()));
    let what = if unit == Unit::Hour {
        "SUM(sp.duration_minutes)"
    } else {
        "COUNT(v.id) * 1000"
    };
    let sql = format!(
        "SELECT CAST({what} AS BIGINT) AS total {} AND v.status = 'scheduled' AND v.starts_at >= {after} \
         AND (',' || sp.services || ',') LIKE {pattern}",
        base.replacen(
            "FROM visits v",
            "FROM visits v JOIN service_plans sp ON sp.id = v.plan_id",
            1
        )
    );
    let n = total(db, q, &sql).await?;
    Ok(if unit == Unit::Hour {
        minutes_to_milli_hours(n)
    } else {
        n
    })
}

#[derive(Debug, FromQueryResult)]
struct StatusRow {
    status: String,
    n: i64,
    late: Option<i64>,
    exceptions: Option<i64>,
}

async fn visit_counts<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    until: DateTime<FixedOffset>,
) -> AppResult<VisitCounts> {
    let mut q = Sql::new(db.get_database_backend());
    let base = counted(&mut q, c, until);
    let sql = format!(
        "SELECT v.status AS status, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN v.late THEN 1 ELSE 0 END) AS BIGINT) AS late, \
         CAST(SUM(CASE WHEN v.location_exception THEN 1 ELSE 0 END) AS BIGINT) AS exceptions \
         {base} GROUP BY v.status"
    );
    let mut out = VisitCounts::default();
    for r in StatusRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        match r.status.as_str() {
            "completed" => out.completed += r.n,
            "attempted" => out.attempted += r.n,
            "refused" => out.refused += r.n,
            "cancelled" => out.cancelled += r.n,
            "missed" => out.missed += r.n,
            _ => continue,
        }
        if r.status != "cancelled" {
            out.late += r.late.unwrap_or(0);
            out.exceptions += r.exceptions.unwrap_or(0);
        }
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct MonthRow {
    recipient_id: i64,
    month: String,
    n: i64,
}

async fn month_counts<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    until: DateTime<FixedOffset>,
) -> AppResult<Vec<MonthCount>> {
    let mut q = Sql::new(db.get_database_backend());
    let base = counted(&mut q, c, until);
    let month = q.month();
    let min = match c.min_visit_minutes {
        Some(m) => format!(
            " AND (SELECT COALESCE(SUM(l.minutes), 0) FROM visit_service_lines l WHERE l.visit_id = v.id) >= {}",
            q.p(m)
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT v.recipient_id AS recipient_id, {month} AS month, CAST(COUNT(*) AS BIGINT) AS n \
         {base} AND v.status = 'completed'{min} GROUP BY v.recipient_id, {month}"
    );
    Ok(MonthRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let (y, m) = r.month.split_once('-')?;
            Some(MonthCount {
                recipient: r.recipient_id,
                year: y.parse().ok()?,
                month: m.parse().ok()?,
                completed: r.n,
            })
        })
        .collect())
}

async fn funding<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    until: DateTime<FixedOffset>,
) -> AppResult<Vec<FundingRow>> {
    let mut q = Sql::new(db.get_database_backend());
    let base = counted(&mut q, c, until).replacen(
        "FROM visits v",
        "FROM visit_material_lines m JOIN visits v ON v.id = m.visit_id",
        1,
    );
    let sql = format!(
        "SELECT m.funding AS funding, m.donor AS donor, CAST(SUM(m.value_fen) AS BIGINT) AS value_fen \
         {base} AND v.status = 'completed' GROUP BY m.funding, m.donor ORDER BY m.funding, m.donor"
    );
    Ok(FundingRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?)
}

async fn covered_ids<C: ConnectionTrait>(db: &C, c: &contracts::Model) -> AppResult<Vec<i64>> {
    use super::_entities::contract_recipients;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    Ok(contract_recipients::Entity::find()
        .select_only()
        .column(contract_recipients::Column::RecipientId)
        .filter(contract_recipients::Column::ContractId.eq(c.id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// The fulfilment of `c` on `today` (display zone), `now` separating done
/// from still scheduled.
///
/// # Errors
/// Database errors.
pub async fn report<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    let t = Thresholds::default();
    // As of the end of `today`: nothing later counts.
    let cutoff = instant(today + Duration::days(1));
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    let mut items = Vec::new();
    let mut figures: Vec<ItemFigures> = Vec::new();
    let mut service_value = 0;
    for it in super::contracts::items_of(db, c.id).await? {
        let Some(unit) = Unit::parse(&it.unit) else {
            continue;
        };
        let input = ItemInput {
            quantity_milli: it.quantity_milli,
            unit_price_fen: it.unit_price_fen,
            delivered_milli: delivered(db, c, &it, unit, cutoff).await?,
            scheduled_milli: scheduled(db, c, &it, unit, now).await?,
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
    let covered = covered_ids(db, c).await?;
    let counts = visit_counts(db, c, cutoff.min(now.into())).await?;
    let rates: Rates = fulfilment::rates(counts);
    let compliance = fulfilment::compliance(
        &covered,
        &period.judged_months(today),
        &month_counts(db, c, cutoff).await?,
        c.min_visits_per_month.unwrap_or(0),
    );
    let funding = funding(db, c, cutoff).await?;
    let material_value: i64 = funding.iter().map(|f| f.value_fen).sum();
    let risks: Vec<Risk> = fulfilment::contract_risks(
        &figures,
        &compliance,
        &rates,
        c.max_late_percent.map(|p| p as f64),
        t,
    );
    Ok(Report {
        today,
        period_days: period.days(),
        elapsed_days: period.elapsed_days(today),
        items,
        covered: covered.len(),
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
            min_per_month: c.min_visits_per_month,
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
    now: DateTime<Utc>,
    page: crate::domain::pagination::PageRequest,
) -> AppResult<(
    Vec<super::_entities::visits::Model>,
    crate::domain::pagination::PageInfo,
)> {
    use super::_entities::{
        contract_recipients, visit_material_lines, visit_service_lines, visits,
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
    let covered = contract_recipients::Entity::find()
        .select_only()
        .column(contract_recipients::Column::RecipientId)
        .filter(contract_recipients::Column::ContractId.eq(c.id))
        .into_query();
    let until = instant(today + Duration::days(1)).min(instant(c.ends_on + Duration::days(1)));
    let mut q = visits::Entity::find()
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(visits::Column::RecipientId.in_subquery(covered))
        .filter(visits::Column::StartsAt.gte(instant(c.starts_on)))
        .filter(visits::Column::StartsAt.lt(until));
    let due = ["completed", "attempted", "refused", "missed"];
    let before_now = DateTime::<FixedOffset>::from(now);
    q = match behind {
        Behind::Completed => q.filter(visits::Column::Status.eq("completed")),
        Behind::Attempted => q.filter(visits::Column::Status.is_in(["attempted", "refused"])),
        Behind::Missed => q.filter(visits::Column::Status.eq("missed")),
        Behind::Cancelled => q.filter(visits::Column::Status.eq("cancelled")),
        Behind::Late => q
            .filter(visits::Column::Status.is_in(due))
            .filter(visits::Column::StartsAt.lt(before_now))
            .filter(visits::Column::Late.eq(true)),
        Behind::Exceptions => q
            .filter(visits::Column::Status.is_in(due))
            .filter(visits::Column::StartsAt.lt(before_now))
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
                if let (Some(m), "visit") = (item.min_minutes, item.unit.as_str()) {
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
    n: i64,
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
    let base = counted(&mut q, c, instant(today + Duration::days(1)));
    let month = q.month();
    let sql = format!(
        "SELECT {month} AS month, v.status AS status, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN v.late THEN 1 ELSE 0 END) AS BIGINT) AS late \
         {base} GROUP BY {month}, v.status ORDER BY {month}"
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
                "completed" => m.completed += r.n,
                "attempted" | "refused" => m.attempted += r.n,
                "missed" => m.missed += r.n,
                _ => {}
            }
            if r.status != "cancelled" {
                m.late += r.late.unwrap_or(0);
            }
        }
    }
    Ok(out)
}

//! Reading a contract's fulfilment from its kept totals: what each line
//! item delivered, the visits by outcome, each covered recipient's
//! completed visits per month, material value by funding source, what is
//! behind, month by month and township by township. The arithmetic is
//! `domain::fulfilment`.
use super::*;
use crate::domain::visit::VisitStatus;
use std::collections::HashMap;

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

/// The same item in another version: same service or material, same unit.
fn same_item<'a>(terms: &'a Terms, it: &contract_items::Model) -> Option<&'a TermItem> {
    terms.items.iter().find(|t| {
        t.service == it.service
            && t.material_category == it.material_category
            && Some(t.unit) == Unit::parse(&it.unit)
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
    format!(
        "FROM visits v JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
         WHERE cr.contract_id = {} AND v.organization_id = {} AND v.starts_at >= {} AND v.starts_at < {} AND {}",
        q.p(c.id),
        q.p(c.organization_id),
        q.p(from),
        q.p(instant(c.ends_on + Duration::days(1))),
        q.covered_on_day("v")
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
    let scheduled = q.p(VisitStatus::Scheduled.as_str());
    let pattern = q.p(format!("%,{},%", item.service.clone().unwrap_or_default()));
    let what = if unit == Unit::Hour {
        "SUM(sp.duration_minutes)"
    } else {
        "COUNT(v.id) * 1000"
    };
    let sql = format!(
        "SELECT CAST({what} AS BIGINT) AS total {} AND v.status = {scheduled} \
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

/// The months judged by `today` (each by the term in force on its first
/// day in the period) with the recipients covered throughout each.
fn judged_months(
    c: &contracts::Model,
    tl: &Timeline,
    coverage: &[CoverageRow],
    today: NaiveDate,
) -> Vec<JudgedMonth> {
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    period
        .judged_months(today)
        .into_iter()
        .map(|(y, m)| {
            let (first, last) = month_in_period(c, y, m);
            JudgedMonth {
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
            }
        })
        .collect()
}

/// Frequency compliance over the months judged by `today`: each month by
/// the term in force on its first day in the period, each recipient
/// judged for the months they were covered throughout.
async fn compliance<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    months: &[JudgedMonth],
    coverage: &[CoverageRow],
    shortfalls: bool,
) -> AppResult<fulfilment::Compliance> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(fulfilment::compliance(&[], &[]));
    };
    if !shortfalls {
        return met_counts(db, c, months, coverage).await;
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
    Ok(fulfilment::compliance(months, &counts))
}

/// Compliance counted in the database: per judged month, the judged
/// recipients whose kept count meets that month's term (the list of who
/// fell short is left out: only exports need it).
async fn met_counts<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    months: &[JudgedMonth],
    coverage: &[CoverageRow],
) -> AppResult<fulfilment::Compliance> {
    let met = met_of_all(
        db,
        &[MetAsk {
            c,
            months,
            coverage,
        }],
    )
    .await?;
    Ok(met_of(months, met.get(&c.id).copied().unwrap_or(0)))
}

/// The months' terms above zero as a condition on a kept month `fm`: its
/// month and count, and with `covered`, its recipient's coverage row `cr`
/// covering the whole month; `None` when no month has a term above zero.
fn met_terms(
    q: &mut Sql,
    c: &contracts::Model,
    months: &[JudgedMonth],
    covered: bool,
) -> Option<String> {
    let mut terms = Vec::new();
    for m in months.iter().filter(|m| m.min_per_month > 0) {
        let (first, last) = month_in_period(c, m.year, m.month);
        let month = q.p(format!("{:04}-{:02}", m.year, m.month));
        let min = q.p(m.min_per_month);
        terms.push(if covered {
            format!(
                "(fm.month = {month} AND fm.completed >= {min} AND {})",
                covers_sql(q, "cr.", first, last)
            )
        } else {
            format!("(fm.month = {month} AND fm.completed >= {min})")
        });
    }
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// The days of month `m` of `year` inside the contract's period.
fn month_in_period(c: &contracts::Model, year: i32, m: u32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, m, 1)
        .unwrap_or(c.starts_on)
        .max(c.starts_on);
    (first, fulfilment::month_end(year, m).min(c.ends_on))
}

/// A coverage row (columns prefixed `at`) covers every day from `first`
/// to `last`, bound as parameters.
fn covers_sql(q: &mut Sql, at: &str, first: NaiveDate, last: NaiveDate) -> String {
    let (first, last) = (q.p(first), q.p(last));
    covers(at, &first, &last)
}

/// Compliance from `met_in_db`, the kept months meeting a term above
/// zero ([`met_terms`]).
fn met_of(months: &[JudgedMonth], met_in_db: i64) -> fulfilment::Compliance {
    let judged: usize = months.iter().map(|m| m.recipients.len()).sum();
    // A term of zero is met by everyone judged, visits or not.
    let met: usize = months
        .iter()
        .filter(|m| m.min_per_month <= 0)
        .map(|m| m.recipients.len())
        .sum::<usize>()
        + usize::try_from(met_in_db).unwrap_or(0);
    fulfilment::Compliance::of_counts(judged, met.min(judged))
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
    let last = today.min(c.ends_on);
    let tl = timeline(db, c).await?;
    let mut parts = Vec::new();
    for (first, end, i) in fulfilment::segments(&tl.starts, c.starts_on, last) {
        parts.push((i, sums(db, c, first, end).await?));
    }
    let items = crate::models::contracts::items_of(db, c.id).await?;
    let mut still = Vec::with_capacity(items.len());
    for it in &items {
        still.push(match Unit::parse(&it.unit) {
            Some(unit) => scheduled(db, c, it, unit, now).await?,
            None => 0,
        });
    }
    let coverage = coverage(db, c).await?;
    let months = judged_months(c, &tl, &coverage, today);
    let compliance = compliance(db, c, &months, &coverage, shortfalls).await?;
    Ok(assemble(
        c,
        today,
        &Loaded {
            tl: &tl,
            parts: &parts,
            items: &items,
            scheduled: &still,
            coverage: &coverage,
        },
        compliance,
    ))
}

/// What one contract's report is made of, as loaded: its own statements
/// ([`report`]) or its share of a batch ([`reports`]).
struct Loaded<'a> {
    tl: &'a Timeline,
    /// The day totals of each stretch of terms, by the index of its terms.
    parts: &'a [(usize, Vec<SumRow>)],
    /// Its items, by position.
    items: &'a [contract_items::Model],
    /// What each item still has scheduled, in thousandths of its unit.
    scheduled: &'a [i64],
    coverage: &'a [CoverageRow],
}

/// The report of `c` from what was loaded for it.
fn assemble(
    c: &contracts::Model,
    today: NaiveDate,
    l: &Loaded<'_>,
    compliance: fulfilment::Compliance,
) -> Report {
    let t = Thresholds::default();
    let period = Period {
        start: c.starts_on,
        end: c.ends_on,
    };
    let last = today.min(c.ends_on);
    let (tl, parts) = (l.tl, l.parts);
    let mut items = Vec::new();
    let mut figures: Vec<ItemFigures> = Vec::new();
    let mut service_value = 0;
    for (it, scheduled_milli) in l.items.iter().zip(l.scheduled) {
        let Some(unit) = Unit::parse(&it.unit) else {
            continue;
        };
        let delivered: Vec<(i64, i64)> = parts
            .iter()
            .filter_map(|(i, rows)| {
                let then = same_item(&tl.terms[*i], it)?;
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
            scheduled_milli: *scheduled_milli,
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
                let status = r.key.parse::<VisitStatus>();
                match status {
                    Ok(VisitStatus::Completed) => counts.completed += n,
                    Ok(VisitStatus::Attempted) => counts.attempted += n,
                    Ok(VisitStatus::Refused) => counts.refused += n,
                    Ok(VisitStatus::Cancelled) => counts.cancelled += n,
                    Ok(VisitStatus::Missed) => counts.missed += n,
                    _ => continue,
                }
                if status != Ok(VisitStatus::Cancelled) {
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
    let covered = l
        .coverage
        .iter()
        .filter(|r| fulfilment::covered_throughout(r.covered_from, r.covered_until, last, last))
        .count();
    let rates: Rates = fulfilment::rates(counts);
    let material_value: i64 = funding.iter().map(|f| f.value_fen).sum();
    let risks: Vec<Risk> = fulfilment::contract_risks(
        &figures,
        &compliance,
        &rates,
        tl.at(last).max_late_percent.map(|p| p as f64),
        t,
    );
    Report {
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
    }
}

/// Contracts per batch: each batched statement binds a few values per
/// contract (a page of the dashboard is at most 100 contracts, one batch).
const BATCH: usize = 100;

/// [`report`] of each of `cs` (in their order), in a fixed number of
/// statements per batch of contracts whatever their number: approved
/// amendments, items, day totals by stretch of terms, what is still
/// scheduled, coverage and the months meeting the frequency term, each
/// one statement for all (`WHERE contract_id IN (…)`, grouped by
/// contract). The same figures as [`report`], one contract at a time.
///
/// # Errors
/// Database errors.
pub async fn reports<C: ConnectionTrait>(
    db: &C,
    cs: &[contracts::Model],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<Report>> {
    let mut out = Vec::with_capacity(cs.len());
    for chunk in cs.chunks(BATCH) {
        out.extend(reports_of(db, chunk, today, now).await?);
    }
    Ok(out)
}

async fn reports_of<C: ConnectionTrait>(
    db: &C,
    cs: &[contracts::Model],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<Report>> {
    use crate::models::_entities::contract_versions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    if cs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    let mut versions: HashMap<i64, Vec<contract_versions::Model>> = HashMap::new();
    for v in contract_versions::Entity::find()
        .filter(contract_versions::Column::ContractId.is_in(ids.clone()))
        .filter(contract_versions::Column::Status.eq("approved"))
        .order_by_asc(contract_versions::Column::ContractId)
        .order_by_asc(contract_versions::Column::Version)
        .all(db)
        .await?
    {
        versions.entry(v.contract_id).or_default().push(v);
    }
    let mut items: HashMap<i64, Vec<contract_items::Model>> = HashMap::new();
    for it in crate::models::contracts::items_of_all(db, &ids).await? {
        items.entry(it.contract_id).or_default().push(it);
    }
    let timelines: Vec<Timeline> = cs
        .iter()
        .map(|c| {
            let its = items.get(&c.id).cloned().unwrap_or_default();
            super::timeline_of(
                c,
                versions.remove(&c.id).unwrap_or_default(),
                crate::models::contracts::Terms::with_items(c, its),
            )
        })
        .collect();
    let parts = sums_of_all(db, cs, &timelines, today).await?;
    let still = scheduled_of_all(db, cs, now).await?;
    let mut coverage = coverage_of_all(db, &ids).await?;
    let months: Vec<Vec<JudgedMonth>> = cs
        .iter()
        .zip(&timelines)
        .map(|(c, tl)| {
            judged_months(
                c,
                tl,
                coverage.get(&c.id).map_or(&[][..], Vec::as_slice),
                today,
            )
        })
        .collect();
    let asks: Vec<MetAsk<'_>> = cs
        .iter()
        .zip(&months)
        .map(|(c, m)| MetAsk {
            c,
            months: m,
            coverage: coverage.get(&c.id).map_or(&[][..], Vec::as_slice),
        })
        .collect();
    let met = met_of_all(db, &asks).await?;
    let mut out = Vec::with_capacity(cs.len());
    for (k, c) in cs.iter().enumerate() {
        let its = items.remove(&c.id).unwrap_or_default();
        let scheduled: Vec<i64> = its
            .iter()
            .map(|it| match Unit::parse(&it.unit) {
                Some(unit) => still_scheduled(still.get(&c.id), it, unit),
                None => 0,
            })
            .collect();
        let compliance = if months[k].is_empty() {
            fulfilment::compliance(&[], &[])
        } else {
            met_of(&months[k], met.get(&c.id).copied().unwrap_or(0))
        };
        let cov = coverage.remove(&c.id).unwrap_or_default();
        let part = parts.get(k).map_or(&[][..], Vec::as_slice);
        out.push(assemble(
            c,
            today,
            &Loaded {
                tl: &timelines[k],
                parts: part,
                items: &its,
                scheduled: &scheduled,
                coverage: &cov,
            },
            compliance,
        ));
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct SegmentSumRow {
    seg: i64,
    kind: String,
    key: String,
    donor: String,
    n: Option<i64>,
    late: Option<i64>,
    exceptions: Option<i64>,
}

/// The day totals of each contract's stretches of terms up to `today`
/// ([`sums`] of each stretch), in one statement: each kept day is given
/// the number of its stretch, then grouped by it.
async fn sums_of_all<C: ConnectionTrait>(
    db: &C,
    cs: &[contracts::Model],
    timelines: &[Timeline],
    today: NaiveDate,
) -> AppResult<Vec<Vec<(usize, Vec<SumRow>)>>> {
    let mut q = Sql::new(db.get_database_backend());
    // Every stretch: the contract's place in `cs` and the index of its terms.
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    let mut whens = Vec::new();
    for (k, (c, tl)) in cs.iter().zip(timelines).enumerate() {
        for (first, end, i) in fulfilment::segments(&tl.starts, c.starts_on, today.min(c.ends_on)) {
            whens.push(format!(
                "WHEN contract_id = {} AND day >= {} AND day <= {} THEN {}",
                q.p(c.id),
                q.p(first),
                q.p(end),
                stretches.len()
            ));
            stretches.push((k, i));
        }
    }
    let mut out: Vec<Vec<(usize, Vec<SumRow>)>> = cs.iter().map(|_| Vec::new()).collect();
    for &(k, i) in &stretches {
        out[k].push((i, Vec::new()));
    }
    if stretches.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = cs.iter().map(|c| q.p(c.id)).collect();
    let sql = format!(
        "SELECT CAST(seg AS BIGINT) AS seg, kind, key, donor, CAST(SUM(n) AS BIGINT) AS n, \
         CAST(SUM(late) AS BIGINT) AS late, CAST(SUM(exceptions) AS BIGINT) AS exceptions FROM (\
         SELECT CASE {} END AS seg, kind, key, donor, n, late, exceptions FROM fulfilment_days \
         WHERE contract_id IN ({})) d WHERE seg IS NOT NULL GROUP BY seg, kind, key, donor",
        whens.join(" "),
        ids.join(", ")
    );
    for r in SegmentSumRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        let Some(&(k, i)) = usize::try_from(r.seg).ok().and_then(|s| stretches.get(s)) else {
            continue;
        };
        if let Some((_, rows)) = out[k].iter_mut().find(|(j, _)| *j == i) {
            rows.push(SumRow {
                kind: r.kind,
                key: r.key,
                donor: r.donor,
                n: r.n,
                late: r.late,
                exceptions: r.exceptions,
            });
        }
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct ScheduledRow {
    contract_id: i64,
    services: Option<String>,
    visits: Option<i64>,
    minutes: Option<i64>,
}

/// Each contract's visits still scheduled after `now` inside its period,
/// by the services of their plans (what [`scheduled`] counts, for every
/// item at once), in one statement.
async fn scheduled_of_all<C: ConnectionTrait>(
    db: &C,
    cs: &[contracts::Model],
    now: DateTime<Utc>,
) -> AppResult<HashMap<i64, Vec<ScheduledRow>>> {
    let mut q = Sql::new(db.get_database_backend());
    // SQLite numbers bind parameters by position: bind in the order of the text.
    let scheduled = q.p(VisitStatus::Scheduled.as_str());
    let each: Vec<String> = cs
        .iter()
        .map(|c| {
            format!(
                "(cr.contract_id = {} AND v.organization_id = {} AND v.starts_at >= {} AND v.starts_at < {})",
                q.p(c.id),
                q.p(c.organization_id),
                q.p(DateTime::<FixedOffset>::from(now).max(instant(c.starts_on))),
                q.p(instant(c.ends_on + Duration::days(1)))
            )
        })
        .collect();
    let covered = q.covered_on_day("v");
    let sql = format!(
        "SELECT cr.contract_id AS contract_id, sp.services AS services, \
         CAST(COUNT(v.id) AS BIGINT) AS visits, CAST(SUM(sp.duration_minutes) AS BIGINT) AS minutes \
         FROM visits v JOIN service_plans sp ON sp.id = v.plan_id \
         JOIN contract_recipients cr ON cr.recipient_id = v.recipient_id \
         WHERE v.status = {scheduled} AND ({}) AND {covered} GROUP BY cr.contract_id, sp.services",
        each.join(" OR ")
    );
    let mut out: HashMap<i64, Vec<ScheduledRow>> = HashMap::new();
    for r in ScheduledRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        out.entry(r.contract_id).or_default().push(r);
    }
    Ok(out)
}

/// What `item` still has scheduled from its contract's rows of
/// [`scheduled_of_all`]: the plans whose services name the item's (as
/// [`scheduled`] matches `,services,` against `%,service,%`).
fn still_scheduled(
    rows: Option<&Vec<ScheduledRow>>,
    item: &contract_items::Model,
    unit: Unit,
) -> i64 {
    if !unit.is_service() {
        return 0;
    }
    let service = item.service.clone().unwrap_or_default();
    let mine = rows.into_iter().flatten().filter(|r| {
        r.services
            .as_deref()
            .is_some_and(|s| s.split(',').any(|x| x == service))
    });
    if unit == Unit::Hour {
        minutes_to_milli_hours(mine.filter_map(|r| r.minutes).sum())
    } else {
        mine.filter_map(|r| r.visits).sum::<i64>() * 1000
    }
}

#[derive(Debug, FromQueryResult)]
struct CoverageOfRow {
    contract_id: i64,
    recipient_id: i64,
    covered_from: Option<NaiveDate>,
    covered_until: Option<NaiveDate>,
}

/// The coverage of each contract, in one statement.
async fn coverage_of_all<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<CoverageRow>>> {
    let mut q = Sql::new(db.get_database_backend());
    let list: Vec<String> = ids.iter().map(|id| q.p(*id)).collect();
    let sql = format!(
        "SELECT contract_id, recipient_id, covered_from, covered_until FROM contract_recipients \
         WHERE contract_id IN ({})",
        list.join(", ")
    );
    let mut out: HashMap<i64, Vec<CoverageRow>> = HashMap::new();
    for r in CoverageOfRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
    {
        out.entry(r.contract_id).or_default().push(CoverageRow {
            recipient_id: r.recipient_id,
            covered_from: r.covered_from,
            covered_until: r.covered_until,
        });
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct MetOfRow {
    contract_id: i64,
    n: Option<i64>,
}

/// What [`met_of_all`] counts for one contract: its judged months and
/// its coverage rows.
struct MetAsk<'a> {
    c: &'a contracts::Model,
    months: &'a [JudgedMonth],
    coverage: &'a [CoverageRow],
}

/// Above this many people covered for only part of the judged months, a
/// contract's count checks every kept month against its coverage row.
const FEW_PARTLY_COVERED: usize = 500;

/// For each contract with a month whose term is above zero, how many kept
/// months meet their month's term with the recipient covered throughout
/// that month, in one statement.
///
/// Most people are covered over every judged month: their kept months are
/// counted on the months index alone, leaving out the people covered for
/// part of the time (a handful: taken on or ended by an amendment), whose
/// kept months are joined to their coverage row month by month.
///
/// "Leaving out" (`NOT IN` the partly covered) rather than "keeping"
/// (`IN` the wholly covered): a contract keeps months only for people it
/// covers (`count` counts a visit only through its coverage row, and
/// coverage rows are never deleted), so both give the same count; but
/// PostgreSQL runs `NOT IN` as one hashed list whatever its statistics,
/// while it planned `IN` as a join, and before `ANALYZE` (autovacuum off,
/// or straight after a bulk load) as a nested loop comparing every kept
/// month with every covered person: 0.6 s instead of 12 ms for a contract
/// of 100,000 visits (README → Benchmarks).
async fn met_of_all<C: ConnectionTrait>(
    db: &C,
    asks: &[MetAsk<'_>],
) -> AppResult<HashMap<i64, i64>> {
    let mut q = Sql::new(db.get_database_backend());
    let asks: Vec<(&MetAsk<'_>, (NaiveDate, NaiveDate), Vec<i64>)> = asks
        .iter()
        .filter_map(|a| {
            // The days from the first month with a term to the last.
            let mut termed = a.months.iter().filter(|m| m.min_per_month > 0);
            let first = termed
                .next()
                .map(|m| month_in_period(a.c, m.year, m.month))?;
            let last = termed
                .next_back()
                .map_or(first, |m| month_in_period(a.c, m.year, m.month));
            let span = (first.0, last.1);
            let partly = a
                .coverage
                .iter()
                .filter(|r| {
                    !fulfilment::covered_throughout(r.covered_from, r.covered_until, span.0, span.1)
                })
                .map(|r| r.recipient_id)
                .collect();
            Some((a, span, partly))
        })
        .collect();
    if asks.is_empty() {
        return Ok(HashMap::new());
    }
    // SQLite numbers parameters by position: bind in the order of the text.
    let mut whole = Vec::new();
    for (a, (first, last), partly) in &asks {
        if partly.len() > FEW_PARTLY_COVERED {
            continue;
        }
        let contract = q.p(a.c.id);
        let terms = met_terms(&mut q, a.c, a.months, false).unwrap_or_default();
        let again = q.p(a.c.id);
        let covers = covers_sql(&mut q, "", *first, *last);
        whole.push(format!(
            "(fm.contract_id = {contract} AND ({terms}) AND fm.recipient_id NOT IN \
             (SELECT recipient_id FROM contract_recipients WHERE contract_id = {again} AND NOT ({covers})))"
        ));
    }
    let mut checked = Vec::new();
    for (a, _, partly) in &asks {
        if partly.is_empty() {
            continue;
        }
        let contract = q.p(a.c.id);
        let only = if partly.len() > FEW_PARTLY_COVERED {
            String::new()
        } else {
            let ids: Vec<String> = partly.iter().map(|id| q.p(*id)).collect();
            format!(" AND fm.recipient_id IN ({})", ids.join(", "))
        };
        let terms = met_terms(&mut q, a.c, a.months, true).unwrap_or_default();
        checked.push(format!("(fm.contract_id = {contract}{only} AND ({terms}))"));
    }
    let count = |conds: &[String], join: &str| {
        format!(
            "SELECT fm.contract_id AS contract_id, COUNT(*) AS n FROM fulfilment_months fm{join} \
             WHERE {} GROUP BY fm.contract_id",
            conds.join(" OR ")
        )
    };
    let join = " JOIN contract_recipients cr ON cr.contract_id = fm.contract_id \
                AND cr.recipient_id = fm.recipient_id";
    let parts: Vec<String> = [(&whole, ""), (&checked, join)]
        .into_iter()
        .filter(|(conds, _)| !conds.is_empty())
        .map(|(conds, join)| count(conds, join))
        .collect();
    let sql = format!(
        "SELECT contract_id, CAST(SUM(n) AS BIGINT) AS n FROM ({}) counted GROUP BY contract_id",
        parts.join(" UNION ALL ")
    );
    Ok(MetOfRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.contract_id, r.n.unwrap_or(0)))
        .collect())
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
        match (s.trim(), s.trim().parse::<VisitStatus>()) {
            (_, Ok(VisitStatus::Completed)) => Some(Self::Completed),
            (_, Ok(VisitStatus::Attempted)) => Some(Self::Attempted),
            (_, Ok(VisitStatus::Missed)) => Some(Self::Missed),
            (_, Ok(VisitStatus::Cancelled)) => Some(Self::Cancelled),
            ("late", _) => Some(Self::Late),
            ("exceptions", _) => Some(Self::Exceptions),
            (other, _) => other
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
    Vec<crate::models::_entities::visits::Model>,
    crate::domain::pagination::PageInfo,
)> {
    use crate::models::_entities::{visit_material_lines, visit_service_lines, visits};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
    let covered = covered_visit(db.get_database_backend(), c.id, "visits");
    let until = instant(today + Duration::days(1)).min(instant(c.ends_on + Duration::days(1)));
    let mut q = visits::Entity::find()
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(covered)
        .filter(visits::Column::StartsAt.gte(instant(c.starts_on)))
        .filter(visits::Column::StartsAt.lt(until));
    use VisitStatus as S;
    let words = |s: &[S]| s.iter().map(|s| s.as_str()).collect::<Vec<_>>();
    // Late and exceptions are figures of the visits that were due.
    let due = words(&[S::Completed, S::Attempted, S::Refused, S::Missed]);
    q = match behind {
        Behind::Completed => q.filter(visits::Column::Status.eq(S::Completed.as_str())),
        Behind::Attempted => {
            q.filter(visits::Column::Status.is_in(words(&[S::Attempted, S::Refused])))
        }
        Behind::Missed => q.filter(visits::Column::Status.eq(S::Missed.as_str())),
        Behind::Cancelled => q.filter(visits::Column::Status.eq(S::Cancelled.as_str())),
        Behind::Late => {
            let made: Vec<S> = S::ALL.into_iter().filter(|s| s.may_count_late()).collect();
            q.filter(visits::Column::Status.is_in(words(&made)))
                .filter(visits::Column::Late.eq(true))
        }
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
            q.filter(visits::Column::Status.eq(S::Completed.as_str()))
                .filter(visits::Column::Id.in_subquery(lines))
        }
    };
    crate::models::fetch_page(
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
    let rows = MonthStatusRow::find_by_statement(q.statement(&sql))
        .all(db)
        .await?;
    Ok(by_month(rows))
}

/// Rows by month and status (ordered by month) as months by outcome.
fn by_month(rows: impl IntoIterator<Item = MonthStatusRow>) -> Vec<MonthStatus> {
    let mut out: Vec<MonthStatus> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|m| m.month != r.month) {
            out.push(MonthStatus {
                month: r.month.clone(),
                ..Default::default()
            });
        }
        if let Some(m) = out.last_mut() {
            let status = r.status.parse::<VisitStatus>();
            match status {
                Ok(VisitStatus::Completed) => m.completed += r.n.unwrap_or(0),
                Ok(VisitStatus::Attempted | VisitStatus::Refused) => {
                    m.attempted += r.n.unwrap_or(0);
                }
                Ok(VisitStatus::Missed) => m.missed += r.n.unwrap_or(0),
                _ => {}
            }
            if status != Ok(VisitStatus::Cancelled) {
                m.late += r.late.unwrap_or(0);
            }
        }
    }
    out
}

#[derive(Debug, FromQueryResult)]
struct ContractMonthRow {
    contract_id: i64,
    month: String,
    status: String,
    n: Option<i64>,
    late: Option<i64>,
}

/// [`monthly`] of each of `cs` (in their order), one statement per batch.
///
/// # Errors
/// Database errors.
pub async fn monthly_of_all<C: ConnectionTrait>(
    db: &C,
    cs: &[contracts::Model],
    today: NaiveDate,
) -> AppResult<Vec<Vec<MonthStatus>>> {
    let mut out = Vec::with_capacity(cs.len());
    for chunk in cs.chunks(BATCH) {
        let mut q = Sql::new(db.get_database_backend());
        let month = q.month();
        let ids: Vec<String> = chunk.iter().map(|c| q.p(c.id)).collect();
        let sql = format!(
            "SELECT contract_id, {month} AS month, key AS status, CAST(SUM(n) AS BIGINT) AS n, \
             CAST(SUM(late) AS BIGINT) AS late FROM fulfilment_days \
             WHERE contract_id IN ({}) AND kind = 'status' AND day <= {} \
             GROUP BY contract_id, {month}, key ORDER BY contract_id, {month}",
            ids.join(", "),
            q.p(today)
        );
        let mut rows: HashMap<i64, Vec<MonthStatusRow>> = HashMap::new();
        for r in ContractMonthRow::find_by_statement(q.statement(&sql))
            .all(db)
            .await?
        {
            rows.entry(r.contract_id).or_default().push(MonthStatusRow {
                month: r.month,
                status: r.status,
                n: r.n,
                late: r.late,
            });
        }
        for c in chunk {
            out.push(by_month(rows.remove(&c.id).unwrap_or_default()));
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
            match r.status.parse::<VisitStatus>() {
                Ok(VisitStatus::Completed) => t.completed += n,
                Ok(VisitStatus::Missed) => t.missed += n,
                Ok(VisitStatus::Attempted | VisitStatus::Refused) => {}
                _ => continue,
            }
            t.due += n;
            t.late += r.late.unwrap_or(0);
        }
    }
    Ok(out)
}

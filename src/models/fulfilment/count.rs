//! Loading what the one counting rule (`domain::counting`) needs: a
//! contract's rule from its terms over time, and visits with their lines,
//! one visit (the write paths) or a contract's visits streamed by one
//! statement (a rebuild).
use super::{Sql, Timeline};
use crate::{
    domain::{
        counting::{self, Cover, Item, MaterialLine, Rule, ServiceLine, Totals},
        visit::VisitStatus,
    },
    errors::AppResult,
    models::_entities::{contract_recipients, contracts},
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, StreamTrait,
};
use std::collections::HashMap;

/// The counting rule of `c` under the terms it has had (`tl`).
#[must_use]
pub fn rule_of(c: &contracts::Model, tl: &Timeline) -> Rule {
    Rule {
        contract: c.id,
        organization: c.organization_id,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        items: tl
            .signatures()
            .into_iter()
            .map(|i| Item {
                service: i.service.clone(),
                material: i.material_category.clone(),
                unit: i.unit,
                min_minutes: i.min_minutes,
            })
            .collect(),
        versions: tl
            .starts
            .iter()
            .zip(&tl.terms)
            .map(|(from, t)| (*from, t.min_visit_minutes))
            .collect(),
    }
}

/// The day a visit starting at `at` is counted on (the display zone's).
fn day_of(at: DateTime<FixedOffset>) -> NaiveDate {
    at.with_timezone(&crate::zone::display()).date_naive()
}

/// A visit as counting reads it: one row, its lines as JSON arrays
/// (`[service, minutes]`, `[category, funding, donor, value_fen,
/// quantity_milli]`; none unless it was delivered).
#[derive(FromQueryResult)]
struct VisitRow {
    organization_id: i64,
    recipient_id: Option<i64>,
    starts_at: DateTime<FixedOffset>,
    status: String,
    late: bool,
    location_exception: bool,
    services: Option<String>,
    materials: Option<String>,
}

/// Lines as the statement of [`visits_with_lines`] writes them: JSON
/// arrays, or nothing (PostgreSQL's aggregate of no rows is NULL).
fn lines_of<T: serde::de::DeserializeOwned>(json: Option<&str>) -> AppResult<Vec<T>> {
    json.map_or_else(
        || Ok(Vec::new()),
        |j| {
            serde_json::from_str(j).map_err(|e| {
                DbErr::Type(format!("a visit's lines as counting reads them: {e}")).into()
            })
        },
    )
}

impl VisitRow {
    fn visit(self) -> AppResult<counting::Visit> {
        let services: Vec<(String, i64)> = lines_of(self.services.as_deref())?;
        let materials: Vec<(String, String, Option<String>, i64, i64)> =
            lines_of(self.materials.as_deref())?;
        Ok(counting::Visit {
            organization: self.organization_id,
            recipient: self.recipient_id,
            day: day_of(self.starts_at),
            status: VisitStatus::of_stored(&self.status),
            late: self.late,
            location_exception: self.location_exception,
            services: services
                .into_iter()
                .map(|(service, minutes)| ServiceLine { service, minutes })
                .collect(),
            materials: materials
                .into_iter()
                .map(
                    |(category, funding, donor, value_fen, quantity_milli)| MaterialLine {
                        category,
                        funding,
                        donor: donor.unwrap_or_default(),
                        value_fen,
                        quantity_milli,
                    },
                )
                .collect(),
        })
    }
}

/// The statement reading the visits `v` that `condition` selects, one row
/// each with its lines (read only for a visit that was delivered).
/// `condition` binds its parameters in `q` as it writes them, after the
/// select list's own.
fn visits_with_lines(
    q: &mut Sql,
    condition: impl FnOnce(&mut Sql) -> String,
    lock: bool,
) -> String {
    debug_assert!(VisitStatus::ALL
        .iter()
        .all(|s| s.delivered() == (*s == VisitStatus::Completed)));
    let (agg, arr) = match q.backend {
        DatabaseBackend::Postgres => ("json_agg", "json_build_array"),
        _ => ("json_group_array", "json_array"),
    };
    let services = format!(
        "CAST((SELECT {agg}({arr}(l.service, l.minutes)) FROM visit_service_lines l \
         WHERE l.visit_id = v.id AND v.status = {}) AS TEXT) AS services",
        q.p(VisitStatus::Completed.as_str())
    );
    let materials = format!(
        "CAST((SELECT {agg}({arr}(l.category, l.funding, l.donor, l.value_fen, l.quantity_milli)) \
         FROM visit_material_lines l WHERE l.visit_id = v.id AND v.status = {}) AS TEXT) \
         AS materials",
        q.p(VisitStatus::Completed.as_str())
    );
    format!(
        "SELECT v.organization_id, v.recipient_id, v.starts_at, v.status, v.late, \
         v.location_exception, {services}, {materials} FROM visits v WHERE {}{}",
        condition(q),
        if lock { " FOR UPDATE OF v" } else { "" }
    )
}

/// What the visit `visit_id` adds to the kept totals as it stands now (in
/// the caller's transaction): for each contract it counts toward, what
/// `domain::counting` says.
///
/// # Errors
/// Database errors.
pub async fn totals_of<C: ConnectionTrait>(db: &C, visit_id: i64) -> AppResult<Totals> {
    let mut out = Totals::default();
    // On PostgreSQL the visit's row is locked first, as every other write
    // to a visit does, so what it counted before a write cannot change
    // under it (SQLite has one writer anyway).
    let backend = db.get_database_backend();
    let mut q = Sql::new(backend);
    let sql = visits_with_lines(
        &mut q,
        |q| format!("v.id = {}", q.p(visit_id)),
        backend == DatabaseBackend::Postgres,
    );
    let Some(row) = VisitRow::find_by_statement(q.statement(&sql))
        .one(db)
        .await?
    else {
        return Ok(out);
    };
    let visit = row.visit()?;
    let Some(recipient) = visit.recipient else {
        return Ok(out);
    };
    if !visit.status.counts_toward_contract() {
        return Ok(out);
    }
    let covers: HashMap<i64, Cover> = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::RecipientId.eq(recipient))
        .all(db)
        .await?
        .into_iter()
        .map(|cr| {
            (
                cr.contract_id,
                Cover {
                    from: cr.covered_from,
                    until: cr.covered_until,
                },
            )
        })
        .filter(|(_, c)| c.on(visit.day))
        .collect();
    if covers.is_empty() {
        return Ok(out);
    }
    let found = contracts::Entity::find()
        .filter(contracts::Column::Id.is_in(covers.keys().copied()))
        .filter(contracts::Column::OrganizationId.eq(visit.organization))
        .filter(contracts::Column::StartsOn.lte(visit.day))
        .filter(contracts::Column::EndsOn.gte(visit.day))
        .all(db)
        .await?;
    for c in found {
        let rule = rule_of(&c, &super::timeline(db, &c).await?);
        let cover = covers.get(&c.id).copied().unwrap_or_default();
        if counting::counts_toward(&visit, &rule, cover) {
            out.add(&visit, &rule);
        }
    }
    Ok(out)
}

/// What the visits of `c`'s provider in its period add to `c`'s totals:
/// one statement, streamed, each visit with its lines counted as it
/// arrives (a contract's visits are never all in memory at once).
///
/// # Errors
/// Database errors.
pub async fn add_period<C: ConnectionTrait + StreamTrait>(
    db: &C,
    c: &contracts::Model,
    rule: &Rule,
    covers: &HashMap<i64, Cover>,
    out: &mut Totals,
) -> AppResult<()> {
    let mut q = Sql::new(ConnectionTrait::get_database_backend(db));
    let sql = visits_with_lines(
        &mut q,
        |q| {
            // Bound in the order they stand in the text (SQLite's `?`).
            let mut text = format!(
                "v.organization_id = {} AND v.starts_at >= {} AND v.starts_at < {} AND v.status IN (",
                q.p(c.organization_id),
                q.p(super::instant(c.starts_on)),
                q.p(super::instant(c.ends_on + chrono::Duration::days(1))),
            );
            let counted: Vec<String> = VisitStatus::counted()
                .into_iter()
                .map(|s| q.p(s.as_str()))
                .collect();
            text.push_str(&counted.join(", "));
            text.push_str(&format!(
                ") AND v.recipient_id IN \
                 (SELECT recipient_id FROM contract_recipients WHERE contract_id = {})",
                q.p(c.id)
            ));
            text
        },
        false,
    );
    let mut rows = std::pin::pin!(db.stream_raw(q.statement(&sql)).await?);
    while let Some(r) = rows.try_next().await? {
        let v = VisitRow::from_query_result(&r, "")?.visit()?;
        let Some(cover) = v.recipient.and_then(|r| covers.get(&r)) else {
            continue;
        };
        if counting::counts_toward(&v, rule, *cover) {
            out.add(&v, rule);
        }
    }
    Ok(())
}

/// Who `c` covers, and when.
///
/// # Errors
/// Database errors.
pub async fn covers_of<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
) -> AppResult<HashMap<i64, Cover>> {
    Ok(contract_recipients::Entity::find()
        .filter(contract_recipients::Column::ContractId.eq(c.id))
        .all(db)
        .await?
        .into_iter()
        .map(|cr| {
            (
                cr.recipient_id,
                Cover {
                    from: cr.covered_from,
                    until: cr.covered_until,
                },
            )
        })
        .collect())
}

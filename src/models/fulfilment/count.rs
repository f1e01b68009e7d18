//! Loading what the one counting rule (`domain::counting`) needs: a
//! contract's rule from its terms over time, and visits with their lines,
//! one visit (the write paths) or a contract's visits a month at a time
//! (a rebuild).
use super::Timeline;
use crate::{
    domain::{
        counting::{self, Cover, Item, MaterialLine, Rule, ServiceLine, Totals},
        visit::VisitStatus,
    },
    errors::AppResult,
    models::_entities::{
        contract_recipients, contracts, visit_material_lines, visit_service_lines, visits,
    },
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr},
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect,
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

type VisitRow = (
    i64,
    i64,
    Option<i64>,
    DateTime<FixedOffset>,
    String,
    bool,
    bool,
);

fn visit_of(r: &VisitRow) -> counting::Visit {
    counting::Visit {
        organization: r.1,
        recipient: r.2,
        day: day_of(r.3),
        status: VisitStatus::of_stored(&r.4),
        late: r.5,
        location_exception: r.6,
        services: Vec::new(),
        materials: Vec::new(),
    }
}

fn visit_columns() -> [visits::Column; 7] {
    [
        visits::Column::Id,
        visits::Column::OrganizationId,
        visits::Column::RecipientId,
        visits::Column::StartsAt,
        visits::Column::Status,
        visits::Column::Late,
        visits::Column::LocationException,
    ]
}

type MaterialRow = (i64, String, String, Option<String>, i64, i64);

fn material_of(r: MaterialRow) -> (i64, MaterialLine) {
    (
        r.0,
        MaterialLine {
            category: r.1,
            funding: r.2,
            donor: r.3.unwrap_or_default(),
            value_fen: r.4,
            quantity_milli: r.5,
        },
    )
}

/// Lines of the visits `of` selects (a condition on a lines table's
/// `visit_id`), attached to `visits`.
async fn attach_lines<C: ConnectionTrait>(
    db: &C,
    of: SimpleExpr,
    visits: &mut HashMap<i64, counting::Visit>,
) -> AppResult<()> {
    let services: Vec<(i64, String, i64)> = visit_service_lines::Entity::find()
        .select_only()
        .columns([
            visit_service_lines::Column::VisitId,
            visit_service_lines::Column::Service,
            visit_service_lines::Column::Minutes,
        ])
        .filter(of.clone())
        .into_tuple()
        .all(db)
        .await?;
    for (id, service, minutes) in services {
        if let Some(v) = visits.get_mut(&id) {
            v.services.push(ServiceLine { service, minutes });
        }
    }
    let materials: Vec<MaterialRow> = visit_material_lines::Entity::find()
        .select_only()
        .columns([
            visit_material_lines::Column::VisitId,
            visit_material_lines::Column::Category,
            visit_material_lines::Column::Funding,
            visit_material_lines::Column::Donor,
            visit_material_lines::Column::ValueFen,
            visit_material_lines::Column::QuantityMilli,
        ])
        .filter(of)
        .into_tuple()
        .all(db)
        .await?;
    for (id, m) in materials.into_iter().map(material_of) {
        if let Some(v) = visits.get_mut(&id) {
            v.materials.push(m);
        }
    }
    Ok(())
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
    let mut find = visits::Entity::find_by_id(visit_id)
        .select_only()
        .columns(visit_columns());
    if db.get_database_backend() == DatabaseBackend::Postgres {
        find = find.lock_exclusive();
    }
    let Some(row) = find.into_tuple::<VisitRow>().one(db).await? else {
        return Ok(out);
    };
    let mut visit = visit_of(&row);
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
    if found.is_empty() {
        return Ok(out);
    }
    if visit.status.delivered() {
        let mut one = HashMap::from([(visit_id, visit)]);
        let of = ExprTrait::eq(Expr::col(Alias::new("visit_id")), visit_id);
        attach_lines(db, of, &mut one).await?;
        visit = one.remove(&visit_id).unwrap_or_else(|| visit_of(&row));
    }
    for c in found {
        let rule = rule_of(&c, &super::timeline(db, &c).await?);
        let cover = covers.get(&c.id).copied().unwrap_or_default();
        if counting::counts_toward(&visit, &rule, cover) {
            out.add(&visit, &rule);
        }
    }
    Ok(out)
}

/// What the visits of `c`'s provider in `[first, last]` (display-zone
/// days) add to `c`'s totals, with their lines: one page of a rebuild.
///
/// # Errors
/// Database errors.
pub async fn add_days<C: ConnectionTrait>(
    db: &C,
    c: &contracts::Model,
    rule: &Rule,
    covers: &HashMap<i64, Cover>,
    (first, last): (NaiveDate, NaiveDate),
    out: &mut Totals,
) -> AppResult<()> {
    let counted: Vec<&'static str> = VisitStatus::counted()
        .into_iter()
        .map(VisitStatus::as_str)
        .collect();
    let covered = Query::select()
        .column(contract_recipients::Column::RecipientId)
        .from(contract_recipients::Entity)
        .and_where(contract_recipients::Column::ContractId.eq(c.id))
        .to_owned();
    let (from, until) = (
        super::instant(first),
        super::instant(last + chrono::Duration::days(1)),
    );
    let rows: Vec<VisitRow> = visits::Entity::find()
        .select_only()
        .columns(visit_columns())
        .filter(visits::Column::OrganizationId.eq(c.organization_id))
        .filter(visits::Column::StartsAt.gte(from))
        .filter(visits::Column::StartsAt.lt(until))
        .filter(visits::Column::Status.is_in(counted))
        .filter(visits::Column::RecipientId.in_subquery(covered.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let mut page: HashMap<i64, counting::Visit> = rows.iter().map(|r| (r.0, visit_of(r))).collect();
    let delivered: Vec<i64> = page
        .iter()
        .filter(|(_, v)| v.status.delivered())
        .map(|(id, _)| *id)
        .collect();
    if !delivered.is_empty() {
        let of = if db.get_database_backend() == DatabaseBackend::Postgres {
            // The ids read above, as one JSON parameter: PostgreSQL would
            // otherwise scan the month's visits again for each lines table.
            Expr::cust_with_values(
                "visit_id IN (SELECT CAST(value AS BIGINT) \
                 FROM jsonb_array_elements_text(CAST($1 AS jsonb)))",
                [serde_json::Value::from(delivered).to_string()],
            )
        } else {
            let ids = Query::select()
                .column(visits::Column::Id)
                .from(visits::Entity)
                .and_where(visits::Column::OrganizationId.eq(c.organization_id))
                .and_where(visits::Column::StartsAt.gte(from))
                .and_where(visits::Column::StartsAt.lt(until))
                .and_where(visits::Column::Status.eq(VisitStatus::Completed.as_str()))
                .and_where(visits::Column::RecipientId.in_subquery(covered))
                .to_owned();
            Expr::col(Alias::new("visit_id")).in_subquery(ids)
        };
        attach_lines(db, of, &mut page).await?;
    }
    for v in page.values() {
        let Some(cover) = v.recipient.and_then(|r| covers.get(&r)) else {
            continue;
        };
        if counting::counts_toward(v, rule, *cover) {
            out.add(v, rule);
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

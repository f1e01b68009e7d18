//! Handover between providers (issue 16): when a township puts a contract
//! in force, the people it covers may have been served by another
//! provider. On the days the new contract covers a person and the outgoing
//! provider's contracts no longer do, the outgoing provider's visits that
//! have not started are cancelled with a reason (kept as history), and its
//! plans for the person end the day after its own coverage ends. A
//! provider that still covers the person on a day (several providers at
//! once: daily care from one, goods from a charity) keeps its visits.
//!
//! The incoming provider's list (`views::handover`) shows each person's
//! needs, the outgoing plans' patterns and the dates of the last visits.
use super::{
    _entities::{contract_recipients, contracts, service_plans, visits},
    Actor,
};
use crate::{domain::visit::VisitStatus, errors::AppResult, policy::ACCESS_STATUSES};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{entity::prelude::*, ConnectionTrait, JoinType, QuerySelect};
use std::collections::HashMap;

/// The reason kept on each visit a handover cancels and each plan it ends.
pub const REASON: &str =
    "交接：本机构合同已不再覆盖此人（handover: another provider's contract covers these days）";

/// What a handover did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Handed {
    pub visits_cancelled: u64,
    pub plans_ended: u64,
}

/// One provider's coverage of one person: first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cover {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl Cover {
    #[must_use]
    pub fn holds(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }
}

/// The coverage of `people` by contracts in force or closed, by
/// (organisation, person).
///
/// # Errors
/// Database errors.
pub async fn covers_of<C: ConnectionTrait>(
    db: &C,
    people: &[i64],
) -> AppResult<HashMap<(i64, i64), Vec<Cover>>> {
    let mut out: HashMap<(i64, i64), Vec<Cover>> = HashMap::new();
    for chunk in people.chunks(500) {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            i64,
            Option<NaiveDate>,
            Option<NaiveDate>,
            NaiveDate,
            NaiveDate,
            Option<NaiveDate>,
        )> = contract_recipients::Entity::find()
            .select_only()
            .column(contracts::Column::OrganizationId)
            .column(contract_recipients::Column::RecipientId)
            .column(contract_recipients::Column::CoveredFrom)
            .column(contract_recipients::Column::CoveredUntil)
            .column(contracts::Column::StartsOn)
            .column(contracts::Column::EndsOn)
            .column(contracts::Column::ClosedOn)
            .join(
                JoinType::InnerJoin,
                contract_recipients::Entity::belongs_to(contracts::Entity)
                    .from(contract_recipients::Column::ContractId)
                    .to(contracts::Column::Id)
                    .into(),
            )
            .filter(contract_recipients::Column::RecipientId.is_in(chunk.iter().copied()))
            .filter(contracts::Column::Status.is_in(ACCESS_STATUSES))
            .into_tuple()
            .all(db)
            .await?;
        for (org, person, from, until, starts, ends, closed) in rows {
            let until = until.unwrap_or(ends);
            let until = closed.map_or(until, |c| until.min(c));
            out.entry((org, person)).or_default().push(Cover {
                from: from.unwrap_or(starts),
                until,
            });
        }
    }
    Ok(out)
}

/// Hands the people `contract` (just put in force) covers over from any
/// other provider whose coverage of them has ended: see the module.
///
/// # Errors
/// Database errors.
pub async fn hand_over<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    contract: &contracts::Model,
    now: DateTime<Utc>,
    horizon: Duration,
) -> AppResult<Handed> {
    let rows = contract_recipients::Entity::find()
        .filter(contract_recipients::Column::ContractId.eq(contract.id))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Handed::default());
    }
    let start_of: HashMap<i64, Cover> = rows
        .iter()
        .map(|r| {
            (
                r.recipient_id,
                Cover {
                    from: r.covered_from.unwrap_or(contract.starts_on),
                    until: r.covered_until.unwrap_or(contract.ends_on),
                },
            )
        })
        .collect();
    let people: Vec<i64> = start_of.keys().copied().collect();
    let covers = covers_of(db, &people).await?;
    let zone = crate::zone::display();
    let today = now.with_timezone(&zone).date_naive();
    // Whether `org` covers `person` on `day`.
    let covered = |org: i64, person: i64, day: NaiveDate| {
        covers
            .get(&(org, person))
            .is_some_and(|list| list.iter().any(|c| c.holds(day)))
    };
    let mut cancel = Vec::new();
    for chunk in people.chunks(500) {
        let open: Vec<visits::Model> = visits::Entity::find()
            .filter(visits::Column::RecipientId.is_in(chunk.iter().copied()))
            .filter(visits::Column::OrganizationId.ne(contract.organization_id))
            .filter(visits::Column::Status.eq(VisitStatus::Scheduled.as_str()))
            .filter(visits::Column::StartsAt.gte(now))
            .all(db)
            .await?;
        for v in open {
            let Some(person) = v.recipient_id else {
                continue;
            };
            let day = v.starts_at.with_timezone(&zone).date_naive();
            let incoming = start_of.get(&person).is_some_and(|c| c.holds(day));
            if incoming && !covered(v.organization_id, person, day) {
                cancel.push(v.id);
            }
        }
    }
    let visits_cancelled =
        super::visit_writes::cancel_unstarted(db, actor, &cancel, REASON, now).await?;
    // The outgoing provider's plans end the day after its last covered day
    // (today at the earliest), when that comes before the new coverage
    // ends: a provider that covers the person longer keeps its plan.
    let mut plans_ended = 0;
    let plans = service_plans::Entity::find()
        .filter(service_plans::Column::RecipientId.is_in(people.iter().copied()))
        .filter(service_plans::Column::OrganizationId.ne(contract.organization_id))
        .filter(service_plans::Column::Status.eq("active"))
        .all(db)
        .await?;
    for plan in plans {
        let Some(person) = plan.recipient_id else {
            continue;
        };
        let Some(incoming) = start_of.get(&person) else {
            continue;
        };
        let last = covers
            .get(&(plan.organization_id, person))
            .and_then(|list| list.iter().map(|c| c.until).max());
        let end = last
            .map_or(incoming.from, |d| d + Duration::days(1))
            .max(today);
        if end > incoming.until {
            continue;
        }
        plan.end_in(db, actor, end, now, horizon, REASON).await?;
        plans_ended += 1;
    }
    Ok(Handed {
        visits_cancelled,
        plans_ended,
    })
}

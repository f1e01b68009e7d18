//! Referrals (转介): needs seen at a visit, raised by the worker, and the
//! township's work from then on (issue 16): an official of the referral's
//! township is made responsible for it, gives it a due date and closes it
//! with an outcome (`domain::referral::ReferralOutcome`) and a note. The
//! coordinators of the organisation whose visit raised it read what came
//! of it.
pub use super::_entities::referrals::{self, ActiveModel, Column, Entity, Model};
use sea_orm::{entity::prelude::*, ActiveValue::Set};

super::pid_and_timestamps!();
use super::_entities::{official_townships, users, visits};
use super::{
    audit_logs::{self, Action},
    fetch_page, find_scoped, scoped, Actor,
};
use crate::{
    domain::{
        date_input::parse_date,
        pagination::{PageInfo, PageRequest},
        referral::{check_due, ReferralOutcome},
        role::Role,
        text,
    },
    errors::{AppError, AppResult, FieldErrors},
    policy::Scope,
};
use chrono::NaiveDate;
use sea_orm::{sea_query::Expr, Condition, JoinType, QueryOrder, QuerySelect, TransactionTrait};
use std::collections::HashMap;

/// The longest outcome note, in characters.
pub const NOTE_MAX: usize = 1000;

const OPEN: &str = "open";
const CLOSED: &str = "closed";

/// Which referrals a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Filter {
    /// Those still open (the default).
    #[default]
    Open,
    /// Open and closed.
    All,
    /// Open and due before today.
    Overdue,
}

/// A person named on a referral (the official responsible for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub pid: Uuid,
    pub name: String,
}

/// A referral with the person it is about, the pid of the visit it came
/// from and the official responsible, for lists.
#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub referral: Model,
    pub recipient: Option<super::recipients::Model>,
    pub visit: Option<Uuid>,
    pub assignee: Option<Person>,
}

/// Open and due before `today`: `domain::referral::is_overdue` in SQL.
#[must_use]
pub fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(Column::Status.eq(OPEN))
        .add(Column::DueOn.is_not_null())
        .add(Column::DueOn.lt(today))
}

fn filtered(q: Select<Entity>, filter: Filter, today: NaiveDate) -> Select<Entity> {
    match filter {
        Filter::Open => q.filter(Column::Status.eq(OPEN)),
        Filter::All => q,
        Filter::Overdue => q.filter(overdue_condition(today)),
    }
}

/// The caller's referrals under `filter` (overdue as of `today`): open
/// ones first, newest first; overdue ones by due date, the longest overdue
/// first. The people, visits and officials of a page are loaded in one
/// query each.
///
/// # Errors
/// `NotFound` for callers who see no referrals.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: Filter,
    today: NaiveDate,
    page: PageRequest,
) -> AppResult<(Vec<ReferralRow>, PageInfo)> {
    let q = scoped(Entity::find(), scope.referrals()).ok_or(AppError::NotFound)?;
    let q = filtered(q, filter, today);
    let q = if filter == Filter::Overdue {
        q.order_by_asc(Column::DueOn).order_by_desc(Column::Id)
    } else {
        q.order_by_desc(Column::Status.eq(OPEN))
            .order_by_desc(Column::Id)
    };
    let (list, info) = fetch_page(db, q, page).await?;
    Ok((rows(db, list).await?, info))
}

/// Referrals with their people, visits and officials (one query each).
async fn rows(db: &DatabaseConnection, list: Vec<Model>) -> AppResult<Vec<ReferralRow>> {
    let people =
        super::recipients::by_ids(db, list.iter().filter_map(|r| r.recipient_id).collect()).await?;
    let visit_ids: Vec<i64> = list.iter().map(|r| r.visit_id).collect();
    let visits: HashMap<i64, Uuid> = if visit_ids.is_empty() {
        HashMap::new()
    } else {
        visits::Entity::find()
            .select_only()
            .column(visits::Column::Id)
            .column(visits::Column::Pid)
            .filter(visits::Column::Id.is_in(visit_ids))
            .into_tuple::<(i64, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut assignee_ids: Vec<i64> = list.iter().filter_map(|r| r.assigned_to_id).collect();
    assignee_ids.sort_unstable();
    assignee_ids.dedup();
    let assignees: HashMap<i64, Person> = if assignee_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::Pid)
            .column(users::Column::Name)
            .filter(users::Column::Id.is_in(assignee_ids))
            .into_tuple::<(i64, Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, pid, name)| (id, Person { pid, name }))
            .collect()
    };
    Ok(list
        .into_iter()
        .map(|r| ReferralRow {
            recipient: r.recipient_id.and_then(|id| people.get(&id).cloned()),
            visit: visits.get(&r.visit_id).copied(),
            assignee: r.assigned_to_id.and_then(|id| assignees.get(&id).cloned()),
            referral: r,
        })
        .collect())
}

/// How many of the caller's referrals `filter` picks (none for callers who
/// see no referrals): one statement.
///
/// # Errors
/// Database errors.
pub async fn count(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: Filter,
    today: NaiveDate,
) -> AppResult<u64> {
    match scoped(Entity::find(), scope.referrals()) {
        None => Ok(0),
        Some(q) => Ok(filtered(q, filter, today).count(db).await?),
    }
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.referrals(),
        ),
    )
    .await
}

/// One referral in scope with its person, visit and official.
///
/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load_row(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<ReferralRow> {
    let r = load(db, scope, pid).await?;
    rows(db, vec![r]).await?.pop().ok_or(AppError::NotFound)
}

/// The officials a referral of each of `townships` may be assigned to:
/// active officials who oversee the township, by name (one query).
///
/// # Errors
/// Database errors.
pub async fn assignable(
    db: &DatabaseConnection,
    townships: Vec<i64>,
) -> AppResult<HashMap<i64, Vec<Person>>> {
    let mut out: HashMap<i64, Vec<Person>> = HashMap::new();
    if townships.is_empty() {
        return Ok(out);
    }
    let found = official_townships::Entity::find()
        .select_only()
        .column(official_townships::Column::TownshipId)
        .column(users::Column::Pid)
        .column(users::Column::Name)
        .join(
            JoinType::InnerJoin,
            official_townships::Relation::Users.def(),
        )
        .filter(official_townships::Column::TownshipId.is_in(townships))
        .filter(users::Column::Role.eq(Role::Official.as_str()))
        .filter(users::Column::Active.eq(true))
        .order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Id)
        .into_tuple::<(i64, Uuid, String)>()
        .all(db)
        .await?;
    for (township, pid, name) in found {
        out.entry(township).or_default().push(Person { pid, name });
    }
    Ok(out)
}

/// An assignment as sent by the form or the API, before checking.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssignInput<'a> {
    /// The pid of the official made responsible.
    pub assignee: Option<&'a str>,
    /// The due date; blank or absent leaves the referral without one.
    pub due_on: Option<&'a str>,
}

/// A close as sent by the form or the API, before checking.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseInput<'a> {
    pub outcome: Option<&'a str>,
    pub outcome_note: Option<&'a str>,
}

impl Model {
    /// Whether it still waits for someone to act.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.status == OPEN
    }

    /// The day it was raised, in the display zone.
    #[must_use]
    pub fn raised_on(&self) -> NaiveDate {
        self.created_at
            .with_timezone(&crate::zone::display())
            .date_naive()
    }

    /// The official `raw` (a user pid) if they may be made responsible
    /// for this referral: an active official who oversees its township.
    async fn assignee<C: ConnectionTrait>(&self, db: &C, raw: &str) -> AppResult<Option<i64>> {
        let Ok(pid) = Uuid::parse_str(raw.trim()) else {
            return Ok(None);
        };
        Ok(users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .join(
                JoinType::InnerJoin,
                users::Relation::OfficialTownships.def(),
            )
            .filter(users::Column::Pid.eq(pid))
            .filter(users::Column::Role.eq(Role::Official.as_str()))
            .filter(users::Column::Active.eq(true))
            .filter(official_townships::Column::TownshipId.eq(self.township_id))
            .into_tuple::<i64>()
            .one(db)
            .await?)
    }

    /// Makes an official of the referral's township responsible for it and
    /// sets (or changes, or clears) its due date.
    ///
    /// # Errors
    /// 422: a closed referral (`status`); no assignee, or one who is not an
    /// active official overseeing the township (`assignee`); a due date
    /// that is not a date or is before the day it was raised (`due_on`).
    /// Database errors.
    pub async fn assign(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        input: AssignInput<'_>,
    ) -> AppResult<Self> {
        if !self.is_open() {
            return Err(AppError::field("status", "error-referral-closed"));
        }
        let mut e = FieldErrors::new();
        let assignee = match input.assignee.map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                e.add("assignee", "error-required");
                None
            }
            Some(raw) => {
                let found = self.assignee(db, raw).await?;
                if found.is_none() {
                    e.add("assignee", "error-referral-assignee");
                }
                found
            }
        };
        let due_on = e
            .optional("due_on", input.due_on, "error-date", parse_date)
            .and_then(|d| {
                e.take("due_on", check_due(self.raised_on(), d), |err| {
                    err.message_key()
                })
            });
        let assignee = e.into_result(|| assignee)?;
        self.change(db, actor, |q| {
            q.col_expr(Column::AssignedToId, Expr::value(assignee))
                .col_expr(Column::DueOn, Expr::value(due_on))
        })
        .await
    }

    /// Closes it with an outcome and a note, taking it off the open list.
    ///
    /// # Errors
    /// 422: an unknown or missing outcome (`outcome`), a missing or too
    /// long note (`outcome_note`), a referral closed already (`status`,
    /// also for the loser of two closing at once). Database errors.
    pub async fn close(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        input: CloseInput<'_>,
    ) -> AppResult<Self> {
        if !self.is_open() {
            return Err(AppError::field("status", "error-referral-closed"));
        }
        let mut e = FieldErrors::new();
        let outcome = match input.outcome.map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                e.add("outcome", "error-required");
                None
            }
            Some(raw) => e.take("outcome", ReferralOutcome::parse(raw), |err| {
                err.message_key()
            }),
        };
        let note = e.take(
            "outcome_note",
            text::required(input.outcome_note.unwrap_or_default(), NOTE_MAX),
            text::TextError::message_key,
        );
        let (outcome, note) = e.into_result(|| outcome.zip(note))?;
        let now: DateTimeWithTimeZone = chrono::Utc::now().into();
        self.change(db, actor, |q| {
            q.col_expr(Column::Status, Expr::value(CLOSED))
                .col_expr(Column::Outcome, Expr::value(outcome.as_str()))
                .col_expr(Column::OutcomeNote, Expr::value(note))
                .col_expr(Column::ClosedById, Expr::value(actor.user_id))
                .col_expr(Column::ClosedAt, Expr::value(now))
        })
        .await
    }

    /// One change of an open referral: a conditional UPDATE (of two
    /// writers, the one that finds it closed gets a 422) and its audit
    /// entry (the row as it was in the transaction, and after), in one
    /// transaction.
    async fn change(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        set: impl FnOnce(sea_orm::UpdateMany<Entity>) -> sea_orm::UpdateMany<Entity>,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let before = Entity::find_by_id(self.id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let now: DateTimeWithTimeZone = chrono::Utc::now().into();
        let res = set(Entity::update_many())
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(self.id))
            .filter(Column::Status.eq(OPEN))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::field("status", "error-referral-closed"));
        }
        let after = Entity::find_by_id(self.id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "referrals",
            after.pid,
            Some(&before),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}

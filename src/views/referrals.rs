//! The referral list and a referral's page (pages and API), loaded with
//! their people, visits and responsible officials in one query each.
use super::{ListResponse, Ref};
use crate::{
    domain::{
        pagination::PageRequest,
        referral::{is_overdue, ReferralOutcome},
    },
    errors::AppResult,
    models::referrals::{self, Filter, Person, ReferralRow},
    policy::Scope,
};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

/// The list's query string.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReferralQuery {
    /// `all` shows closed ones too.
    pub show: Option<String>,
    /// `true` shows only the overdue ones (open, due before today).
    pub overdue: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl ReferralQuery {
    /// What the list shows: overdue ones with `overdue=true`, else all
    /// with `show=all`, else the open ones.
    #[must_use]
    pub fn filter(&self) -> Filter {
        if matches!(self.overdue.as_deref().map(str::trim), Some("true" | "1")) {
            Filter::Overdue
        } else if self.show.as_deref() == Some("all") {
            Filter::All
        } else {
            Filter::Open
        }
    }
}

/// The list's tab, and its query string for the pagination links.
const fn tab(filter: Filter) -> (&'static str, &'static str) {
    match filter {
        Filter::Open => ("open", "show=open"),
        Filter::All => ("all", "show=all"),
        Filter::Overdue => ("overdue", "overdue=true"),
    }
}

#[derive(Debug, Serialize)]
pub struct ReferralJson {
    pub pid: Uuid,
    pub kind: String,
    pub note: String,
    pub status: String,
    pub recipient: Option<Ref>,
    pub visit: Option<Uuid>,
    /// The note of a referral closed before outcomes existed.
    pub action_note: Option<String>,
    pub closed_at: Option<Time>,
    pub created_at: Time,
    /// The official responsible for it.
    pub assignee: Option<Ref>,
    pub due_on: Option<NaiveDate>,
    /// Open and due before today (in the display zone).
    pub overdue: bool,
    /// What it was closed with (`ReferralOutcome`); none for one closed
    /// before outcomes existed.
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

impl ReferralJson {
    #[must_use]
    pub fn new(r: &ReferralRow, today: NaiveDate) -> Self {
        let m = &r.referral;
        Self {
            pid: m.pid,
            kind: m.kind.clone(),
            note: m.note.clone(),
            status: m.status.clone(),
            recipient: r.recipient.as_ref().map(|p| Ref {
                pid: p.pid,
                name: p.name.clone(),
            }),
            visit: r.visit,
            action_note: m.action_note.clone(),
            closed_at: m.closed_at,
            created_at: m.created_at,
            assignee: r.assignee.as_ref().map(person),
            due_on: m.due_on,
            overdue: is_overdue(m.is_open(), m.due_on, today),
            outcome: m.outcome.clone(),
            outcome_note: m.outcome_note.clone(),
        }
    }
}

fn person(p: &Person) -> Ref {
    Ref {
        pid: p.pid,
        name: p.name.clone(),
    }
}

/// The referrals in scope the query picks, as of `today`.
///
/// # Errors
/// `NotFound` for callers who see no referrals.
pub async fn list_json(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ReferralQuery,
    today: NaiveDate,
) -> AppResult<ListResponse<ReferralJson>> {
    let page = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref());
    let (rows, page) = referrals::list(db, scope, q.filter(), today, page).await?;
    Ok(ListResponse {
        items: rows.iter().map(|r| ReferralJson::new(r, today)).collect(),
        page,
    })
}

/// The list page.
///
/// # Errors
/// As `list_json`.
pub async fn list_page(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ReferralQuery,
    today: NaiveDate,
) -> AppResult<Value> {
    let list = list_json(db, scope, q, today).await?;
    let (tab, base_query) = tab(q.filter());
    Ok(json!({
        "items": list.items, "page": list.page, "tab": tab,
        "may_manage": scope.may_manage_referrals(),
        "base_query": base_query,
    }))
}

/// One referral in scope, as of `today`.
///
/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn show_json(
    db: &DatabaseConnection,
    scope: &Scope,
    pid: Uuid,
    today: NaiveDate,
) -> AppResult<ReferralJson> {
    let row = referrals::load_row(db, scope, pid).await?;
    Ok(ReferralJson::new(&row, today))
}

/// What the assign and close forms hold when shown again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReferralForm {
    pub assignee: Option<String>,
    pub due_on: Option<String>,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
}

/// A referral's page: what it is about, who is responsible, when it is
/// due and what came of it; for those who manage referrals, the forms to
/// assign it and to close it (the officials of its township to choose
/// from, the outcomes), with `form` and `errors` of a refused post.
///
/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn show_page(
    db: &DatabaseConnection,
    scope: &Scope,
    pid: Uuid,
    today: NaiveDate,
    form: Option<ReferralForm>,
    errors: Value,
) -> AppResult<Value> {
    let row = referrals::load_row(db, scope, pid).await?;
    let manage = scope.may_manage_referrals() && row.referral.is_open();
    let officials: Vec<Ref> = if manage {
        referrals::assignable(db, vec![row.referral.township_id])
            .await?
            .remove(&row.referral.township_id)
            .unwrap_or_default()
            .iter()
            .map(person)
            .collect()
    } else {
        Vec::new()
    };
    let r = ReferralJson::new(&row, today);
    // The forms start from what is saved.
    let form = form.unwrap_or_else(|| ReferralForm {
        assignee: r.assignee.as_ref().map(|a| a.pid.to_string()),
        due_on: r.due_on.map(|d| d.to_string()),
        ..ReferralForm::default()
    });
    let outcomes: Vec<Value> = ReferralOutcome::ALL
        .iter()
        .map(|o| json!({"value": o.as_str(), "key": o.key()}))
        .collect();
    Ok(json!({
        "r": r, "manage": manage, "officials": officials, "outcomes": outcomes,
        "raised_on": row.referral.raised_on().to_string(),
        "form": form, "errors": errors,
    }))
}

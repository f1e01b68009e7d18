pub mod _entities;
pub mod acceptances;
pub mod ad_hoc_visits;
pub mod audit_logs;
pub mod calendar_feeds;
pub mod callbacks;
pub mod contract_amendments;
pub mod contract_documents;
pub mod contracts;
pub mod fulfilment;
pub mod handover;
pub mod households;
pub mod job_runs;
pub mod milestones;
pub mod official_townships;
pub mod organizations;
pub mod payments;
pub mod plan_changes;
pub mod proposals;
pub mod recipient_import_files;
pub mod recipient_imports;
pub mod recipient_status_changes;
pub mod recipients;
pub mod referrals;
pub mod service_plans;
pub mod service_types;
pub mod sign_in_failures;
pub mod townships;
pub mod users;
pub mod villages;
pub mod visit_amendments;
pub mod visit_lines;
pub mod visit_logs;
pub mod visit_submissions;
pub mod visit_writes;
pub mod visits;

use crate::{
    domain::pagination::{PageInfo, PageRequest},
    errors::{AppError, AppResult},
    policy::Visible,
};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, Select};

/// `ActiveModelBehavior` for tables reachable from outside: a fresh `pid`
/// on insert, `updated_at` on every update.
macro_rules! pid_and_timestamps {
    () => {
        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                let mut this = self;
                if insert {
                    this.pid = Set(Uuid::new_v4());
                } else if this.updated_at.is_unchanged() {
                    this.updated_at = Set(chrono::Utc::now().into());
                }
                Ok(this)
            }
        }
    };
}
pub(crate) use pid_and_timestamps;

/// Today's date where the service happens (the display zone).
#[must_use]
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&crate::zone::display())
        .date_naive()
}

/// Who is making a change, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    /// A change made by a command-line task or the seeder.
    #[must_use]
    pub fn system(label: &str) -> Self {
        Self {
            label: label.to_string(),
            ..Self::default()
        }
    }
}

/// Restricts a query to what the caller may see; `None` when they may see
/// nothing of this table.
pub fn scoped<E: EntityTrait>(q: Select<E>, visible: Visible) -> Option<Select<E>> {
    match visible {
        Visible::All => Some(q),
        Visible::Only(c) => Some(q.filter(c)),
        Visible::Nothing => None,
    }
}

/// One page of an ordered query, with the total count.
///
/// # Errors
/// Database errors.
pub async fn fetch_page<C, E, M>(
    db: &C,
    q: Select<E>,
    page: PageRequest,
) -> AppResult<(Vec<M>, PageInfo)>
where
    C: ConnectionTrait,
    E: EntityTrait<Model = M>,
    M: FromQueryResult + Sized + Send + Sync,
{
    let paginator = q.paginate(db, page.per_page());
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok((items, PageInfo::new(page, total)))
}

/// Finds one row by `pid` inside the caller's scope.
///
/// # Errors
/// `NotFound` when the row is missing or outside the scope.
pub async fn find_scoped<C, E>(db: &C, q: Option<Select<E>>) -> AppResult<E::Model>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let Some(q) = q else {
        return Err(AppError::NotFound);
    };
    q.one(db).await?.ok_or(AppError::NotFound)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern that matches `term` anywhere.
#[must_use]
pub fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.trim().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A `pid` from a URL or a body; a malformed one is as missing as an
/// unknown one (404).
///
/// # Errors
/// `NotFound` when `raw` is not a UUID.
pub fn pid(raw: &str) -> crate::errors::AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| crate::errors::AppError::NotFound)
}

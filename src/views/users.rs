//! People who sign in: their JSON shape (with organisation and overseen
//! townships), the list with its filters, and the pages and form.
use super::{organizations::OrganizationJson, places::township_options, Ref};
use crate::{
    domain::{pagination::PageInfo, role::Role},
    errors::AppResult,
    models::{
        _entities::{organizations, townships, users},
        users::{UserDetail, UserFilter, UserParams},
    },
    policy::Scope,
    web::{input::ListQuery, Page},
};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct UserJson {
    pub pid: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: String,
    pub volunteer: bool,
    pub active: bool,
    pub locale: Option<String>,
    pub organization: Option<Ref>,
    pub townships: Vec<Ref>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl UserJson {
    #[must_use]
    pub fn new(
        u: &users::Model,
        org: Option<&organizations::Model>,
        towns: &[townships::Model],
    ) -> Self {
        Self {
            pid: u.pid,
            name: u.name.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            role: u.role.clone(),
            volunteer: u.volunteer,
            active: u.active,
            locale: u.locale.clone(),
            organization: org.map(|o| Ref {
                pid: o.pid,
                name: o.name.clone(),
            }),
            townships: towns
                .iter()
                .map(|t| Ref {
                    pid: t.pid,
                    name: t.name.clone(),
                })
                .collect(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl From<&UserDetail> for UserJson {
    fn from(d: &UserDetail) -> Self {
        Self::new(&d.user, d.organization.as_ref(), &d.townships)
    }
}

#[derive(Debug, Serialize)]
pub struct TokenJson {
    pub token: String,
    pub user: UserJson,
}

/// The list filter of the query, with the organisation's pid resolved in
/// the caller's scope (one they may not see matches nobody).
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<UserFilter> {
    let named =
        ListQuery::get(q.organization.as_ref()).and_then(|s| Uuid::parse_str(s.trim()).ok());
    let organization_id = match named {
        Some(p) => Some(
            crate::models::organizations::load(db, scope, p)
                .await
                .map_or(-1, |o| o.id),
        ),
        None => None,
    };
    Ok(UserFilter {
        role: ListQuery::get(q.role.as_ref()).and_then(|r| r.parse::<Role>().ok()),
        organization_id,
        search: ListQuery::get(q.q.as_ref()).map(str::to_string),
    })
}

/// A page of the users the caller may see, filtered by the query: one
/// query for the users, one for their count, one for their organisations.
///
/// # Errors
/// `NotFound` for callers who see no users; database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<(Vec<UserJson>, PageInfo)> {
    let filter = filter_of(db, scope, q).await?;
    let (rows, page) = crate::models::users::list(db, scope, &filter, q.page()).await?;
    let items = rows
        .iter()
        .map(|(u, o)| UserJson::new(u, o.as_ref(), &[]))
        .collect();
    Ok((items, page))
}

/// The organisations the caller may see, for select boxes.
async fn organization_options(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<OrganizationJson>> {
    Ok(crate::models::organizations::options(db, scope)
        .await?
        .iter()
        .map(OrganizationJson::from)
        .collect())
}

/// The user list page, with the organisations to filter by.
///
/// # Errors
/// As [`list`].
pub async fn list_page(db: &DatabaseConnection, scope: &Scope, q: &ListQuery) -> AppResult<Page> {
    let (items, page) = list(db, scope, q).await?;
    Ok(Page::new(
        "users/list.html",
        json!({"items": items, "page": page, "query": q, "base_query": q.without_page(),
               "organizations": organization_options(db, scope).await?,
               "can_create": scope.may_create_users()}),
    ))
}

/// One user's page.
#[must_use]
pub fn show_page(scope: &Scope, d: &UserDetail) -> Page {
    Page::new(
        "users/show.html",
        json!({"user": UserJson::from(d), "can_edit": scope.may_edit_user(&d.user)}),
    )
}

/// The user form: new (`pid` is `None`) or a change, with the
/// organisations, townships (for admins) and roles the caller may give.
/// The password is never shown again.
///
/// # Errors
/// Database errors.
pub async fn form(
    db: &DatabaseConnection,
    scope: &Scope,
    pid: Option<Uuid>,
    params: &UserParams,
    errors: Option<Value>,
) -> AppResult<Page> {
    let action = pid.map_or_else(|| "/users".into(), |p| format!("/users/{p}"));
    let towns = if scope.is_admin() {
        township_options(db, scope).await?
    } else {
        vec![]
    };
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| scope.is_admin() || **r == Role::Worker)
        .map(|r| r.as_str())
        .collect();
    let shown = UserParams {
        password: None,
        ..params.clone()
    };
    Ok(super::places::form_page(
        "users/form.html",
        json!({"action": action, "form": shown, "organizations": organization_options(db, scope).await?,
               "townships": towns, "roles": roles, "creating": pid.is_none()}),
        errors,
    ))
}

/// A new user's fields: an active worker, of the caller's own
/// organisation for a coordinator.
///
/// # Errors
/// Database errors.
pub async fn new_params(db: &DatabaseConnection, scope: &Scope) -> AppResult<UserParams> {
    let own = crate::models::organizations::options(db, scope).await?;
    Ok(UserParams {
        role: Some(Role::Worker.as_str().into()),
        organization: scope
            .own_organization()
            .and(own.first().map(|o| o.pid.to_string())),
        active: Some("true".into()),
        ..Default::default()
    })
}

/// The fields of a user as their change form starts.
#[must_use]
pub fn params_of(d: &UserDetail) -> UserParams {
    UserParams {
        name: Some(d.user.name.clone()),
        email: Some(d.user.email.clone()),
        phone: d.user.phone.clone(),
        role: Some(d.user.role.clone()),
        organization: d.organization.as_ref().map(|o| o.pid.to_string()),
        volunteer: Some(d.user.volunteer.to_string()),
        active: Some(d.user.active.to_string()),
        townships: d.townships.iter().map(|t| t.pid.to_string()).collect(),
        password: None,
        locale: d.user.locale.clone(),
    }
}

impl TokenJson {
    /// A new bearer token and the user it is for.
    #[must_use]
    pub fn new(token: String, user: &UserDetail) -> Self {
        Self {
            token,
            user: UserJson::from(user),
        }
    }
}

/// The start page of a role: its work (`views::start::load`).
#[must_use]
pub fn home_page(work: Value) -> Page {
    Page::new("home/show.html", work)
}

/// The "more" page: the account, and every section the role may open
/// that is not on its tab bar (`domain::nav::more`).
#[must_use]
pub fn more_page(account: &UserDetail, sections: &[crate::domain::nav::Section]) -> Page {
    let sections: Vec<Value> = sections
        .iter()
        .map(|s| json!({"name": s.name(), "href": s.href(), "key": s.key()}))
        .collect();
    Page::new(
        "home/more.html",
        json!({ "account": UserJson::from(account), "sections": sections }),
    )
}

//! People who sign in: admins, township officials, coordinators and workers
//! (volunteers are workers with a flag). Passwords are Argon2 hashes;
//! `token_version` revokes every token of a user when it changes.
pub use super::_entities::users::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{official_townships, organizations, townships},
    audit_logs::{self, Action},
    fetch_page, like_pattern, scoped,
    sign_in_failures::Throttle,
    Actor,
};
use crate::{
    domain::form::{checked, loose},
    domain::{
        locale::Locale,
        pagination::{PageInfo, PageRequest},
        phone::Phone,
        role::Role,
        text,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
};
use loco_rs::{auth::jwt, hash};
use sea_orm::{
    entity::prelude::*, sea_query::LikeExpr, ActiveValue::Set, Condition, QueryOrder,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_CHARS: usize = 8;

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        let mut this = self;
        if insert {
            this.pid = Set(Uuid::new_v4());
            this.api_key = Set(format!("dd-{}", Uuid::new_v4()));
        } else if this.updated_at.is_unchanged() {
            this.updated_at = Set(chrono::Utc::now().into());
        }
        Ok(this)
    }
}

/// A user as typed into the form or sent to the API. `townships` lists the
/// pids an official oversees.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UserParams {
    #[serde(default, deserialize_with = "loose")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub volunteer: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub active: Option<String>,
    #[serde(default)]
    pub townships: Vec<String>,
    #[serde(default, deserialize_with = "loose")]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub locale: Option<String>,
}

/// A user that passed validation.
#[derive(Debug, Clone)]
pub struct NewUser {
    name: String,
    email: String,
    phone: Option<String>,
    role: Role,
    organization_id: Option<i64>,
    volunteer: bool,
    active: bool,
    townships: Vec<i64>,
    password: Option<String>,
    locale: Option<Locale>,
}

/// What `NewUser::parse` needs looked up first, in the caller's scope.
pub struct UserRefs<'a> {
    pub organization: Option<&'a organizations::Model>,
    pub townships: &'a [townships::Model],
    /// Whether a password must be given (new users).
    pub password_required: bool,
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 200
}

impl NewUser {
    /// # Errors
    /// Field errors.
    pub fn parse(p: &UserParams, refs: &UserRefs<'_>) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let name = e.take(
            "name",
            text::required(p.name.as_deref().unwrap_or(""), 100),
            |x| x.message_key(),
        );
        let email = p.email.as_deref().unwrap_or("").trim().to_lowercase();
        if !valid_email(&email) {
            e.add("email", "error-email");
        }
        let phone = match p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => e
                .take("phone", Phone::parse(s), |_| "error-phone")
                .map(|ph| Some(ph.as_str().to_string())),
        };
        let role = e.take(
            "role",
            p.role.as_deref().unwrap_or("").parse::<Role>(),
            |_| "error-choose-role",
        );
        let organization_id = refs.organization.map(|o| o.id);
        if let Some(r) = role {
            if r.needs_organization() && organization_id.is_none() {
                e.add("organization", "error-choose-organization");
            }
            if r == Role::Official && refs.townships.is_empty() {
                e.add("townships", "error-choose-townships");
            }
        }
        if p.organization
            .as_deref()
            .is_some_and(|o| !o.trim().is_empty())
            && organization_id.is_none()
        {
            e.add("organization", "error-choose-organization");
        }
        if p.townships.iter().filter(|t| !t.trim().is_empty()).count() != refs.townships.len() {
            e.add("townships", "error-choose-townships");
        }
        let password = p.password.clone().filter(|s| !s.is_empty());
        match &password {
            None if refs.password_required => e.add("password", "error-required"),
            Some(pw) if pw.chars().count() < MIN_PASSWORD_CHARS => {
                e.add("password", "error-password-short")
            }
            _ => {}
        }
        let locale = p.locale.as_deref().and_then(|l| l.parse::<Locale>().ok());
        let active = p.active.as_deref().is_none_or(|a| checked(Some(a)));
        e.into_result(|| {
            let role = role?;
            Some(Self {
                name: name?,
                email,
                phone: phone?,
                role,
                organization_id: if role == Role::Admin || role == Role::Official {
                    organization_id
                } else {
                    Some(organization_id?)
                },
                volunteer: role == Role::Worker && checked(p.volunteer.as_deref()),
                active,
                townships: if role == Role::Official {
                    refs.townships.iter().map(|t| t.id).collect()
                } else {
                    vec![]
                },
                password,
                locale,
            })
        })
    }

    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    #[must_use]
    pub const fn organization_id(&self) -> Option<i64> {
        self.organization_id
    }
}

/// A user as the audit log sees it: the row plus the townships overseen.
#[derive(Serialize)]
struct Snapshot<'a> {
    #[serde(flatten)]
    user: &'a Model,
    townships: Vec<i64>,
}

fn email_taken(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::field("email", "error-email-taken")
    } else {
        err.into()
    }
}

async fn set_townships<C: ConnectionTrait>(db: &C, user_id: i64, ids: &[i64]) -> AppResult<()> {
    official_townships::Entity::delete_many()
        .filter(official_townships::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    for id in ids {
        official_townships::ActiveModel {
            user_id: Set(user_id),
            township_id: Set(*id),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The ids of the townships an official oversees.
///
/// # Errors
/// Database errors.
pub async fn township_ids<C: ConnectionTrait>(db: &C, user_id: i64) -> AppResult<Vec<i64>> {
    Ok(official_townships::Entity::find()
        .filter(official_townships::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.township_id)
        .collect())
}

fn hash(password: &str) -> AppResult<String> {
    hash::hash_password(password).map_err(|e| AppError::Internal(e.to_string()))
}

impl Model {
    #[must_use]
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Worker)
    }

    #[must_use]
    pub fn verify_password(&self, password: &str) -> bool {
        hash::verify_password(password, &self.password)
    }

    /// A bearer token carrying the pid and the current token version.
    ///
    /// # Errors
    /// When the secret is not valid base64.
    pub fn generate_token(&self, secret: &str, expiration: u64) -> AppResult<String> {
        let mut claims = serde_json::Map::new();
        claims.insert("tv".into(), self.token_version.into());
        jwt::JWT::new(secret)
            .generate_token(expiration, self.pid.to_string(), claims)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// # Errors
    /// `NotFound` when no user has this pid.
    pub async fn find_by_pid<C: ConnectionTrait>(db: &C, pid: Uuid) -> AppResult<Self> {
        Entity::find()
            .filter(Column::Pid.eq(pid))
            .one(db)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// # Errors
    /// Database errors.
    pub async fn find_by_email<C: ConnectionTrait>(db: &C, email: &str) -> AppResult<Option<Self>> {
        Ok(Entity::find()
            .filter(Column::Email.eq(email.trim().to_lowercase()))
            .one(db)
            .await?)
    }

    async fn snapshot<'a, C: ConnectionTrait>(&'a self, db: &C) -> AppResult<Snapshot<'a>> {
        Ok(Snapshot {
            user: self,
            townships: township_ids(db, self.id).await?,
        })
    }

    /// # Errors
    /// Field errors for a taken email; database errors.
    pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewUser) -> AppResult<Self> {
        let password = hash(new.password.as_deref().unwrap_or_default())?;
        let txn = db.begin().await?;
        let m = ActiveModel {
            email: Set(new.email),
            password: Set(password),
            name: Set(new.name),
            phone: Set(new.phone),
            role: Set(new.role.as_str().to_string()),
            organization_id: Set(new.organization_id),
            volunteer: Set(new.volunteer),
            active: Set(new.active),
            locale: Set(new.locale.map(|l| l.as_str().to_string())),
            token_version: Set(0),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(email_taken)?;
        set_townships(&txn, m.id, &new.townships).await?;
        let after = m.snapshot(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Create,
            "users",
            m.pid,
            None,
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Saves an edit. A new password or deactivation signs the user out
    /// everywhere.
    ///
    /// # Errors
    /// Field errors for a taken email; database errors.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewUser,
    ) -> AppResult<Self> {
        let password = new.password.as_deref().map(hash).transpose()?;
        let txn = db.begin().await?;
        let before = self.snapshot(&txn).await?;
        let mut am: ActiveModel = self.clone().into();
        let revoke = password.is_some() || (self.active && !new.active);
        am.email = Set(new.email);
        am.name = Set(new.name);
        am.phone = Set(new.phone);
        am.role = Set(new.role.as_str().to_string());
        am.organization_id = Set(new.organization_id);
        am.volunteer = Set(new.volunteer);
        am.active = Set(new.active);
        if let Some(l) = new.locale {
            am.locale = Set(Some(l.as_str().to_string()));
        }
        if let Some(pw) = password {
            am.password = Set(pw);
        }
        if revoke {
            am.token_version = Set(self.token_version + 1);
        }
        let m = am.update(&txn).await.map_err(email_taken)?;
        set_townships(&txn, m.id, &new.townships).await?;
        let after = m.snapshot(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "users",
            m.pid,
            Some(&before),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Changes the user's own language.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_locale(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        locale: Locale,
    ) -> AppResult<Self> {
        let locale = Some(locale.as_str().to_string());
        self.update_own(db, actor, |am| am.locale = Set(locale))
            .await
    }

    /// Changes the user's own password after checking the current one, and
    /// signs out every other session.
    ///
    /// # Errors
    /// Field errors for a wrong current or too short new password.
    pub async fn change_password(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        if !self.verify_password(current) {
            e.add("current_password", "error-wrong-password");
        }
        if new.chars().count() < MIN_PASSWORD_CHARS {
            e.add("new_password", "error-password-short");
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let hashed = hash(new)?;
        let version = self.token_version + 1;
        self.update_own(db, actor, |am| {
            am.password = Set(hashed);
            am.token_version = Set(version);
        })
        .await
    }

    /// Applies `change` to this row and records the changed fields, in one
    /// transaction (the row alone: overseen townships are untouched).
    async fn update_own(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        change: impl FnOnce(&mut ActiveModel),
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        change(&mut am);
        let m = am.update(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "users",
            m.pid,
            Some(&self),
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Revokes every token of this user and records the sign-out.
    ///
    /// # Errors
    /// Database errors.
    pub async fn sign_out(self, db: &DatabaseConnection, actor: &Actor) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.token_version = Set(self.token_version + 1);
        let m = am.update(&txn).await?;
        audit_logs::record(
            &txn,
            actor,
            Action::SignOut,
            "users",
            Some(m.pid),
            &serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }
}

/// Checks an email and password, throttling failures per account and per
/// address, and records the outcome in the audit log.
///
/// # Errors
/// `TooManyAttempts` when throttled, `BadCredentials` on a wrong email or
/// password or an inactive account.
pub async fn sign_in(
    db: &DatabaseConnection,
    throttle: &Throttle,
    actor: &Actor,
    email: &str,
    password: &str,
) -> AppResult<Model> {
    let email = email.trim().to_lowercase();
    // Counted before the password is checked, so that parallel attempts
    // cannot all pass the limit.
    let reservation = throttle.reserve(db, &email, actor.ip.as_deref()).await?;
    let user = Model::find_by_email(db, &email).await?;
    let failed = |reason: &'static str| {
        // The audit names an existing account; what else was typed (it may
        // be a password) is kept only as its keyed hash.
        let actor = Actor {
            user_id: None,
            label: user
                .as_ref()
                .map_or_else(|| throttle.account_key(&email), |u| u.email.clone()),
            ..actor.clone()
        };
        let pid = user.as_ref().map(|u| u.pid);
        async move {
            let txn = db.begin().await?;
            audit_logs::record(
                &txn,
                &actor,
                Action::SignInFailed,
                "users",
                pid,
                &serde_json::json!({ "reason": reason }),
            )
            .await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        }
    };
    if reservation.locked {
        failed("throttled").await?;
        return Err(AppError::TooManyAttempts);
    }
    let ok = match &user {
        Some(u) => u.verify_password(password) && u.active,
        None => {
            // Spend the same time as a real check so that timing does not
            // tell which emails exist.
            let _ = hash::verify_password(password, DUMMY_HASH);
            false
        }
    };
    match (ok, &user) {
        (true, Some(u)) => {
            let txn = db.begin().await?;
            throttle.succeeded(&txn, &email, &reservation).await?;
            let actor = Actor {
                user_id: Some(u.id),
                label: u.email.clone(),
                ..actor.clone()
            };
            audit_logs::record(
                &txn,
                &actor,
                Action::SignIn,
                "users",
                Some(u.pid),
                &serde_json::json!({}),
            )
            .await?;
            txn.commit().await?;
            Ok(u.clone())
        }
        _ => {
            failed("bad_credentials").await?;
            Err(AppError::BadCredentials)
        }
    }
}

/// Argon2 hash of a random string, used to equalise sign-in timing.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2mW7tB6cYbN3bB2n1mB2bA0ZJfWq1p1sQ7m2Q8vGQ3o";

/// Filters on the users page and API.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub organization_id: Option<i64>,
    pub search: Option<String>,
}

/// # Errors
/// Database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &UserFilter,
    page: PageRequest,
) -> AppResult<(Vec<(Model, Option<organizations::Model>)>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.users()).ok_or(AppError::NotFound)?;
    if let Some(r) = filter.role {
        q = q.filter(Column::Role.eq(r.as_str()));
    }
    if let Some(o) = filter.organization_id {
        q = q.filter(Column::OrganizationId.eq(o));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = like_pattern(term);
        q = q.filter(
            Condition::any()
                .add(Column::Name.like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(Column::Email.like(LikeExpr::new(pattern.to_lowercase()).escape('\\')))
                .add(Column::Phone.like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let (rows, info) = fetch_page(
        db,
        q.order_by_asc(Column::Role).order_by_asc(Column::Name),
        page,
    )
    .await?;
    let org_ids: Vec<i64> = rows.iter().filter_map(|u| u.organization_id).collect();
    let orgs = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(org_ids))
        .all(db)
        .await?;
    let joined = rows
        .into_iter()
        .map(|u| {
            let org = orgs
                .iter()
                .find(|o| Some(o.id) == u.organization_id)
                .cloned();
            (u, org)
        })
        .collect();
    Ok((joined, info))
}

/// A user the caller may see, with organisation and overseen townships.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: Model,
    pub organization: Option<organizations::Model>,
    pub townships: Vec<townships::Model>,
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<UserDetail> {
    let user = super::find_scoped(
        db,
        scoped(Entity::find().filter(Column::Pid.eq(pid)), scope.users()),
    )
    .await?;
    let organization = match user.organization_id {
        Some(id) => organizations::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let ids = township_ids(db, user.id).await?;
    let townships = townships::Entity::find()
        .filter(townships::Column::Id.is_in(ids))
        .order_by_asc(townships::Column::Code)
        .all(db)
        .await?;
    Ok(UserDetail {
        user,
        organization,
        townships,
    })
}

/// Looks up the organisation and townships a user form names, in the
/// caller's scope; unknown ones are left out (and `NewUser::parse` reports
/// them).
///
/// # Errors
/// Database errors.
pub async fn refs(
    db: &DatabaseConnection,
    scope: &Scope,
    p: &UserParams,
) -> AppResult<(Option<organizations::Model>, Vec<townships::Model>)> {
    let org = match p
        .organization
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(pid) => match super::organizations::load(db, scope, pid).await {
            Ok(o) => Some(o),
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    crate::domain::limits::List::Townships
        .check(p.townships.len())
        .map_err(|key| AppError::field("townships", key))?;
    let pids: Vec<Uuid> = p
        .townships
        .iter()
        .filter_map(|s| Uuid::parse_str(s.trim()).ok())
        .collect();
    let towns = match scoped(townships::Entity::find(), scope.townships()) {
        Some(q) if !pids.is_empty() => {
            q.filter(townships::Column::Pid.is_in(pids))
                .order_by_asc(townships::Column::Code)
                .all(db)
                .await?
        }
        _ => vec![],
    };
    Ok((org, towns))
}

/// Parses a user form in the caller's scope and checks the caller may give
/// the result that role and organisation.
///
/// # Errors
/// Field errors.
pub async fn parse_for(
    db: &DatabaseConnection,
    scope: &Scope,
    p: &UserParams,
    password_required: bool,
) -> AppResult<NewUser> {
    let (org, towns) = refs(db, scope, p).await?;
    let new = NewUser::parse(
        p,
        &UserRefs {
            organization: org.as_ref(),
            townships: &towns,
            password_required,
        },
    )?;
    if scope.may_create_user(new.role(), new.organization_id()) {
        Ok(new)
    } else {
        Err(AppError::field("role", "error-role-not-allowed"))
    }
}

/// The active social workers and volunteers of an organisation, by name
/// (at most 500), as choices for plans, visits and reassignments.
///
/// # Errors
/// Database errors.
pub async fn workers_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    organization_id: i64,
) -> AppResult<Vec<serde_json::Value>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::Role.eq(Role::Worker.as_str()))
        .filter(Column::Active.eq(true))
        .order_by_asc(Column::Name)
        .limit(500)
        .all(db)
        .await?
        .iter()
        .map(|u| serde_json::json!({"pid": u.pid, "name": u.name, "volunteer": u.volunteer}))
        .collect())
}

/// The sign-in throttle from `settings.sign_in_throttle`, or the defaults.
/// The key of the account hashes comes from the JWT secret, which boot
/// requires; a missing one leaves the all-zero key.
#[must_use]
pub fn sign_in_throttle(config: &loco_rs::config::Config) -> Throttle {
    let secret = config
        .get_jwt_config()
        .map(|j| j.secret.clone())
        .unwrap_or_default();
    let mut t = Throttle::default().keyed(secret.as_bytes());
    if let Some(s) = config
        .settings
        .as_ref()
        .and_then(|s| s.get("sign_in_throttle"))
    {
        if let Some(n) = s.get("per_account").and_then(serde_json::Value::as_u64) {
            t.per_account = n;
        }
        if let Some(n) = s.get("per_address").and_then(serde_json::Value::as_u64) {
            t.per_address = n;
        }
        if let Some(n) = s.get("window_minutes").and_then(serde_json::Value::as_i64) {
            t.window = chrono::Duration::minutes(n);
        }
    }
    t
}

/// Signs in with the throttle of `config` and issues a token: the user
/// and their bearer token.
///
/// # Errors
/// `BadCredentials`, `TooManyAttempts`; configuration and database errors.
pub async fn sign_in_with_token(
    db: &DatabaseConnection,
    config: &loco_rs::config::Config,
    actor: &Actor,
    email: &str,
    password: &str,
) -> AppResult<(Model, String, u64)> {
    let user = sign_in(db, &sign_in_throttle(config), actor, email, password).await?;
    let jwt = config.get_jwt_config().map_err(AppError::from)?;
    let token = user.generate_token(&jwt.secret, jwt.expiration)?;
    Ok((user, token, jwt.expiration))
}

/// Creates a user from the form or API fields, as the caller may.
///
/// # Errors
/// Field errors; database errors.
pub async fn add(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    p: &UserParams,
) -> AppResult<Model> {
    let new = parse_for(db, scope, p, true).await?;
    Model::create(db, actor, new).await
}

impl Model {
    /// Changes the user to the form or API fields, as the caller may.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn change(
        self,
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        p: &UserParams,
    ) -> AppResult<Self> {
        let new = parse_for(db, scope, p, false).await?;
        self.update(db, actor, new).await
    }
}

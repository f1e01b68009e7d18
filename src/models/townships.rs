pub use super::_entities::townships::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{official_townships, villages},
    audit_logs::{self, Action},
    fetch_page, find_scoped, like_pattern, scoped, Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        division_code::TownshipCode,
        pagination::{PageInfo, PageRequest},
        text,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
};
use sea_orm::{
    entity::prelude::*, sea_query::LikeExpr, ActiveValue::Set, Condition, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Deserialize;

super::pid_and_timestamps!();

/// A township as typed into the form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct TownshipParams {
    #[serde(default, deserialize_with = "loose")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub population: Option<String>,
}

/// A township that passed validation.
#[derive(Debug, Clone)]
pub struct NewTownship {
    name: String,
    code: TownshipCode,
    population: i64,
}

impl TryFrom<&TownshipParams> for NewTownship {
    type Error = AppError;

    fn try_from(p: &TownshipParams) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let name = e.take(
            "name",
            text::required(p.name.as_deref().unwrap_or(""), 100),
            |x| x.message_key(),
        );
        let code = e.take(
            "code",
            TownshipCode::parse(p.code.as_deref().unwrap_or("")),
            |x| x.message_key(),
        );
        let population = e.take(
            "population",
            p.population
                .as_deref()
                .map(str::trim)
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|n| (0..=100_000_000).contains(n))
                .ok_or(()),
            |()| "error-population",
        );
        e.into_result(|| {
            Some(Self {
                name: name?,
                code: code?,
                population: population?,
            })
        })
    }
}

fn code_taken(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::field("code", "error-code-taken")
    } else {
        err.into()
    }
}

impl Model {
    /// # Errors
    /// Field errors for a duplicate code; database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewTownship,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = ActiveModel {
            name: Set(new.name),
            code: Set(new.code.as_str().to_string()),
            population: Set(new.population),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(code_taken)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Create,
            "townships",
            m.pid,
            None,
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// Field errors for a duplicate code; database errors.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewTownship,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.name = Set(new.name);
        am.code = Set(new.code.as_str().to_string());
        am.population = Set(new.population);
        let m = am.update(&txn).await.map_err(code_taken)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "townships",
            m.pid,
            Some(&self),
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Deletes a township that nothing refers to, for `reason` (kept in
    /// the audit entry).
    ///
    /// # Errors
    /// `reason` missing, too short or too long; a field error when villages
    /// or officials still refer to it.
    pub async fn remove(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        reason: Option<&str>,
    ) -> AppResult<()> {
        let reason = super::contracts::checked_reason(reason)?;
        let txn = db.begin().await?;
        let in_use = villages::Entity::find()
            .filter(villages::Column::TownshipId.eq(self.id))
            .count(&txn)
            .await?
            + official_townships::Entity::find()
                .filter(official_townships::Column::TownshipId.eq(self.id))
                .count(&txn)
                .await?;
        if in_use > 0 {
            return Err(AppError::field("base", "error-in-use"));
        }
        Entity::delete_by_id(self.id).exec(&txn).await?;
        let mut changes = audit_logs::change_json(Some(&self), None);
        audit_logs::add_context(&mut changes, Some(reason.as_str()), None);
        audit_logs::record(
            &txn,
            actor,
            Action::Delete,
            "townships",
            Some(self.pid),
            &changes,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Loads a township the caller may see.
///
/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.townships(),
        ),
    )
    .await
}

/// Townships the caller may see, by name, optionally searched by name or code.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    search: Option<&str>,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.townships()).ok_or(AppError::NotFound)?;
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        q = q.filter(
            Condition::any()
                .add(Column::Name.like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(Column::Code.like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    fetch_page(db, q.order_by_asc(Column::Code), page).await
}

/// All townships the caller may see, for select boxes (bounded: a county has
/// a few dozen).
///
/// # Errors
/// Database errors.
pub async fn options(db: &DatabaseConnection, scope: &Scope) -> AppResult<Vec<Model>> {
    let Some(q) = scoped(Entity::find(), scope.townships()) else {
        return Ok(vec![]);
    };
    Ok(q.order_by_asc(Column::Code).limit(500).all(db).await?)
}

/// The township a form or filter names by pid, if the caller may see it
/// (blank, malformed or out of scope is `None`).
///
/// # Errors
/// Database errors.
pub async fn named(
    db: &DatabaseConnection,
    scope: &Scope,
    raw: Option<&str>,
) -> AppResult<Option<Model>> {
    let Some(Ok(pid)) = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Uuid::parse_str)
    else {
        return Ok(None);
    };
    match load(db, scope, pid).await {
        Ok(t) => Ok(Some(t)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The pid of the township of a village a form names (for the village
/// select box), if the caller may see the village.
///
/// # Errors
/// Database errors.
pub async fn pid_of_village(
    db: &DatabaseConnection,
    scope: &Scope,
    village: &str,
) -> AppResult<Option<String>> {
    Ok(
        match super::recipients::village_of(db, scope, Some(village)).await? {
            Some(vl) => Entity::find_by_id(vl.township_id)
                .one(db)
                .await?
                .map(|t| t.pid.to_string()),
            None => None,
        },
    )
}

/// Creates a township from the form or API fields.
///
/// # Errors
/// Field errors; database errors.
pub async fn add(db: &DatabaseConnection, actor: &Actor, p: &TownshipParams) -> AppResult<Model> {
    Model::create(db, actor, NewTownship::try_from(p)?).await
}

impl Model {
    /// Changes the township to the form or API fields.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn change(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        p: &TownshipParams,
    ) -> AppResult<Self> {
        self.update(db, actor, NewTownship::try_from(p)?).await
    }
}

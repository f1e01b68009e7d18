pub use super::_entities::villages::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::townships,
    audit_logs::{self, Action},
    fetch_page, like_pattern, scoped, Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        division_code::VillageCode,
        pagination::{PageInfo, PageRequest},
        text,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
};
use sea_orm::{
    entity::prelude::*, sea_query::LikeExpr, ActiveValue::Set, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

super::pid_and_timestamps!();

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VillageParams {
    #[serde(default, deserialize_with = "loose")]
    pub township: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewVillage {
    township_id: i64,
    name: String,
    code: Option<String>,
}

impl NewVillage {
    /// Checks a village against the township it names (already loaded in
    /// the caller's scope, or `None` when unknown).
    ///
    /// # Errors
    /// Field errors.
    pub fn parse(p: &VillageParams, township: Option<&townships::Model>) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        if township.is_none() {
            e.add("township", "error-choose-township");
        }
        let name = e.take(
            "name",
            text::required(p.name.as_deref().unwrap_or(""), 100),
            |x| x.message_key(),
        );
        let code = match (
            p.code.as_deref().map(str::trim).filter(|c| !c.is_empty()),
            township,
        ) {
            (Some(c), Some(t)) => e
                .take("code", VillageCode::parse(c, &t.code), |x| x.message_key())
                .map(|v| Some(v.as_str().to_string())),
            (Some(_), None) | (None, _) => Some(None),
        };
        e.into_result(|| {
            Some(Self {
                township_id: township?.id,
                name: name?,
                code: code?,
            })
        })
    }
}

fn duplicate(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        // The (township_id, name) index names township_id on both
        // backends; the other unique key is the code.
        if err.to_string().contains("township_id") {
            AppError::field("name", "error-name-taken")
        } else {
            AppError::field("code", "error-code-taken")
        }
    } else {
        err.into()
    }
}

impl Model {
    /// # Errors
    /// Field errors for duplicates; database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewVillage,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = ActiveModel {
            township_id: Set(new.township_id),
            name: Set(new.name),
            code: Set(new.code),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(duplicate)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Create,
            "villages",
            m.pid,
            None,
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// Field errors for duplicates; database errors.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewVillage,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.township_id = Set(new.township_id);
        am.name = Set(new.name);
        am.code = Set(new.code);
        let m = am.update(&txn).await.map_err(duplicate)?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "villages",
            m.pid,
            Some(&self),
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Deletes a village for `reason` (kept in the audit entry).
    ///
    /// # Errors
    /// `reason` missing, too short or too long; `base` when in use;
    /// database errors.
    pub async fn remove(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        reason: Option<&str>,
    ) -> AppResult<()> {
        let reason = super::contracts::checked_reason(reason)?;
        let txn = db.begin().await?;
        Entity::delete_by_id(self.id)
            .exec(&txn)
            .await
            .map_err(|e| {
                if crate::errors::is_foreign_key_violation(&e) {
                    AppError::field("base", "error-in-use")
                } else {
                    e.into()
                }
            })?;
        let mut changes = audit_logs::change_json(Some(&self), None);
        audit_logs::add_context(&mut changes, Some(reason.as_str()), None);
        audit_logs::record(
            &txn,
            actor,
            Action::Delete,
            "villages",
            Some(self.pid),
            &changes,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(
    db: &DatabaseConnection,
    scope: &Scope,
    pid: Uuid,
) -> AppResult<(Model, townships::Model)> {
    let q = scoped(Entity::find().filter(Column::Pid.eq(pid)), scope.villages())
        .map(|q| q.find_also_related(townships::Entity));
    let Some(q) = q else {
        return Err(AppError::NotFound);
    };
    match q.one(db).await? {
        Some((v, Some(t))) => Ok((v, t)),
        _ => Err(AppError::NotFound),
    }
}

/// Villages the caller may see, with their townships, by township then name.
///
/// # Errors
/// `NotFound` for callers who see no villages.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    township_id: Option<i64>,
    search: Option<&str>,
    page: PageRequest,
) -> AppResult<(Vec<(Model, townships::Model)>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.villages()).ok_or(AppError::NotFound)?;
    if let Some(t) = township_id {
        q = q.filter(Column::TownshipId.eq(t));
    }
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(Column::Name.like(LikeExpr::new(like_pattern(term)).escape('\\')));
    }
    let (rows, info) = fetch_page(
        db,
        q.order_by_asc(Column::TownshipId)
            .order_by_asc(Column::Name),
        page,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|v| v.township_id).collect();
    let towns = townships::Entity::find()
        .filter(townships::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let joined = rows
        .into_iter()
        .filter_map(|v| {
            let t = towns.iter().find(|t| t.id == v.township_id)?.clone();
            Some((v, t))
        })
        .collect();
    Ok((joined, info))
}

/// Villages of one township, for select boxes.
///
/// # Errors
/// Database errors.
pub async fn of_township(db: &DatabaseConnection, township_id: i64) -> AppResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::TownshipId.eq(township_id))
        .order_by_asc(Column::Name)
        .limit(1000)
        .all(db)
        .await?)
}

/// Creates a village from the form or API fields, in a township the
/// caller may see; returns it with its township.
///
/// # Errors
/// Field errors; database errors.
pub async fn add(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    p: &VillageParams,
) -> AppResult<(Model, townships::Model)> {
    let town = super::townships::named(db, scope, p.township.as_deref()).await?;
    let village = Model::create(db, actor, NewVillage::parse(p, town.as_ref())?).await?;
    Ok((village, town.ok_or(AppError::NotFound)?))
}

impl Model {
    /// Changes the village to the form or API fields (perhaps into another
    /// township the caller may see); returns it with its township.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn change(
        self,
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        p: &VillageParams,
    ) -> AppResult<(Self, townships::Model)> {
        let town = super::townships::named(db, scope, p.township.as_deref()).await?;
        let village = self
            .update(db, actor, NewVillage::parse(p, town.as_ref())?)
            .await?;
        Ok((village, town.ok_or(AppError::NotFound)?))
    }
}

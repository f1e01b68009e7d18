//! Households (户), the unit of guarantee: an address in a village, a
//! contact phone and an assistance status with its dates. Members are
//! recipients; moving a household moves its members.
pub use super::_entities::households::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{recipients, villages},
    audit_logs::{Action, Chain},
    fetch_page, like_pattern, scoped, Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        date_input::parse_optional_date,
        pagination::{PageInfo, PageRequest},
        phone::Phone,
        recipient::AssistanceStatus,
        text,
    },
    errors::{AppError, AppResult, FieldErrors},
    policy::Scope,
};
use sea_orm::{
    entity::prelude::*, sea_query::LikeExpr, ActiveValue::Set, ConnectionTrait, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

super::pid_and_timestamps!();

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HouseholdParams {
    #[serde(default, deserialize_with = "loose")]
    pub village: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub assistance_status: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub status_since: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub status_until: Option<String>,
    /// An admin names the registering organisation; a coordinator's is
    /// always their own.
    #[serde(default, deserialize_with = "loose")]
    pub organization: Option<String>,
    /// The form's township: it only chooses the village list, it is not
    /// stored (the village names the township).
    #[serde(default, deserialize_with = "loose")]
    pub township: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHousehold {
    pub township_id: i64,
    pub village_id: i64,
    pub organization_id: Option<i64>,
    pub address: String,
    pub phone: Option<String>,
    pub assistance_status: AssistanceStatus,
    pub status_since: Option<Date>,
    pub status_until: Option<Date>,
}

impl NewHousehold {
    /// Checks a household against the village (loaded in scope, or `None`
    /// when unknown) and the organisation it is registered by.
    ///
    /// # Errors
    /// Field errors.
    pub fn parse(
        p: &HouseholdParams,
        village: Option<&villages::Model>,
        organization_id: Option<i64>,
        e: &mut FieldErrors,
    ) -> Option<Self> {
        if village.is_none() {
            e.add("village", "error-choose-village");
        }
        let address = e.take(
            "address",
            text::required(p.address.as_deref().unwrap_or(""), 200),
            |x| x.message_key(),
        );
        let phone = match p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => e
                .take("phone", Phone::parse(s), |_| "error-phone")
                .map(|p| Some(p.as_str().to_string())),
        };
        let status = match p.assistance_status.as_deref().map(str::trim) {
            None | Some("") => Some(AssistanceStatus::None),
            Some(s) => e.take("assistance_status", s.parse::<AssistanceStatus>(), |()| {
                "error-assistance-status"
            }),
        };
        let since = e.take(
            "status_since",
            parse_optional_date(p.status_since.as_deref()),
            |x| x.message_key(),
        );
        let until = e.take(
            "status_until",
            parse_optional_date(p.status_until.as_deref()),
            |x| x.message_key(),
        );
        if let (Some(Some(s)), Some(Some(u))) = (since, until) {
            if u < s {
                e.add("status_until", "error-end-before-start");
            }
        }
        let village = village?;
        Some(Self {
            township_id: village.township_id,
            village_id: village.id,
            organization_id,
            address: address?,
            phone: phone?,
            assistance_status: status?,
            status_since: since?,
            status_until: until?,
        })
    }

    pub(crate) fn apply(self, am: &mut ActiveModel) {
        am.township_id = Set(self.township_id);
        am.village_id = Set(self.village_id);
        am.organization_id = Set(self.organization_id);
        am.address = Set(self.address);
        am.phone = Set(self.phone);
        am.assistance_status = Set(self.assistance_status.as_str().to_string());
        am.status_since = Set(self.status_since);
        am.status_until = Set(self.status_until);
    }
}

/// The audit record of a household: its fields without internal ids.
pub(crate) fn audit_view(m: &Model) -> serde_json::Value {
    serde_json::json!({
        "address": m.address,
        "phone": m.phone,
        "assistance_status": m.assistance_status,
        "status_since": m.status_since,
        "status_until": m.status_until,
        "village_id": m.village_id,
    })
}

impl Model {
    /// Inserts inside a transaction the caller holds (registering a
    /// recipient with a new household does both in one).
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert_in<C: ConnectionTrait>(
        db: &C,
        chain: &mut Chain,
        actor: &Actor,
        new: NewHousehold,
    ) -> AppResult<Self> {
        let mut am: ActiveModel = Default::default();
        new.apply(&mut am);
        let m = am.insert(db).await?;
        chain
            .append_change(
                db,
                actor,
                Action::Create,
                "households",
                m.pid,
                None,
                Some(&audit_view(&m)),
            )
            .await?;
        Ok(m)
    }

    /// # Errors
    /// Database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewHousehold,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = Self::insert_in(&txn, &mut Chain::default(), actor, new).await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Saves the household; when it moved, its members move with it.
    ///
    /// # Errors
    /// Database errors.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        new: NewHousehold,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = self
            .update_in(&txn, &mut Chain::default(), actor, new)
            .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// Database errors.
    pub async fn update_in<C: ConnectionTrait>(
        self,
        db: &C,
        chain: &mut Chain,
        actor: &Actor,
        new: NewHousehold,
    ) -> AppResult<Self> {
        let mut am: ActiveModel = self.clone().into();
        new.apply(&mut am);
        if !am.is_changed() {
            return Ok(self);
        }
        let m = am.update(db).await?;
        if m.village_id != self.village_id {
            recipients::Entity::update_many()
                .col_expr(recipients::Column::VillageId, Expr::value(m.village_id))
                .col_expr(recipients::Column::TownshipId, Expr::value(m.township_id))
                .filter(recipients::Column::HouseholdId.eq(m.id))
                .exec(db)
                .await?;
        }
        chain
            .append_change(
                db,
                actor,
                Action::Update,
                "households",
                m.pid,
                Some(&audit_view(&self)),
                Some(&audit_view(&m)),
            )
            .await?;
        Ok(m)
    }

    /// The household's members, in the order they were registered (not by
    /// birth date: the order of two born the same year would tell more of
    /// their birth dates than the year, see `domain::privacy`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn members<C: ConnectionTrait>(&self, db: &C) -> AppResult<Vec<recipients::Model>> {
        Ok(recipients::Entity::find()
            .filter(recipients::Column::HouseholdId.eq(self.id))
            .order_by_asc(recipients::Column::Id)
            .limit(200)
            .all(db)
            .await?)
    }
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    super::find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.households(),
        ),
    )
    .await
}

/// Filters of the household list.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    pub township_id: Option<i64>,
    pub village_id: Option<i64>,
    pub assistance_status: Option<AssistanceStatus>,
    pub search: Option<String>,
}

/// A household with its village name and member count, for lists.
#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub household: Model,
    pub village: Option<villages::Model>,
    pub members: i64,
}

/// Households the caller may see, by village then address.
///
/// # Errors
/// `NotFound` for callers who see no households.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &HouseholdFilter,
    page: PageRequest,
) -> AppResult<(Vec<HouseholdRow>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.households()).ok_or(AppError::NotFound)?;
    if let Some(t) = filter.township_id {
        q = q.filter(Column::TownshipId.eq(t));
    }
    if let Some(v) = filter.village_id {
        q = q.filter(Column::VillageId.eq(v));
    }
    if let Some(s) = filter.assistance_status {
        q = q.filter(Column::AssistanceStatus.eq(s.as_str()));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        q = q.filter(Column::Address.like(LikeExpr::new(like_pattern(term)).escape('\\')));
    }
    let (rows, info) = fetch_page(
        db,
        q.order_by_asc(Column::VillageId)
            .order_by_asc(Column::Address)
            .order_by_asc(Column::Id),
        page,
    )
    .await?;
    let village_ids: Vec<i64> = rows.iter().map(|h| h.village_id).collect();
    let villages: HashMap<i64, villages::Model> = villages::Entity::find()
        .filter(villages::Column::Id.is_in(village_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|h| h.id).collect();
    let counts: HashMap<i64, i64> = recipients::Entity::find()
        .select_only()
        .column(recipients::Column::HouseholdId)
        .column_as(recipients::Column::Id.count(), "n")
        .filter(recipients::Column::HouseholdId.is_in(ids))
        .group_by(recipients::Column::HouseholdId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let out = rows
        .into_iter()
        .map(|h| HouseholdRow {
            village: villages.get(&h.village_id).cloned(),
            members: counts.get(&h.id).copied().unwrap_or(0),
            household: h,
        })
        .collect();
    Ok((out, info))
}

impl NewHousehold {
    /// Checks a household form against the caller's scope: the village
    /// must be one they see; a coordinator's household is their
    /// organisation's, otherwise it keeps `current_organization`.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn from_form(
        db: &DatabaseConnection,
        scope: &Scope,
        p: &HouseholdParams,
        current_organization: Option<i64>,
    ) -> AppResult<Self> {
        let village = super::recipients::village_of(db, scope, p.village.as_deref()).await?;
        let mut e = FieldErrors::new();
        let org = scope.own_organization().or(current_organization);
        let new = Self::parse(p, village.as_ref(), org, &mut e);
        e.into_result(|| new)
    }
}

impl Model {
    /// The household's village.
    ///
    /// # Errors
    /// Database errors.
    pub async fn village<C: ConnectionTrait>(&self, db: &C) -> AppResult<Option<villages::Model>> {
        Ok(villages::Entity::find_by_id(self.village_id)
            .one(db)
            .await?)
    }

    /// The form values of the stored household.
    ///
    /// # Errors
    /// `NotFound` when its village is missing; database errors.
    pub async fn params<C: ConnectionTrait>(&self, db: &C) -> AppResult<HouseholdParams> {
        let village = self.village(db).await?.ok_or(AppError::NotFound)?;
        Ok(HouseholdParams {
            village: Some(village.pid.to_string()),
            address: Some(self.address.clone()),
            phone: self.phone.clone(),
            assistance_status: Some(self.assistance_status.clone()),
            status_since: self.status_since.map(|d| d.to_string()),
            status_until: self.status_until.map(|d| d.to_string()),
            organization: None,
            township: None,
        })
    }

    /// Registers a household from a form.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn create_from(
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        p: &HouseholdParams,
    ) -> AppResult<Self> {
        let new = NewHousehold::from_form(db, scope, p, None).await?;
        Self::create(db, actor, new).await
    }

    /// Saves an edit form.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn update_from(
        self,
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        p: &HouseholdParams,
    ) -> AppResult<Self> {
        let new = NewHousehold::from_form(db, scope, p, self.organization_id).await?;
        self.update(db, actor, new).await
    }
}

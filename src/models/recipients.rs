//! Recipients (救助对象): registering, editing, status changes (never a
//! delete), revealing an ID number, and finding people by name, pinyin,
//! initials or the end of their ID number.
//!
//! The ID number is stored sealed (`id_sealed`), found by a keyed hash
//! (`id_hash`) and shown masked (`id_masked`); it never reaches the audit
//! log.
pub use super::_entities::recipients::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{households as households_entity, recipient_status_changes, villages},
    audit_logs::{self, Action, Chain},
    fetch_page, find_scoped,
    households::{self, HouseholdParams, NewHousehold},
    like_pattern, scoped, Actor,
};
use crate::{
    domain::form::loose,
    domain::{
        date_input::parse_optional_date,
        name_search::{search_key, Query},
        pagination::{PageInfo, PageRequest},
        phone::Phone,
        recipient::{
            birth_bounds, needs_guardian_consent, parse_tags, tags_column, AssistanceStatus,
            CareTag, Category, DisabilityType, RecipientStatus, StatusChangeError, ADULT_AGE,
        },
        resident_id::{age_on, ResidentId},
        text,
    },
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
    policy::Scope,
    vault::Vault,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    entity::prelude::*,
    sea_query::{LikeExpr, Query as SqlQuery},
    ActiveValue::Set,
    Condition, ConnectionTrait, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

super::pid_and_timestamps!();

/// Form and API input. Without `household`, the household fields register a
/// new household in the same transaction.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RecipientParams {
    #[serde(default, deserialize_with = "loose")]
    pub household: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub id_number: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub relation: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub disability_level: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub disability_type: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub guardian_name: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub guardian_phone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub guardian_relation: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub care_needs: Option<String>,
    #[serde(default)]
    pub care_tags: Vec<String>,
    #[serde(default, deserialize_with = "loose")]
    pub latitude: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub longitude: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub consent_by: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub consent_relation: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub consent_on: Option<String>,
    // A new household:
    #[serde(default, deserialize_with = "loose")]
    pub village: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub household_phone: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub assistance_status: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub status_since: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub organization: Option<String>,
    /// The form's township: it only chooses the village list, it is not
    /// stored (the village names the township).
    #[serde(default, deserialize_with = "loose")]
    pub township: Option<String>,
}

impl RecipientParams {
    /// The new-household part of the form.
    #[must_use]
    pub fn household_params(&self) -> HouseholdParams {
        HouseholdParams {
            village: self.village.clone(),
            address: self.address.clone(),
            phone: self.household_phone.clone(),
            assistance_status: self.assistance_status.clone(),
            status_since: self.status_since.clone(),
            status_until: None,
            organization: self.organization.clone(),
            township: self.township.clone(),
        }
    }
}

/// Who consented to the processing of the recipient's data, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub by: String,
    pub relation: ConsentRelation,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentRelation {
    /// The recipient themself.
    Own,
    Guardian,
}

impl ConsentRelation {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Own => "self",
            Self::Guardian => "guardian",
        }
    }
}

/// A recipient's own fields, checked.
#[derive(Debug, Clone)]
pub struct RecipientFields {
    pub name: String,
    pub id: ResidentId,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub disability: Option<(i64, DisabilityType)>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub guardian_relation: Option<String>,
    pub care_needs: Option<String>,
    pub care_tags: Vec<CareTag>,
    pub location: Option<(f64, f64)>,
    pub consent: Option<Consent>,
}

fn optional_phone(e: &mut FieldErrors, field: &str, v: Option<&str>) -> Option<Option<String>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => e
            .take(field, Phone::parse(s), |_| "error-phone")
            .map(|p| Some(p.as_str().to_string())),
    }
}

fn optional_text(
    e: &mut FieldErrors,
    field: &str,
    v: Option<&str>,
    max: usize,
) -> Option<Option<String>> {
    e.take(field, text::optional(v, max), |x| x.message_key())
}

fn coordinate(
    e: &mut FieldErrors,
    field: &str,
    v: Option<&str>,
    limit: f64,
) -> Option<Option<f64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(s) => match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(Some(x)),
            _ => {
                e.add(field, "error-coordinate");
                None
            }
        },
    }
}

impl RecipientFields {
    /// Checks the recipient's own fields; `today` decides who is a minor
    /// and which dates lie in the future.
    /// On an edit, `current` is the stored number, kept when the field is
    /// left blank.
    pub fn parse(
        p: &RecipientParams,
        current: Option<&ResidentId>,
        today: NaiveDate,
        e: &mut FieldErrors,
    ) -> Option<Self> {
        let name = e.take(
            "name",
            text::required(p.name.as_deref().unwrap_or(""), 50),
            |x| x.message_key(),
        );
        let id = match p
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None if current.is_some() => current.cloned(),
            None => {
                e.add("id_number", "error-required");
                None
            }
            Some(raw) => match ResidentId::parse(raw) {
                Ok(id) if id.birth_date() > today => {
                    e.add("id_number", "error-id-birth-future");
                    None
                }
                Ok(id) => Some(id),
                Err(err) => {
                    e.add("id_number", err.message_key());
                    None
                }
            },
        };
        let relation = optional_text(e, "relation", p.relation.as_deref(), 20);
        let phone = optional_phone(e, "phone", p.phone.as_deref());
        let level = p
            .disability_level
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let kind = p
            .disability_type
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let disability = match (level, kind) {
            (None, None) => Some(None),
            (Some(l), Some(k)) => {
                let l = crate::domain::recipient::disability_level(l)
                    .map_err(|_| e.add("disability_level", "error-disability-level"))
                    .ok();
                let k = k
                    .parse::<DisabilityType>()
                    .map_err(|()| e.add("disability_type", "error-disability-type"))
                    .ok();
                l.zip(k).map(Some)
            }
            (Some(_), None) => {
                e.add("disability_type", "error-disability-type");
                None
            }
            (None, Some(_)) => {
                e.add("disability_level", "error-disability-level");
                None
            }
        };
        let guardian_name = optional_text(e, "guardian_name", p.guardian_name.as_deref(), 50);
        let guardian_phone = optional_phone(e, "guardian_phone", p.guardian_phone.as_deref());
        let guardian_relation =
            optional_text(e, "guardian_relation", p.guardian_relation.as_deref(), 20);
        let care_needs = optional_text(e, "care_needs", p.care_needs.as_deref(), 2000);
        let care_tags = match crate::domain::limits::List::CareTags.check(p.care_tags.len()) {
            Err(key) => {
                e.add("care_tags", key);
                None
            }
            Ok(()) => parse_tags(p.care_tags.iter().map(String::as_str))
                .map_err(|_| e.add("care_tags", "error-care-tag"))
                .ok(),
        };
        let lat = coordinate(e, "latitude", p.latitude.as_deref(), 90.0);
        let lon = coordinate(e, "longitude", p.longitude.as_deref(), 180.0);
        let location = match (lat, lon) {
            (Some(Some(a)), Some(Some(b))) => Some(Some((a, b))),
            (Some(None), Some(None)) => Some(None),
            (Some(Some(_)), Some(None)) => {
                e.add("longitude", "error-coordinate-pair");
                None
            }
            (Some(None), Some(Some(_))) => {
                e.add("latitude", "error-coordinate-pair");
                None
            }
            _ => None,
        };
        let minor = id
            .as_ref()
            .is_some_and(|id| age_on(id.birth_date(), today) < ADULT_AGE);
        if minor {
            if matches!(guardian_name, Some(None)) {
                e.add("guardian_name", "error-guardian-required");
            }
            if matches!(guardian_phone, Some(None)) {
                e.add("guardian_phone", "error-guardian-required");
            }
        }
        let consent = Self::parse_consent(p, id.as_ref(), today, e);
        Some(Self {
            name: name?,
            id: id?,
            relation: relation?,
            phone: phone?,
            disability: disability?,
            guardian_name: guardian_name?,
            guardian_phone: guardian_phone?,
            guardian_relation: guardian_relation?,
            care_needs: care_needs?,
            care_tags: care_tags?,
            location: location?,
            consent: consent?,
        })
    }

    fn parse_consent(
        p: &RecipientParams,
        id: Option<&ResidentId>,
        today: NaiveDate,
        e: &mut FieldErrors,
    ) -> Option<Option<Consent>> {
        let by = optional_text(e, "consent_by", p.consent_by.as_deref(), 50)?;
        let on = e.take(
            "consent_on",
            parse_optional_date(p.consent_on.as_deref()),
            |x| x.message_key(),
        )?;
        let relation = match p.consent_relation.as_deref().map(str::trim) {
            None | Some("" | "self") => ConsentRelation::Own,
            Some("guardian") => ConsentRelation::Guardian,
            Some(_) => {
                e.add("consent_relation", "error-consent-relation");
                return None;
            }
        };
        match (by, on) {
            (None, None) => Some(None),
            (Some(_), None) => {
                e.add("consent_on", "error-required");
                None
            }
            (None, Some(_)) => {
                e.add("consent_by", "error-required");
                None
            }
            (Some(by), Some(on)) => {
                if on > today {
                    e.add("consent_on", "error-date-future");
                    return None;
                }
                let child = id.is_some_and(|id| needs_guardian_consent(id.birth_date(), on));
                if child && relation == ConsentRelation::Own {
                    e.add("consent_relation", "error-consent-guardian");
                    return None;
                }
                Some(Some(Consent { by, relation, on }))
            }
        }
    }

    pub(crate) fn apply(self, am: &mut ActiveModel, vault: &Vault) {
        am.name = Set(self.name.clone());
        am.name_key = Set(search_key(&self.name));
        am.gender = Set(self.id.gender().as_str().to_string());
        am.birth_date = Set(self.id.birth_date());
        am.id_sealed = Set(vault.seal(&self.id));
        am.id_hash = Set(vault.lookup_hash(&self.id));
        am.id_masked = Set(self.id.masked());
        am.id_last4 = Set(self.id.last4().to_string());
        am.relation = Set(self.relation);
        am.phone = Set(self.phone);
        am.disability_level = Set(self.disability.map(|d| d.0));
        am.disability_type = Set(self.disability.map(|d| d.1.as_str().to_string()));
        am.guardian_name = Set(self.guardian_name);
        am.guardian_phone = Set(self.guardian_phone);
        am.guardian_relation = Set(self.guardian_relation);
        am.care_needs = Set(self.care_needs);
        am.care_tags = Set(tags_column(&self.care_tags));
        am.latitude = Set(self.location.map(|l| l.0));
        am.longitude = Set(self.location.map(|l| l.1));
        am.consent_by = Set(self.consent.as_ref().map(|c| c.by.clone()));
        am.consent_relation = Set(self
            .consent
            .as_ref()
            .map(|c| c.relation.as_str().to_string()));
        am.consent_on = Set(self.consent.as_ref().map(|c| c.on));
    }
}

/// Where a new recipient lives.
#[derive(Debug, Clone)]
pub enum HouseholdChoice {
    Existing(households::Model),
    New(NewHousehold),
}

/// How a person enters the register: registered by the township (with
/// the organisation that found them, if any), or proposed by a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Registered(Option<i64>),
    Proposed(i64),
}

/// The audit record of a recipient: what people see, never the sealed
/// number or its hash.
#[must_use]
pub fn audit_view(m: &Model) -> serde_json::Value {
    serde_json::json!({
        "name": m.name,
        "id_number": m.id_masked,
        "gender": m.gender,
        "birth_date": m.birth_date,
        "household_id": m.household_id,
        "relation": m.relation,
        "phone": m.phone,
        "disability_level": m.disability_level,
        "disability_type": m.disability_type,
        "guardian_name": m.guardian_name,
        "guardian_phone": m.guardian_phone,
        "guardian_relation": m.guardian_relation,
        "care_needs": m.care_needs,
        "care_tags": m.care_tags,
        "latitude": m.latitude,
        "longitude": m.longitude,
        "consent_by": m.consent_by,
        "consent_relation": m.consent_relation,
        "consent_on": m.consent_on,
        "status": m.status,
        "status_reason": m.status_reason,
        "status_on": m.status_on,
        "roster": m.roster,
        "organization_id": m.organization_id,
        "registry": m.registry,
    })
}

fn duplicate_id(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::field("id_number", "error-id-registered")
    } else {
        err.into()
    }
}

/// Whether a recipient with this ID number exists (anywhere: duplicates
/// are refused whoever registered the first).
///
/// # Errors
/// Database errors.
pub async fn find_by_hash<C: ConnectionTrait>(db: &C, hash: &str) -> AppResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::IdHash.eq(hash))
        .one(db)
        .await?)
}

/// Adds a status-history row (inside the caller's transaction).
async fn record_status<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    recipient_id: i64,
    from: Option<RecipientStatus>,
    to: RecipientStatus,
    reason: Option<String>,
    effective_on: NaiveDate,
) -> AppResult<()> {
    recipient_status_changes::ActiveModel {
        pid: Set(Uuid::new_v4()),
        recipient_id: Set(recipient_id),
        from_status: Set(from.map(|s| s.as_str().to_string())),
        to_status: Set(to.as_str().to_string()),
        reason: Set(reason),
        effective_on: Set(effective_on),
        user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

impl Model {
    /// Registers a recipient (and, if asked, their new household) in one
    /// transaction.
    ///
    /// # Errors
    /// A field error when the ID number is already registered; database
    /// errors.
    pub async fn register(
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        household: HouseholdChoice,
        fields: RecipientFields,
        organization_id: Option<i64>,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let (m, _) = Self::insert_in(
            &txn,
            &mut Chain::default(),
            actor,
            vault,
            household,
            fields,
            Registry::Registered(organization_id),
            None,
            today,
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Enters a person a provider found in outreach (主动发现) as its
    /// proposal to the township: on the register as `proposed`, seen only
    /// by the proposer and the township until an official decides.
    ///
    /// # Errors
    /// As `register`.
    pub async fn propose(
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        household: HouseholdChoice,
        fields: RecipientFields,
        organization_id: i64,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let mut chain = Chain::default();
        let (m, _) = Self::insert_in(
            &txn,
            &mut chain,
            actor,
            vault,
            household,
            fields,
            Registry::Proposed(organization_id),
            None,
            today,
        )
        .await?;
        super::proposals::open_in(&txn, &mut chain, actor, &m, organization_id).await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// As `register`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_in<C: ConnectionTrait>(
        db: &C,
        chain: &mut Chain,
        actor: &Actor,
        vault: &Vault,
        household: HouseholdChoice,
        fields: RecipientFields,
        registry: Registry,
        roster: Option<String>,
        today: NaiveDate,
    ) -> AppResult<(Self, households::Model)> {
        let (organization_id, registry) = match registry {
            Registry::Registered(org) => (org, "registered"),
            Registry::Proposed(org) => (Some(org), "proposed"),
        };
        // A registered number fails the unique key, which becomes the
        // field error (no look-up first: one statement fewer per row).
        let household = match household {
            HouseholdChoice::Existing(h) => h,
            HouseholdChoice::New(new) => {
                households::Model::insert_in(db, chain, actor, new).await?
            }
        };
        let mut am = ActiveModel {
            household_id: Set(household.id),
            township_id: Set(household.township_id),
            village_id: Set(household.village_id),
            organization_id: Set(organization_id),
            registry: Set(registry.to_string()),
            status: Set(RecipientStatus::Active.as_str().to_string()),
            status_on: Set(today),
            roster: Set(roster),
            ..Default::default()
        };
        fields.apply(&mut am, vault);
        let m = am.insert(db).await.map_err(duplicate_id)?;
        record_status(db, actor, m.id, None, RecipientStatus::Active, None, today).await?;
        chain
            .append_change(
                db,
                actor,
                Action::Create,
                "recipients",
                m.pid,
                None,
                Some(&audit_view(&m)),
            )
            .await?;
        Ok((m, household))
    }

    /// Saves edited fields (the ID number may be corrected).
    ///
    /// # Errors
    /// A field error when a corrected ID number belongs to someone else.
    pub async fn update(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        fields: RecipientFields,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = self
            .update_in(&txn, &mut Chain::default(), actor, vault, fields, None)
            .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// # Errors
    /// As `update`.
    pub async fn update_in<C: ConnectionTrait>(
        self,
        db: &C,
        chain: &mut Chain,
        actor: &Actor,
        vault: &Vault,
        fields: RecipientFields,
        household: Option<&households::Model>,
    ) -> AppResult<Self> {
        let hash = vault.lookup_hash(&fields.id);
        if hash != self.id_hash {
            if let Some(other) = find_by_hash(db, &hash).await? {
                if other.id != self.id {
                    return Err(AppError::field("id_number", "error-id-registered"));
                }
            }
        }
        let mut am: ActiveModel = self.clone().into();
        let same_id = hash == self.id_hash;
        fields.apply(&mut am, vault);
        if same_id {
            // Re-sealing the same number would only change the nonce.
            am.id_sealed = sea_orm::ActiveValue::Unchanged(self.id_sealed.clone());
        }
        if let Some(h) = household {
            am.household_id = Set(h.id);
            am.township_id = Set(h.township_id);
            am.village_id = Set(h.village_id);
        }
        if audit_view_changed(&am, &self) {
            let m = am.update(db).await.map_err(duplicate_id)?;
            chain
                .append_change(
                    db,
                    actor,
                    Action::Update,
                    "recipients",
                    m.pid,
                    Some(&audit_view(&self)),
                    Some(&audit_view(&m)),
                )
                .await?;
            Ok(m)
        } else {
            Ok(self)
        }
    }

    /// Suspends, exits or re-activates, with a reason and the day it takes
    /// effect; kept in the status history.
    ///
    /// # Errors
    /// Field errors for a missing reason or a change to the same status.
    pub async fn change_status(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        to: RecipientStatus,
        reason: Option<String>,
        effective_on: NaiveDate,
    ) -> AppResult<Self> {
        let from = self
            .status
            .parse::<RecipientStatus>()
            .unwrap_or(RecipientStatus::Active);
        from.change_to(to, reason.is_some()).map_err(|e| match e {
            StatusChangeError::Same => AppError::field("status", "error-status-same"),
            StatusChangeError::ReasonRequired => AppError::field("reason", "error-reason-required"),
        })?;
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.status = Set(to.as_str().to_string());
        am.status_reason = Set(reason.clone());
        am.status_on = Set(effective_on);
        let m = am.update(&txn).await?;
        record_status(&txn, actor, m.id, Some(from), to, reason, effective_on).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "recipients",
            m.pid,
            Some(&audit_view(&self)),
            Some(&audit_view(&m)),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Opens the sealed ID number for someone who gave a reason, and writes
    /// who, when and why to the audit log (never the number).
    ///
    /// # Errors
    /// A field error without a reason; an internal error when the key
    /// cannot open the number.
    pub async fn reveal(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        reason: &str,
    ) -> AppResult<ResidentId> {
        let reason =
            text::required(reason, 200).map_err(|e| AppError::field("reason", e.message_key()))?;
        let id = vault
            .open(&self.id_sealed)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let txn = db.begin().await?;
        audit_logs::record(
            &txn,
            actor,
            Action::Reveal,
            "recipients",
            Some(self.pid),
            &serde_json::json!({"field": "id_number", "reason": reason}),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// The categories that apply today.
    #[must_use]
    pub fn categories(&self, today: NaiveDate) -> Vec<Category> {
        crate::domain::recipient::categories(self.birth_date, self.disability_level, today)
    }

    /// The status history, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn status_history<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> AppResult<Vec<recipient_status_changes::Model>> {
        Ok(recipient_status_changes::Entity::find()
            .filter(recipient_status_changes::Column::RecipientId.eq(self.id))
            .order_by_desc(recipient_status_changes::Column::Id)
            .limit(100)
            .all(db)
            .await?)
    }
}

fn audit_view_changed(am: &ActiveModel, before: &Model) -> bool {
    use sea_orm::TryIntoModel;
    let mut copy = am.clone();
    // Compare the values people see (the sealed number changes with every
    // seal even for the same number).
    copy.id_sealed = sea_orm::ActiveValue::Unchanged(before.id_sealed.clone());
    match copy.try_into_model() {
        Ok(after) => audit_view(&after) != audit_view(before) || after.id_hash != before.id_hash,
        Err(_) => true,
    }
}

/// # Errors
/// `NotFound` when missing or out of scope.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    find_scoped(
        db,
        scoped(
            Entity::find().filter(Column::Pid.eq(pid)),
            scope.recipients(),
        ),
    )
    .await
}

/// Filters of the recipient list (and of its export).
#[derive(Debug, Clone, Default)]
pub struct RecipientFilter {
    pub township_id: Option<i64>,
    pub village_id: Option<i64>,
    pub category: Option<Category>,
    pub status: Option<RecipientStatus>,
    pub assistance_status: Option<AssistanceStatus>,
    pub care_tag: Option<CareTag>,
    pub query: Option<Query>,
}

fn filtered(scope: &Scope, f: &RecipientFilter, today: NaiveDate) -> AppResult<Select<Entity>> {
    let mut q = scoped(Entity::find(), scope.recipients()).ok_or(AppError::NotFound)?;
    if let Some(t) = f.township_id {
        q = q.filter(Column::TownshipId.eq(t));
    }
    if let Some(v) = f.village_id {
        q = q.filter(Column::VillageId.eq(v));
    }
    if let Some(s) = f.status {
        q = q.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(c) = f.category {
        q = match c {
            Category::Disabled => q.filter(Column::DisabilityLevel.is_not_null()),
            _ => {
                let (after, upto) = birth_bounds(c, today);
                let mut cond = Condition::all();
                if let Some(a) = after {
                    cond = cond.add(Column::BirthDate.gt(a));
                }
                if let Some(u) = upto {
                    cond = cond.add(Column::BirthDate.lte(u));
                }
                q.filter(cond)
            }
        };
    }
    if let Some(t) = f.care_tag {
        q = q.filter(Column::CareTags.like(format!("%,{},%", t.as_str())));
    }
    if let Some(a) = f.assistance_status {
        q = q.filter(
            Column::HouseholdId.in_subquery(
                SqlQuery::select()
                    .column(households_entity::Column::Id)
                    .from(households_entity::Entity)
                    .and_where(households_entity::Column::AssistanceStatus.eq(a.as_str()))
                    .to_owned(),
            ),
        );
    }
    match &f.query {
        None => {}
        Some(Query::IdEnd(last4)) => q = q.filter(Column::IdLast4.eq(last4.as_str())),
        Some(Query::Pinyin(p)) => {
            q = q.filter(
                Condition::any()
                    .add(Column::NameKey.like(LikeExpr::new(like_pattern(p)).escape('\\')))
                    .add(Column::Name.like(LikeExpr::new(like_pattern(p)).escape('\\'))),
            );
        }
        Some(Query::Name(n)) => {
            q = q.filter(Column::Name.like(LikeExpr::new(like_pattern(n)).escape('\\')));
        }
    }
    Ok(q)
}

/// A recipient with their household and village, for lists.
#[derive(Debug, Clone)]
pub struct RecipientRow {
    pub recipient: Model,
    pub household: Option<households_entity::Model>,
    pub village: Option<villages::Model>,
}

async fn join_rows<C: ConnectionTrait>(db: &C, rows: Vec<Model>) -> AppResult<Vec<RecipientRow>> {
    let hids: Vec<i64> = rows.iter().map(|r| r.household_id).collect();
    let vids: Vec<i64> = rows.iter().map(|r| r.village_id).collect();
    let hs: HashMap<i64, households_entity::Model> = households_entity::Entity::find()
        .filter(households_entity::Column::Id.is_in(hids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let vs: HashMap<i64, villages::Model> = villages::Entity::find()
        .filter(villages::Column::Id.is_in(vids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| RecipientRow {
            household: hs.get(&r.household_id).cloned(),
            village: vs.get(&r.village_id).cloned(),
            recipient: r,
        })
        .collect())
}

/// Recipients the caller may see, filtered, by name.
///
/// # Errors
/// `NotFound` for callers who see no recipients.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &RecipientFilter,
    today: NaiveDate,
    page: PageRequest,
) -> AppResult<(Vec<RecipientRow>, PageInfo)> {
    let q = filtered(scope, filter, today)?
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id);
    let (rows, info) = fetch_page(db, q, page).await?;
    Ok((join_rows(db, rows).await?, info))
}

/// Every recipient of the filter (for exports), in batches, at most
/// `limit`.
///
/// # Errors
/// `NotFound` for callers who see no recipients.
pub async fn all_filtered(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &RecipientFilter,
    today: NaiveDate,
    limit: u64,
) -> AppResult<Vec<RecipientRow>> {
    const BATCH: u64 = 2000;
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = filtered(scope, filter, today)?
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let n = rows.len() as u64;
        out.extend(join_rows(db, rows).await?);
        if n < BATCH || out.len() as u64 >= limit {
            break;
        }
    }
    out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(out)
}

/// How many searches by the end of an ID number one person may make in 24
/// hours: enough for a day at the counter, far too few to learn the ends
/// of a registry's numbers one guess at a time.
pub const ID_SEARCHES_PER_DAY: u64 = 100;

/// How many whole ID numbers one person may look up in 24 hours by pasting
/// them (a contract's coverage): one paste at its largest. Each lookup
/// says whether a number is registered, so unlimited lookups would let
/// anyone who sees a mask and a birth year try every possible number.
pub const ID_LOOKUPS_PER_DAY: u64 = 5_000;

/// Lets a search by the last characters of an ID number through: only for
/// those who may reveal numbers, each audited (without the characters),
/// at most [`ID_SEARCHES_PER_DAY`] a day. Other searches pass untouched.
///
/// A search that arrives from a link on another site (`cross_site`) is
/// refused (403): it would write an audit entry under the caller's name
/// and spend their day's searches.
///
/// # Errors
/// `Invalid` (422) for those who may not, `Forbidden` (403) from another
/// site, `Limited` (429) over the limit.
pub async fn allow_id_search(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    filter: &RecipientFilter,
    cross_site: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !matches!(filter.query, Some(Query::IdEnd(_))) {
        return Ok(());
    }
    if cross_site {
        return Err(AppError::Forbidden);
    }
    if !scope.may_search_by_id_end() {
        return Err(AppError::field("q", "error-id-search-not-allowed"));
    }
    spend_id_lookups(db, actor, "id_end", 1, ID_SEARCHES_PER_DAY, now)
        .await
        .map_err(|e| match e {
            AppError::Limited(_) => AppError::Limited("error-id-search-limit"),
            e => e,
        })
}

/// Records `numbers` lookups of whole ID numbers of `kind` in the audit log
/// (how many, never which) and refuses them when the caller's lookups of
/// that kind in the last 24 hours would pass `limit`.
///
/// # Errors
/// `Limited("error-id-lookup-limit")` (429) over the limit; database errors.
pub async fn spend_id_lookups(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: &str,
    numbers: u64,
    limit: u64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    // The entry takes the audit chain's lock, so the sum after it
    // includes every concurrent lookup.
    audit_logs::record(
        &txn,
        actor,
        Action::IdSearch,
        "recipients",
        None,
        &serde_json::json!({"kind": kind, "numbers": numbers}),
    )
    .await?;
    let since: DateTimeWithTimeZone = (now - chrono::Duration::hours(24)).into();
    let made: Vec<String> = audit_logs::Entity::find()
        .select_only()
        .column(audit_logs::Column::Changes)
        .filter(audit_logs::Column::ActorId.eq(actor.user_id))
        .filter(audit_logs::Column::Action.eq(Action::IdSearch.as_str()))
        .filter(audit_logs::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(&txn)
        .await?;
    let spent: u64 = made
        .iter()
        .filter_map(|c| serde_json::from_str::<serde_json::Value>(c).ok())
        .filter(|c| c["kind"].as_str().unwrap_or("id_end") == kind)
        .map(|c| c["numbers"].as_u64().unwrap_or(1))
        .sum();
    if spent > limit {
        txn.rollback().await?;
        return Err(AppError::Limited("error-id-lookup-limit"));
    }
    txn.commit().await?;
    Ok(())
}

/// Records an export in the audit log: how many rows, which filter, and
/// whether whole ID numbers were included (with the reason).
///
/// # Errors
/// Database errors.
pub async fn record_export(
    db: &DatabaseConnection,
    actor: &Actor,
    rows: usize,
    filter: &str,
    revealed: Option<&str>,
) -> AppResult<()> {
    audit_logs::record_download(
        db,
        actor,
        if revealed.is_some() {
            Action::Reveal
        } else {
            Action::Export
        },
        "recipients",
        None,
        &serde_json::json!({"export_rows": rows, "filter": filter, "reason": revealed}),
    )
    .await
}

/// A registration, checked: where the person lives, their fields and the
/// organisation that registers them.
#[derive(Debug)]
pub struct Registration {
    pub household: HouseholdChoice,
    pub fields: RecipientFields,
    pub organization_id: Option<i64>,
    /// A provider's coordinator proposes; the township registers.
    pub proposed: bool,
}

/// The organisation a registration belongs to: a coordinator's own; for
/// an admin the one named (or none).
async fn registering_organization(
    db: &DatabaseConnection,
    scope: &Scope,
    named: Option<&str>,
    fallback: Option<i64>,
    e: &mut FieldErrors,
) -> AppResult<Option<i64>> {
    if let Some(own) = scope.own_organization() {
        return Ok(Some(own));
    }
    match named.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(fallback),
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(pid) => match super::organizations::load(db, scope, pid).await {
                    Ok(o) => Some(o.id),
                    Err(AppError::NotFound) => None,
                    Err(err) => return Err(err),
                },
                Err(_) => None,
            };
            if found.is_none() {
                e.add("organization", "error-choose-organization");
            }
            Ok(found)
        }
    }
}

/// The village a form names, if the caller may see it.
///
/// # Errors
/// Database errors.
pub async fn village_of(
    db: &DatabaseConnection,
    scope: &Scope,
    raw: Option<&str>,
) -> AppResult<Option<villages::Model>> {
    let Some(pid) = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| Uuid::parse_str(s).ok())
    else {
        return Ok(None);
    };
    match super::villages::load(db, scope, pid).await {
        Ok((v, _)) => Ok(Some(v)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Registration {
    /// Checks a registration form: an existing household (in scope) or a
    /// new one, and the person. All field errors are reported together.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn parse(
        db: &DatabaseConnection,
        scope: &Scope,
        p: &RecipientParams,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let existing = match p
            .household
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => match Uuid::parse_str(raw) {
                Ok(pid) => match households::load(db, scope, pid).await {
                    Ok(h) => Some(h),
                    Err(AppError::NotFound) => {
                        e.add("household", "error-choose-household");
                        None
                    }
                    Err(err) => return Err(err),
                },
                Err(_) => {
                    e.add("household", "error-choose-household");
                    None
                }
            },
        };
        let fallback = existing.as_ref().and_then(|h| h.organization_id);
        let organization_id =
            registering_organization(db, scope, p.organization.as_deref(), fallback, &mut e)
                .await?;
        let household = if let Some(h) = existing {
            Some(HouseholdChoice::Existing(h))
        } else if p.household.as_deref().is_some_and(|s| !s.trim().is_empty()) {
            None
        } else {
            let village = village_of(db, scope, p.village.as_deref()).await?;
            let mut he = FieldErrors::new();
            let h = NewHousehold::parse(
                &p.household_params(),
                village.as_ref(),
                organization_id,
                &mut he,
            );
            // The household's phone is `household_phone` on this form.
            for (k, msgs) in he.iter() {
                let k = if k == "phone" {
                    "household_phone"
                } else {
                    k.as_str()
                };
                for m in msgs {
                    e.add(k, m);
                }
            }
            h.map(HouseholdChoice::New)
        };
        let fields = RecipientFields::parse(p, None, today, &mut e);
        e.into_result(|| {
            Some(Self {
                household: household?,
                fields: fields?,
                organization_id,
                proposed: scope.may_propose_recipients(),
            })
        })
    }

    /// # Errors
    /// As `Model::register`.
    pub async fn save(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        today: NaiveDate,
    ) -> AppResult<Model> {
        match (self.proposed, self.organization_id) {
            (true, Some(org)) => {
                Model::propose(db, actor, vault, self.household, self.fields, org, today).await
            }
            _ => {
                Model::register(
                    db,
                    actor,
                    vault,
                    self.household,
                    self.fields,
                    self.organization_id,
                    today,
                )
                .await
            }
        }
    }
}

impl Model {
    /// Checks an edit of the recipient's own fields; a blank ID number
    /// keeps the stored one.
    ///
    /// # Errors
    /// Field errors; an internal error when the stored number cannot be
    /// opened.
    pub fn parse_edit(
        &self,
        vault: &Vault,
        p: &RecipientParams,
        today: NaiveDate,
    ) -> AppResult<RecipientFields> {
        let current = vault
            .open(&self.id_sealed)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut e = FieldErrors::new();
        let fields = RecipientFields::parse(p, Some(&current), today, &mut e);
        e.into_result(|| fields)
    }
}

/// The form values of a stored recipient (the ID number left blank: it is
/// only re-entered to correct it).
#[must_use]
pub fn params_of(m: &Model) -> RecipientParams {
    RecipientParams {
        name: Some(m.name.clone()),
        relation: m.relation.clone(),
        phone: m.phone.clone(),
        disability_level: m.disability_level.map(|l| l.to_string()),
        disability_type: m.disability_type.clone(),
        guardian_name: m.guardian_name.clone(),
        guardian_phone: m.guardian_phone.clone(),
        guardian_relation: m.guardian_relation.clone(),
        care_needs: m.care_needs.clone(),
        care_tags: m
            .care_tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        latitude: m.latitude.map(|x| x.to_string()),
        longitude: m.longitude.map(|x| x.to_string()),
        consent_by: m.consent_by.clone(),
        consent_relation: m.consent_relation.clone(),
        consent_on: m.consent_on.map(|d| d.to_string()),
        ..RecipientParams::default()
    }
}

/// One recipient with their household and village (two queries).
///
/// # Errors
/// Database errors.
pub async fn row_of<C: ConnectionTrait>(db: &C, m: Model) -> AppResult<RecipientRow> {
    let mut rows = join_rows(db, vec![m.clone()]).await?;
    Ok(rows.pop().unwrap_or(RecipientRow {
        recipient: m,
        household: None,
        village: None,
    }))
}

/// Recipients by database id (for lists of other things that name them),
/// one query.
///
/// # Errors
/// Database errors.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> AppResult<HashMap<i64, Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(Entity::find()
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

/// The recipients among `pids` the caller may see, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn in_scope_by_pids(
    db: &DatabaseConnection,
    scope: &Scope,
    pids: Vec<Uuid>,
    limit: u64,
) -> AppResult<Vec<Model>> {
    let Some(q) = scoped(Entity::find(), scope.recipients()) else {
        return Ok(Vec::new());
    };
    Ok(q.filter(Column::Pid.is_in(pids))
        .limit(limit)
        .all(db)
        .await?)
}

impl Model {
    /// The person's household (not scoped: the person was).
    ///
    /// # Errors
    /// Database errors.
    pub async fn household<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> AppResult<Option<households_entity::Model>> {
        Ok(households_entity::Entity::find_by_id(self.household_id)
            .one(db)
            .await?)
    }

    /// The township the person is registered in.
    ///
    /// # Errors
    /// Database errors.
    pub async fn township<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> AppResult<Option<super::_entities::townships::Model>> {
        Ok(
            super::_entities::townships::Entity::find_by_id(self.township_id)
                .one(db)
                .await?,
        )
    }

    /// Checks and saves an edit form.
    ///
    /// # Errors
    /// As `parse_edit` and `update`.
    pub async fn apply_edit(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        vault: &Vault,
        p: &RecipientParams,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let fields = self.parse_edit(vault, p, today)?;
        self.update(db, actor, vault, fields).await
    }

    /// Checks a status form and changes the status.
    ///
    /// # Errors
    /// As `StatusParams::parse` and `change_status`.
    pub async fn change_status_to(
        self,
        db: &DatabaseConnection,
        actor: &Actor,
        p: &StatusParams,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let (to, reason, on) = p.parse(today)?;
        self.change_status(db, actor, to, reason, on).await
    }
}

impl Registration {
    /// Checks a registration form and saves it.
    ///
    /// # Errors
    /// As `parse` and `save`.
    pub async fn register(
        db: &DatabaseConnection,
        scope: &Scope,
        actor: &Actor,
        vault: &Vault,
        p: &RecipientParams,
        today: NaiveDate,
    ) -> AppResult<Model> {
        Self::parse(db, scope, p, today)
            .await?
            .save(db, actor, vault, today)
            .await
    }
}

/// The township a form or filter names, if the caller may see it.
///
/// # Errors
/// Database errors.
pub async fn township_of(
    db: &DatabaseConnection,
    scope: &Scope,
    raw: Option<&str>,
) -> AppResult<Option<super::_entities::townships::Model>> {
    let Some(pid) = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| Uuid::parse_str(s).ok())
    else {
        return Ok(None);
    };
    match super::townships::load(db, scope, pid).await {
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
pub async fn township_pid_of_village(
    db: &DatabaseConnection,
    scope: &Scope,
    village: &str,
) -> AppResult<Option<String>> {
    let Ok(pid) = Uuid::parse_str(village.trim()) else {
        return Ok(None);
    };
    match super::villages::load(db, scope, pid).await {
        Ok((_, t)) => Ok(Some(t.pid.to_string())),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A status change as a form or the API sends it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct StatusParams {
    #[serde(default, deserialize_with = "loose")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub effective_on: Option<String>,
}

impl StatusParams {
    /// # Errors
    /// Field errors for an unknown status or date.
    pub fn parse(
        &self,
        today: NaiveDate,
    ) -> AppResult<(RecipientStatus, Option<String>, NaiveDate)> {
        let mut e = FieldErrors::new();
        let status = e.take(
            "status",
            self.status
                .as_deref()
                .unwrap_or("")
                .parse::<RecipientStatus>(),
            |()| "error-choose-status",
        );
        let reason = e.take("reason", text::optional(self.reason.as_deref(), 200), |x| {
            x.message_key()
        });
        let on = e.take(
            "effective_on",
            parse_optional_date(self.effective_on.as_deref()),
            |x| x.message_key(),
        );
        e.into_result(|| Some((status?, reason?, on?.unwrap_or(today))))
    }
}

/// Revealing an ID number: the reason.
#[derive(Debug, Default, Deserialize)]
pub struct RevealParams {
    #[serde(default, deserialize_with = "loose")]
    pub reason: Option<String>,
}

/// Which of `ids` the caller sees (one query; none for workers, all for
/// admins): for pages that show people met through visits or plans and
/// link only to those the viewer may open.
///
/// # Errors
/// Database errors.
pub async fn visible_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    mut ids: Vec<i64>,
) -> AppResult<std::collections::HashSet<i64>> {
    ids.sort_unstable();
    ids.dedup();
    let Some(q) = scoped(Entity::find(), scope.recipients()) else {
        return Ok(std::collections::HashSet::new());
    };
    if scope.is_admin() {
        return Ok(ids.into_iter().collect());
    }
    // One statement even for no people: a page costs the same however
    // many rows it shows.
    if ids.is_empty() {
        return Ok(q
            .select_only()
            .column(Column::Id)
            .filter(Column::Id.is_in(ids))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect());
    }
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        out.extend(
            q.clone()
                .select_only()
                .column(Column::Id)
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Whether the caller's organisation serves the person today (coverage
/// not yet over), or proposed them and the township has not registered
/// them: who may reveal the ID number and plan visits. Admins and
/// officials are not limited by coverage (true); workers never (false).
///
/// # Errors
/// Database errors.
pub async fn served_now<C: ConnectionTrait>(db: &C, scope: &Scope, r: &Model) -> AppResult<bool> {
    use crate::domain::role::Role;
    match scope.role() {
        Role::Admin | Role::Official => return Ok(true),
        Role::Worker => return Ok(false),
        Role::Coordinator => {}
    }
    if r.registry != "registered" && r.organization_id == scope.own_organization() {
        return Ok(true);
    }
    served_among(db, scope, &[r.id])
        .await
        .map(|s| !s.is_empty())
}

/// Which of `ids` the caller's organisation serves today (for a
/// coordinator; all of them for anyone else, whom coverage does not limit).
///
/// # Errors
/// Database errors.
pub async fn served_among<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[i64],
) -> AppResult<std::collections::HashSet<i64>> {
    let Some(served) = scope.served_today() else {
        return Ok(ids.iter().copied().collect());
    };
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        out.extend(
            Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .filter(Column::Id.in_subquery(served.clone()))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

//! Lines of what a visit delivered, and the recipient's signature; the
//! record of a logged visit as people read it back.
use super::_entities::{visit_material_lines, visit_service_lines, visit_signatures, visits};
use crate::{
    domain::{money::format_yuan, visit_log::format_quantity},
    errors::AppResult,
};
use sea_orm::{entity::prelude::*, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

impl ActiveModelBehavior for visit_service_lines::ActiveModel {}
impl ActiveModelBehavior for visit_material_lines::ActiveModel {}
impl ActiveModelBehavior for visit_signatures::ActiveModel {}

/// One service delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    pub service: String,
    pub minutes: i64,
}

/// One material item handed over; `value` in yuan as written, `value_fen`
/// exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialLine {
    pub item: String,
    pub category: String,
    pub quantity: String,
    pub unit: String,
    pub value: String,
    pub value_fen: i64,
    pub funding: String,
    pub donor: Option<String>,
}

impl From<&visit_material_lines::Model> for MaterialLine {
    fn from(m: &visit_material_lines::Model) -> Self {
        Self {
            item: m.item.clone(),
            category: m.category.clone(),
            quantity: format_quantity(m.quantity_milli),
            unit: m.unit.clone(),
            value: format_yuan(m.value_fen),
            value_fen: m.value_fen,
            funding: m.funding.clone(),
            donor: m.donor.clone(),
        }
    }
}

/// What a logged visit says it delivered and who confirmed it: the part a
/// correction (amendment) may change. Times and location are facts of the
/// check-in and check-out and are not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub outcome: String,
    pub services: Vec<ServiceLine>,
    pub materials: Vec<MaterialLine>,
    pub notes: Option<String>,
    pub confirmed_by: Option<String>,
    pub confirmed_relation: Option<String>,
    pub no_confirmation_reason: Option<String>,
    /// Whether a signature image is on file.
    pub signature: bool,
    /// The SHA-256 (hex) of the current signature image: an amendment's
    /// before and after name the signatures they saw (all are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_sha256: Option<String>,
    /// Why the service minutes are more than the visit's time (only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes_reason: Option<String>,
}

/// The record of `visit` as it stands.
///
/// # Errors
/// Database errors.
pub async fn record<C: ConnectionTrait>(db: &C, visit: &visits::Model) -> AppResult<Record> {
    let services = visit_service_lines::Entity::find()
        .filter(visit_service_lines::Column::VisitId.eq(visit.id))
        .order_by_asc(visit_service_lines::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| ServiceLine {
            service: l.service,
            minutes: l.minutes,
        })
        .collect();
    let materials = visit_material_lines::Entity::find()
        .filter(visit_material_lines::Column::VisitId.eq(visit.id))
        .order_by_asc(visit_material_lines::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(MaterialLine::from)
        .collect();
    let signature_sha256 = visit_signatures::Entity::find()
        .select_only()
        .column(visit_signatures::Column::Data)
        .filter(visit_signatures::Column::VisitId.eq(visit.id))
        .order_by_desc(visit_signatures::Column::Id)
        .into_tuple::<Vec<u8>>()
        .one(db)
        .await?
        .map(|data| {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(&data))
        });
    Ok(Record {
        outcome: visit.status.clone(),
        services,
        materials,
        notes: visit.notes.clone(),
        confirmed_by: visit.confirmed_by.clone(),
        confirmed_relation: visit.confirmed_relation.clone(),
        no_confirmation_reason: visit.no_confirmation_reason.clone(),
        signature: signature_sha256.is_some(),
        signature_sha256,
        minutes_reason: visit.minutes_reason.clone(),
    })
}

/// The current (newest) signature image of a visit: content type and
/// bytes. Earlier ones are kept.
///
/// # Errors
/// Database errors.
pub async fn signature<C: ConnectionTrait>(
    db: &C,
    visit: &visits::Model,
) -> AppResult<Option<(String, Vec<u8>)>> {
    Ok(visit_signatures::Entity::find()
        .filter(visit_signatures::Column::VisitId.eq(visit.id))
        .order_by_desc(visit_signatures::Column::Id)
        .one(db)
        .await?
        .map(|s| (s.content_type, s.data)))
}

/// The current signature image of the visit `pid` in `scope`: content type
/// and bytes.
///
/// # Errors
/// `NotFound` when the visit is missing, out of scope or unsigned;
/// database errors.
pub async fn signature_in_scope(
    db: &DatabaseConnection,
    scope: &crate::policy::Scope,
    pid: Uuid,
) -> AppResult<(String, Vec<u8>)> {
    let visit = super::visits::load(db, scope, pid).await?;
    signature(db, &visit)
        .await?
        .ok_or(crate::errors::AppError::NotFound)
}

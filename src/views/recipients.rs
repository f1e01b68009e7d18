//! JSON shapes of households, recipients and roster imports. ID numbers
//! leave the server masked, and not at all for workers.
use super::Ref;
use crate::{
    domain::recipient::{needs_guardian_consent, CareTag},
    models::{
        _entities::{
            households, recipient_imports, recipient_status_changes, recipients, villages,
        },
        households::HouseholdRow,
        recipient_imports::Report,
        recipients::RecipientRow,
    },
};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct HouseholdJson {
    pub pid: Uuid,
    pub address: String,
    pub phone: Option<String>,
    pub assistance_status: String,
    pub status_since: Option<NaiveDate>,
    pub status_until: Option<NaiveDate>,
    pub village: Option<Ref>,
    pub members: Option<i64>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl HouseholdJson {
    #[must_use]
    pub fn new(
        h: &households::Model,
        village: Option<&villages::Model>,
        members: Option<i64>,
    ) -> Self {
        Self {
            pid: h.pid,
            address: h.address.clone(),
            phone: h.phone.clone(),
            assistance_status: h.assistance_status.clone(),
            status_since: h.status_since,
            status_until: h.status_until,
            village: village.map(|v| Ref {
                pid: v.pid,
                name: v.name.clone(),
            }),
            members,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

impl From<&HouseholdRow> for HouseholdJson {
    fn from(r: &HouseholdRow) -> Self {
        Self::new(&r.household, r.village.as_ref(), Some(r.members))
    }
}

#[derive(Debug, Serialize)]
pub struct ConsentJson {
    pub by: String,
    pub relation: Option<String>,
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct RecipientJson {
    pub pid: Uuid,
    pub name: String,
    pub gender: String,
    /// The year only: with the township and the gender, a whole birth date
    /// would leave too few possible ID numbers (`domain::privacy`).
    pub birth_year: i32,
    /// The age reached this year; stable all year.
    pub age_this_year: i32,
    pub categories: Vec<&'static str>,
    /// Masked (`5119**************`); absent for workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub household: Option<HouseholdJson>,
    pub village: Option<Ref>,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub disability_level: Option<i64>,
    pub disability_type: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub guardian_relation: Option<String>,
    pub care_needs: Option<String>,
    pub care_tags: Vec<&'static str>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub consent: Option<ConsentJson>,
    /// Under 14: consent must come from the guardian.
    pub needs_guardian_consent: bool,
    /// No consent recorded, or a child's consent not given by a guardian.
    pub consent_missing: bool,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_on: NaiveDate,
    pub roster: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl RecipientJson {
    #[must_use]
    pub fn new(
        m: &recipients::Model,
        household: Option<&households::Model>,
        village: Option<&villages::Model>,
        show_id: bool,
        today: NaiveDate,
    ) -> Self {
        let child = needs_guardian_consent(m.birth_date, today);
        let consent = m.consent_by.as_ref().map(|by| ConsentJson {
            by: by.clone(),
            relation: m.consent_relation.clone(),
            on: m.consent_on,
        });
        let consent_missing =
            consent.is_none() || (child && m.consent_relation.as_deref() != Some("guardian"));
        Self {
            pid: m.pid,
            name: m.name.clone(),
            gender: m.gender.clone(),
            birth_year: m.birth_date.year(),
            age_this_year: today.year() - m.birth_date.year(),
            categories: m.categories(today).iter().map(|c| c.as_str()).collect(),
            id_number: show_id.then(|| m.id_masked.clone()),
            household: household.map(|h| HouseholdJson::new(h, village, None)),
            village: village.map(|v| Ref {
                pid: v.pid,
                name: v.name.clone(),
            }),
            relation: m.relation.clone(),
            phone: m.phone.clone(),
            disability_level: m.disability_level,
            disability_type: m.disability_type.clone(),
            guardian_name: m.guardian_name.clone(),
            guardian_phone: m.guardian_phone.clone(),
            guardian_relation: m.guardian_relation.clone(),
            care_needs: m.care_needs.clone(),
            care_tags: CareTag::ALL
                .iter()
                .filter(|t| m.care_tags.contains(&format!(",{},", t.as_str())))
                .map(|t| t.as_str())
                .collect(),
            latitude: m.latitude,
            longitude: m.longitude,
            consent,
            needs_guardian_consent: child,
            consent_missing,
            status: m.status.clone(),
            status_reason: m.status_reason.clone(),
            status_on: m.status_on,
            roster: m.roster.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    #[must_use]
    pub fn from_row(r: &RecipientRow, show_id: bool, today: NaiveDate) -> Self {
        Self::new(
            &r.recipient,
            r.household.as_ref(),
            r.village.as_ref(),
            show_id,
            today,
        )
    }
}

#[derive(Debug, Serialize)]
pub struct StatusChangeJson {
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub effective_on: NaiveDate,
    pub by: String,
    pub at: Time,
}

impl From<&recipient_status_changes::Model> for StatusChangeJson {
    fn from(m: &recipient_status_changes::Model) -> Self {
        Self {
            from_status: m.from_status.clone(),
            to_status: m.to_status.clone(),
            reason: m.reason.clone(),
            effective_on: m.effective_on,
            by: m.actor_label.clone(),
            at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RecipientImportJson {
    pub pid: Uuid,
    pub file_name: String,
    pub roster: String,
    pub state: String,
    pub total_rows: i64,
    pub processed_rows: i64,
    /// 0-100.
    pub percent: i64,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub vanished: i64,
    pub error: Option<String>,
    pub applied_at: Option<Time>,
    pub created_at: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

impl RecipientImportJson {
    #[must_use]
    pub fn new(m: &recipient_imports::Model, report: Option<Report>) -> Self {
        let percent = if m.total_rows > 0 {
            (m.processed_rows * 100 / m.total_rows).clamp(0, 100)
        } else {
            0
        };
        Self {
            pid: m.pid,
            file_name: m.file_name.clone(),
            roster: m.roster.clone(),
            state: m.state.clone(),
            total_rows: m.total_rows,
            processed_rows: m.processed_rows,
            percent,
            new: m.new_count,
            updated: m.updated_count,
            unchanged: m.unchanged_count,
            rejected: m.rejected_count,
            vanished: m.vanished_count,
            error: m.error.clone(),
            applied_at: m.applied_at,
            created_at: m.created_at,
            report,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PlanJson {
    pub pid: Uuid,
    pub recipient: Option<super::Ref>,
    pub services: Vec<String>,
    pub duration_minutes: i64,
    pub tzid: String,
    pub dtstart: String,
    pub rrule: Option<String>,
    pub exdates: Vec<String>,
    pub rdates: Vec<String>,
    pub status: String,
    pub materialised_until: Option<Time>,
    pub created_at: Time,
}

impl PlanJson {
    #[must_use]
    pub fn new(
        m: &crate::models::_entities::service_plans::Model,
        recipient: Option<&recipients::Model>,
    ) -> Self {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        Self {
            pid: m.pid,
            recipient: recipient.map(|r| super::Ref {
                pid: r.pid,
                name: r.name.clone(),
            }),
            services: list(&m.services),
            duration_minutes: m.duration_minutes,
            tzid: m.tzid.clone(),
            dtstart: m.dtstart.clone(),
            rrule: m.rrule.clone(),
            exdates: list(&m.exdates),
            rdates: list(&m.rdates),
            status: m.status.clone(),
            materialised_until: m.materialised_until,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VisitJson {
    pub pid: Uuid,
    pub starts_at: Time,
    pub ends_at: Time,
    /// The start on the plan's local clock, without offset.
    pub local_start: String,
    pub tzid: String,
    pub status: String,
    pub exception: bool,
    pub checked_in_at: Option<Time>,
    pub checked_out_at: Option<Time>,
    /// Metres from the recipient's registered home at check-in.
    pub distance_m: Option<f64>,
    pub location_exception: bool,
    pub location_reason: Option<String>,
    pub late: bool,
    /// Why an ad-hoc visit (one without a plan) happened.
    pub ad_hoc_reason: Option<String>,
    /// Changes with every write: send it back with a change (`version`) to
    /// be told (409) when someone else changed the visit first.
    pub version: i64,
}

impl From<&crate::models::_entities::visits::Model> for VisitJson {
    fn from(m: &crate::models::_entities::visits::Model) -> Self {
        let zone: chrono_tz::Tz = m.tzid.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        Self {
            pid: m.pid,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            local_start: m
                .starts_at
                .with_timezone(&zone)
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string(),
            tzid: m.tzid.clone(),
            status: m.status.clone(),
            exception: m.exception,
            checked_in_at: m.checked_in_at,
            checked_out_at: m.checked_out_at,
            distance_m: m.distance_m.map(f64::round),
            location_exception: m.location_exception,
            location_reason: m.location_reason.clone(),
            late: m.late,
            ad_hoc_reason: m.ad_hoc_reason.clone(),
            version: m.version,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReferralJson {
    pub pid: Uuid,
    pub kind: String,
    pub note: String,
    pub status: String,
    pub recipient: Option<super::Ref>,
    pub visit: Option<Uuid>,
    pub action_note: Option<String>,
    pub closed_at: Option<Time>,
    pub created_at: Time,
}

impl ReferralJson {
    #[must_use]
    pub fn new(
        m: &crate::models::_entities::referrals::Model,
        recipient: Option<&recipients::Model>,
        visit: Option<Uuid>,
    ) -> Self {
        Self {
            pid: m.pid,
            kind: m.kind.clone(),
            note: m.note.clone(),
            status: m.status.clone(),
            recipient: recipient.map(|r| super::Ref {
                pid: r.pid,
                name: r.name.clone(),
            }),
            visit,
            action_note: m.action_note.clone(),
            closed_at: m.closed_at,
            created_at: m.created_at,
        }
    }
}

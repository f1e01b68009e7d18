//! JSON shapes of the API; the HTML pages pass the same shapes to Tera.
//! Only `pid`s leave the server, never database ids.
pub mod board;
pub mod person;
pub mod recipients;
pub mod visits;

use crate::{
    domain::pagination::PageInfo,
    models::{
        _entities::{audit_logs, organizations, townships, users, villages},
        users::UserDetail,
    },
};
use serde::Serialize;
use uuid::Uuid;

type Time = chrono::DateTime<chrono::FixedOffset>;

#[derive(Debug, Serialize)]
pub struct ListResponse<T: Serialize> {
    pub items: Vec<T>,
    pub page: PageInfo,
}

#[derive(Debug, Serialize)]
pub struct TownshipJson {
    pub pid: Uuid,
    pub name: String,
    pub code: String,
    pub population: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<&townships::Model> for TownshipJson {
    fn from(m: &townships::Model) -> Self {
        Self {
            pid: m.pid,
            name: m.name.clone(),
            code: m.code.clone(),
            population: m.population,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Ref {
    pub pid: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct VillageJson {
    pub pid: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub township: Ref,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<(&villages::Model, &townships::Model)> for VillageJson {
    fn from((v, t): (&villages::Model, &townships::Model)) -> Self {
        Self {
            pid: v.pid,
            name: v.name.clone(),
            code: v.code.clone(),
            township: Ref {
                pid: t.pid,
                name: t.name.clone(),
            },
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrganizationJson {
    pub pid: Uuid,
    pub name: String,
    pub kind: String,
    pub credit_code: String,
    pub created_at: Time,
    pub updated_at: Time,
}

impl From<&organizations::Model> for OrganizationJson {
    fn from(m: &organizations::Model) -> Self {
        Self {
            pid: m.pid,
            name: m.name.clone(),
            kind: m.kind.clone(),
            credit_code: m.credit_code.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

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
pub struct AuditJson {
    pub id: i64,
    pub created_at: Time,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_pid: Option<Uuid>,
    pub changes: serde_json::Value,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub hash: String,
}

impl From<&audit_logs::Model> for AuditJson {
    fn from(m: &audit_logs::Model) -> Self {
        Self {
            id: m.id,
            created_at: m.created_at,
            actor: m.actor_label.clone(),
            action: m.action.clone(),
            entity: m.entity.clone(),
            entity_pid: m.entity_pid,
            changes: {
                let mut c = m.changes_json();
                crate::domain::privacy::redact_recorded(&mut c);
                c
            },
            request_id: m.request_id.clone(),
            ip: m.ip.clone(),
            hash: m.hash.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenJson {
    pub token: String,
    pub user: UserJson,
}

//! JSON shapes of the API; the HTML pages pass the same shapes to Tera.
//! Only `pid`s leave the server, never database ids.
pub mod audit_logs;
pub mod board;
pub mod contracts;
pub mod dashboard;
pub mod export;
pub mod handover;
pub mod households;
pub mod ocds;
pub mod organizations;
pub mod pack;
pub mod person;
pub mod places;
pub mod plan_form;
pub mod privacy;
pub mod proposals;
pub mod recipient_imports;
pub mod recipients;
pub mod referrals;
pub mod service_plans;
pub mod service_types;
pub mod sessions;
pub mod settings;
pub mod start;
pub mod users;
pub mod visits;

pub use audit_logs::AuditJson;
pub use organizations::OrganizationJson;
pub use places::{TownshipJson, VillageJson};
pub use users::{TokenJson, UserJson};

use crate::domain::pagination::PageInfo;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct ListResponse<T: Serialize> {
    pub items: Vec<T>,
    pub page: PageInfo,
}

#[derive(Debug, Serialize)]
pub struct Ref {
    pub pid: Uuid,
    pub name: String,
}

//! Referrals (转介): needs seen at a visit, on the coordinator's list until
//! someone acts on them.
pub use super::_entities::referrals::{self, ActiveModel, Column, Entity, Model};
use sea_orm::{entity::prelude::*, ActiveValue::Set};

super::pid_and_timestamps!();

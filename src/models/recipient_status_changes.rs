//! A recipient's status history: every activation, suspension and exit,
//! with the reason, the day it took effect and who recorded it.
pub use super::_entities::recipient_status_changes::{ActiveModel, Column, Entity, Model};
use sea_orm::{entity::prelude::*, ActiveValue::Set};

super::pid_and_timestamps!();

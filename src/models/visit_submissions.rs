//! Submissions from phones by client id (see `visit_logs::once`).
pub use super::_entities::visit_submissions::{self, ActiveModel, Column, Entity, Model};
use sea_orm::entity::prelude::*;

impl ActiveModelBehavior for ActiveModel {}

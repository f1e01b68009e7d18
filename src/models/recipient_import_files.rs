//! The uploaded roster file and its dry-run report, kept apart from the
//! small import row that the progress page polls.
pub use super::_entities::recipient_import_files::{ActiveModel, Column, Entity, Model};
use sea_orm::entity::prelude::*;

impl ActiveModelBehavior for ActiveModel {}

//! Which townships an official oversees (managed through `users`).
pub use super::_entities::official_townships::{ActiveModel, Column, Entity, Model};
use sea_orm::entity::prelude::*;

impl ActiveModelBehavior for ActiveModel {}

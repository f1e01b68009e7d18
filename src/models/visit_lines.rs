//! Lines of what a visit delivered, and the recipient's signature.
use super::_entities::{visit_material_lines, visit_service_lines, visit_signatures};
use sea_orm::entity::prelude::*;

impl ActiveModelBehavior for visit_service_lines::ActiveModel {}
impl ActiveModelBehavior for visit_material_lines::ActiveModel {}
impl ActiveModelBehavior for visit_signatures::ActiveModel {}

//! Background jobs: thin wrappers that deserialise their arguments and call
//! one model method.
pub mod plan_materialise;
pub mod recipient_import;

//! Background jobs: thin wrappers that deserialise their arguments and call
//! one model method.
pub mod recipient_import;

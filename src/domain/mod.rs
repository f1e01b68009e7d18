//! Pure domain types: no database, web framework, async or clock reads.
//! Each is parsed at the edge and tested with tables and properties.
pub mod audit_chain;
pub mod conflicts;
pub mod credit_code;
pub mod date_input;
pub mod division_code;
pub mod fulfilment;
pub mod geo;
pub mod ical;
pub mod limits;
pub mod locale;
pub mod money;
pub mod name_search;
pub mod organization_kind;
pub mod pagination;
pub mod phone;
pub mod plan_pattern;
pub mod privacy;
pub mod publication;
pub mod recipient;
pub mod recurrence;
mod recurrence_fast;
pub mod resident_id;
pub mod role;
pub mod roster;
pub mod service_type;
pub mod text;
pub mod visit_log;

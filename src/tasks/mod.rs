pub mod audit_verify;
pub mod demo_seed;
pub mod perf_bench;
pub mod perf_import;
pub mod perf_plans;
pub mod perf_seed;
pub mod plans_materialise;
pub mod visits_overdue;

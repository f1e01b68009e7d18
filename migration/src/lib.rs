#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::wildcard_imports)]
pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261130_000001_create_townships;
mod m20261130_000002_create_villages;
mod m20261130_000003_create_organizations;
mod m20261130_000004_create_users;
mod m20261130_000005_create_official_townships;
mod m20261130_000006_create_audit_logs;
mod m20261130_000007_create_sign_in_failures;
mod m20261130_000008_create_households;
mod m20261130_000009_create_recipients;
mod m20261130_000010_create_recipient_status_changes;
mod m20261130_000011_create_recipient_imports;
mod m20261130_000012_create_service_plans;
mod m20261130_000013_create_visits;
mod m20261130_000014_add_calendar_token_to_users;
mod m20261130_000015_add_door_fields_to_visits;
mod m20261130_000016_create_visit_submissions;
mod m20261130_000017_create_visit_lines;
mod m20261130_000018_create_referrals;
mod m20261130_000019_create_visit_amendments;
mod m20261130_000020_create_service_types;
mod m20261130_000021_create_contracts;
mod m20261130_000022_create_contract_versions;
mod m20261130_000023_create_milestones_and_acceptances;
mod m20261130_000024_create_callbacks;
mod m20261130_000025_create_contract_documents;
mod m20261130_000026_create_fulfilment_totals;
mod m20261130_000027_create_payments;
mod m20261130_010100_create_job_runs;
mod m20261130_010200_add_unique_prev_hash_to_audit_logs;
mod m20261202_000028_add_version_to_visits;
mod m20261202_000030_hash_calendar_tokens;
mod m20261202_000031_keep_every_visit_signature;
mod m20261202_000032_mask_id_numbers_to_four_characters;
mod m20261202_000033_mark_public_text;
pub mod m20261202_000034_narrow_visit_status;
mod m20261202_000035_clear_late_of_missed_totals;
mod m20261202_000036_add_minutes_reason_to_visits;
mod m20261203_000037_registry_follows_contracts;
pub mod m20261203_000038_referrals_township_work;
mod m20261203_000039_index_months_by_count;
mod m20261204_000040_drop_months_count_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_townships::Migration),
            Box::new(m20261130_000002_create_villages::Migration),
            Box::new(m20261130_000003_create_organizations::Migration),
            Box::new(m20261130_000004_create_users::Migration),
            Box::new(m20261130_000005_create_official_townships::Migration),
            Box::new(m20261130_000006_create_audit_logs::Migration),
            Box::new(m20261130_000007_create_sign_in_failures::Migration),
            Box::new(m20261130_000008_create_households::Migration),
            Box::new(m20261130_000009_create_recipients::Migration),
            Box::new(m20261130_000010_create_recipient_status_changes::Migration),
            Box::new(m20261130_000011_create_recipient_imports::Migration),
            Box::new(m20261130_000012_create_service_plans::Migration),
            Box::new(m20261130_000013_create_visits::Migration),
            Box::new(m20261130_000014_add_calendar_token_to_users::Migration),
            Box::new(m20261130_000015_add_door_fields_to_visits::Migration),
            Box::new(m20261130_000016_create_visit_submissions::Migration),
            Box::new(m20261130_000017_create_visit_lines::Migration),
            Box::new(m20261130_000018_create_referrals::Migration),
            Box::new(m20261130_000019_create_visit_amendments::Migration),
            Box::new(m20261130_000020_create_service_types::Migration),
            Box::new(m20261130_000021_create_contracts::Migration),
            Box::new(m20261130_000022_create_contract_versions::Migration),
            Box::new(m20261130_000023_create_milestones_and_acceptances::Migration),
            Box::new(m20261130_000024_create_callbacks::Migration),
            Box::new(m20261130_000025_create_contract_documents::Migration),
            Box::new(m20261130_000026_create_fulfilment_totals::Migration),
            Box::new(m20261130_000027_create_payments::Migration),
            Box::new(m20261130_010100_create_job_runs::Migration),
            Box::new(m20261130_010200_add_unique_prev_hash_to_audit_logs::Migration),
            Box::new(m20261202_000028_add_version_to_visits::Migration),
            Box::new(m20261202_000030_hash_calendar_tokens::Migration),
            Box::new(m20261202_000031_keep_every_visit_signature::Migration),
            Box::new(m20261202_000032_mask_id_numbers_to_four_characters::Migration),
            Box::new(m20261202_000033_mark_public_text::Migration),
            Box::new(m20261202_000034_narrow_visit_status::Migration),
            Box::new(m20261202_000035_clear_late_of_missed_totals::Migration),
            Box::new(m20261202_000036_add_minutes_reason_to_visits::Migration),
            Box::new(m20261203_000037_registry_follows_contracts::Migration),
            Box::new(m20261203_000038_referrals_township_work::Migration),
            Box::new(m20261203_000039_index_months_by_count::Migration),
            Box::new(m20261204_000040_drop_months_count_index::Migration),
            // inject-above (do not remove this comment)
        ]
    }
}

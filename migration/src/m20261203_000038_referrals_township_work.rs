//! Referrals become the township's work (issue 16): an official is made
//! responsible for one (`assigned_to_id`), gives it a due date (`due_on`)
//! and closes it with an outcome and a note (`outcome`, `outcome_note`).
//! The old `action_note`, `closed_by_id` and `closed_at` stay: referrals
//! closed before keep their note, with no outcome.
//!
//! Each column is added on its own (SQLite alters one thing at a time); the
//! key to `users` is written on the column itself, which both SQLite and
//! PostgreSQL accept in `ADD COLUMN` (SQLite cannot add a table-level
//! foreign key to an existing table). The index serves the overdue query:
//! a township's open referrals due before a day.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The outcomes a closed referral may have, as
/// `doudi::domain::referral::ReferralOutcome` spells them (a test in the
/// app checks that the two lists agree).
pub const OUTCOMES: [&str; 6] = [
    "basic_living",
    "special",
    "emergency",
    "charity",
    "not_eligible",
    "no_action",
];

const TABLE: &str = "referrals";
const INDEX: [&str; 3] = ["township_id", "status", "due_on"];

fn columns() -> Vec<ColumnDef> {
    vec![
        big_int_null("assigned_to_id")
            .extra(
                "CONSTRAINT \"fk-referrals-assigned_to_id-to-users\" REFERENCES users (id) \
                 ON DELETE RESTRICT ON UPDATE NO ACTION",
            )
            .take(),
        ColumnDef::new(Alias::new("due_on")).date().null().take(),
        string_null("outcome")
            .check(Expr::col(Alias::new("outcome")).is_in(OUTCOMES))
            .take(),
        ColumnDef::new(Alias::new("outcome_note"))
            .text()
            .null()
            .take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in columns() {
            m.alter_table(Table::alter().table(Alias::new(TABLE)).add_column(c).take())
                .await?;
        }
        m.create_index(index(TABLE, &INDEX)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut drop = Index::drop();
        drop.name(format!("idx-{TABLE}-{}", INDEX.join("-")))
            .table(Alias::new(TABLE));
        m.drop_index(drop).await?;
        for c in ["outcome_note", "outcome", "due_on", "assigned_to_id"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(TABLE))
                    .drop_column(Alias::new(c))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}

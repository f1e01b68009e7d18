//! Amendments of contracts in force (合同变更): each a proposal with a
//! reason, approved (or rejected) by an official, kept as a version with
//! the terms it replaced.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("contract_versions");
        t.col(big_int("contract_id"))
            .col(big_int_null("version"))
            .col(string("status").default("pending"))
            .col(ColumnDef::new(Alias::new("reason")).text().not_null())
            .col(ColumnDef::new(Alias::new("effective_on")).date().not_null())
            .col(big_int("requested_by_id"))
            .col(big_int_null("decided_by_id"))
            .col(
                ColumnDef::new(Alias::new("decided_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(ColumnDef::new(Alias::new("decision_note")).text().null())
            .col(ColumnDef::new(Alias::new("proposal")).text().not_null())
            .col(ColumnDef::new(Alias::new("previous")).text().null())
            .check(col("status").is_in(["pending", "approved", "rejected"]))
            .foreign_key(&mut restrict_fk(
                "contract_versions",
                "contract_id",
                "contracts",
            ))
            .foreign_key(&mut restrict_fk(
                "contract_versions",
                "requested_by_id",
                "users",
            ))
            .foreign_key(&mut restrict_fk(
                "contract_versions",
                "decided_by_id",
                "users",
            ));
        m.create_table(t).await?;
        m.create_index(index("contract_versions", &["contract_id", "status"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("contract_versions")).take())
            .await
    }
}

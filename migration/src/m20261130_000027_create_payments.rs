//! Payments (拨付) under a contract: what the township paid the provider,
//! when, against which milestone, with the voucher's reference. OCDS
//! publishes them as the contract's implementation transactions.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("payments");
        t.col(big_int("contract_id"))
            .col(big_int_null("milestone_id"))
            .col(big_int("amount_fen"))
            .col(ColumnDef::new(Alias::new("paid_on")).date().not_null())
            .col(string("reference"))
            .col(ColumnDef::new(Alias::new("note")).text().null())
            .col(big_int("recorded_by_id"))
            .check(col("amount_fen").gt(0))
            .foreign_key(&mut restrict_fk("payments", "contract_id", "contracts"))
            .foreign_key(&mut restrict_fk("payments", "milestone_id", "milestones"))
            .foreign_key(&mut restrict_fk("payments", "recorded_by_id", "users"));
        m.create_table(t).await?;
        m.create_index(index("payments", &["contract_id", "paid_on"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("payments")).take())
            .await
    }
}

//! Satisfaction call-backs (满意度回访): completed visits of a contract
//! drawn at random; an official calls the recipient and records whether
//! they were reached and how satisfied they are.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("callbacks");
        t.col(big_int("contract_id"))
            .col(big_int("visit_id"))
            .col(string("status").default("pending"))
            .col(big_int_null("satisfaction"))
            .col(ColumnDef::new(Alias::new("note")).text().null())
            .col(big_int_null("called_by_id"))
            .col(
                ColumnDef::new(Alias::new("called_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .check(col("status").is_in(["pending", "reached", "unreachable"]))
            .foreign_key(&mut restrict_fk("callbacks", "contract_id", "contracts"))
            .foreign_key(&mut restrict_fk("callbacks", "visit_id", "visits"))
            .foreign_key(&mut restrict_fk("callbacks", "called_by_id", "users"));
        m.create_table(t).await?;
        m.create_index(
            index("callbacks", &["contract_id", "visit_id"])
                .unique()
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("callbacks")).take())
            .await
    }
}

//! Payment milestones (付款节点) of a contract and the acceptances
//! (履约验收) of its periods: an acceptance freezes the period's figures
//! as a snapshot, locks the period's visits, and meets a milestone.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let date = |n: &str| ColumnDef::new(Alias::new(n)).date().not_null().take();
        let mut t = entity_table("acceptances");
        t.col(big_int("contract_id"))
            .col(date("period_start"))
            .col(date("period_end"))
            .col(big_int("accepted_by_id"))
            .col(ColumnDef::new(Alias::new("note")).text().null())
            .col(ColumnDef::new(Alias::new("snapshot")).text().not_null())
            .col(big_int("locked_visits"))
            .foreign_key(&mut restrict_fk("acceptances", "contract_id", "contracts"))
            .foreign_key(&mut restrict_fk("acceptances", "accepted_by_id", "users"));
        m.create_table(t).await?;
        m.create_index(index("acceptances", &["contract_id", "period_end"]))
            .await?;

        let mut t = entity_table("milestones");
        t.col(big_int("contract_id"))
            .col(string("title"))
            .col(big_int("amount_fen"))
            .col(date("due_on"))
            .col(string("condition"))
            .col(big_int_null("condition_percent"))
            .col(string("status").default("scheduled"))
            .col(big_int_null("acceptance_id"))
            .check(col("condition").is_in(["delivery_percent", "accepted_period"]))
            .check(col("status").is_in(["scheduled", "met", "not_met", "partially_met"]))
            .check(col("amount_fen").gte(0))
            .foreign_key(&mut restrict_fk("milestones", "contract_id", "contracts"))
            .foreign_key(&mut restrict_fk(
                "milestones",
                "acceptance_id",
                "acceptances",
            ));
        m.create_table(t).await?;
        m.create_index(index("milestones", &["contract_id", "due_on"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["milestones", "acceptances"] {
            m.drop_table(Table::drop().table(Alias::new(t)).take())
                .await?;
        }
        Ok(())
    }
}

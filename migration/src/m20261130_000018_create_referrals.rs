//! A need seen at a visit that someone must act on (转介).
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("referrals");
        t.col(big_int("visit_id"))
            .col(big_int_null("recipient_id"))
            .col(big_int("household_id"))
            .col(big_int("organization_id"))
            .col(big_int("township_id"))
            .col(string("kind"))
            .col(ColumnDef::new(Alias::new("note")).text().not_null())
            .col(string("status").default("open"))
            .col(big_int_null("closed_by_id"))
            .col(
                ColumnDef::new(Alias::new("closed_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(ColumnDef::new(Alias::new("action_note")).text().null())
            .check(col("status").is_in(["open", "closed"]))
            .check(col("kind").is_in(["new_need", "health_risk", "housing", "benefit_change"]))
            .foreign_key(&mut restrict_fk("referrals", "visit_id", "visits"))
            .foreign_key(&mut restrict_fk("referrals", "recipient_id", "recipients"))
            .foreign_key(&mut restrict_fk("referrals", "household_id", "households"))
            .foreign_key(&mut restrict_fk(
                "referrals",
                "organization_id",
                "organizations",
            ))
            .foreign_key(&mut restrict_fk("referrals", "township_id", "townships"))
            .foreign_key(&mut restrict_fk("referrals", "closed_by_id", "users"));
        m.create_table(t).await?;
        for cols in [
            &["organization_id", "status"][..],
            &["township_id", "status"],
            &["visit_id"],
        ] {
            m.create_index(index("referrals", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("referrals")).take())
            .await
    }
}

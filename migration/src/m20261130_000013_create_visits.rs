use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn at(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("visits");
        t.col(big_int_null("plan_id"))
            .col(
                ColumnDef::new(Alias::new("occurrence_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(big_int("organization_id"))
            .col(big_int_null("recipient_id"))
            .col(big_int("household_id"))
            .col(big_int("township_id"))
            .col(big_int_null("worker_id"))
            .col(at("starts_at"))
            .col(at("ends_at"))
            .col(string("tzid").default("Asia/Shanghai"))
            .col(string("status").default("scheduled"))
            .col(
                ColumnDef::new(Alias::new("exception"))
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(string_null("cancel_reason"))
            .check(Expr::col(Alias::new("status")).is_in([
                "scheduled",
                "in_progress",
                "completed",
                "attempted",
                "refused",
                "cancelled",
                "missed",
                "accepted",
            ]))
            .foreign_key(&mut restrict_fk("visits", "plan_id", "service_plans"))
            .foreign_key(&mut restrict_fk(
                "visits",
                "organization_id",
                "organizations",
            ))
            .foreign_key(&mut restrict_fk("visits", "recipient_id", "recipients"))
            .foreign_key(&mut restrict_fk("visits", "household_id", "households"))
            .foreign_key(&mut restrict_fk("visits", "township_id", "townships"))
            .foreign_key(&mut restrict_fk("visits", "worker_id", "users"));
        m.create_table(t).await?;
        // One visit per plan occurrence, whoever materialises it.
        m.create_index(
            index("visits", &["plan_id", "occurrence_at"])
                .unique()
                .take(),
        )
        .await?;
        for cols in [
            &["worker_id", "starts_at"][..],
            &["recipient_id", "starts_at"],
            &["household_id", "starts_at"],
            &["organization_id", "starts_at"],
            &["township_id", "starts_at"],
        ] {
            m.create_index(index("visits", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("visits")).take())
            .await
    }
}

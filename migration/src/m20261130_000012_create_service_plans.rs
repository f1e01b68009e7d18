use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("service_plans");
        t.col(big_int("organization_id"))
            .col(big_int_null("recipient_id"))
            .col(big_int("household_id"))
            .col(big_int("township_id"))
            .col(big_int_null("worker_id"))
            .col(big_int_null("backup_worker_id"))
            .col(string("services"))
            .col(big_int("duration_minutes"))
            .col(string("tzid").default("Asia/Shanghai"))
            .col(string("dtstart"))
            .col(string_null("rrule"))
            .col(
                ColumnDef::new(Alias::new("exdates"))
                    .text()
                    .not_null()
                    .default(""),
            )
            .col(
                ColumnDef::new(Alias::new("rdates"))
                    .text()
                    .not_null()
                    .default(""),
            )
            .col(string("status").default("active"))
            .col(big_int_null("split_from_id"))
            .col(
                ColumnDef::new(Alias::new("materialised_until"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .check(col("status").is_in(["active", "ended"]))
            .check(col("duration_minutes").between(5, 720))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "organization_id",
                "organizations",
            ))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "recipient_id",
                "recipients",
            ))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "household_id",
                "households",
            ))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "township_id",
                "townships",
            ))
            .foreign_key(&mut restrict_fk("service_plans", "worker_id", "users"))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "backup_worker_id",
                "users",
            ))
            .foreign_key(&mut restrict_fk(
                "service_plans",
                "split_from_id",
                "service_plans",
            ));
        m.create_table(t).await?;
        for cols in [
            &["organization_id", "status"][..],
            &["recipient_id"],
            &["household_id"],
            &["worker_id"],
            &["status", "materialised_until"],
        ] {
            m.create_index(index("service_plans", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("service_plans")).take())
            .await
    }
}

//! Corrections of a logged visit: each one an amendment with a reason,
//! keeping the record as it was before; `visits.locked_at` is set when the
//! visit's period is accepted, after which nothing changes.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("visit_amendments");
        t.col(big_int("visit_id"))
            .col(big_int("user_id"))
            .col(ColumnDef::new(Alias::new("reason")).text().not_null())
            .col(ColumnDef::new(Alias::new("before")).text().not_null())
            .col(ColumnDef::new(Alias::new("after")).text().not_null())
            .foreign_key(&mut restrict_fk("visit_amendments", "visit_id", "visits"))
            .foreign_key(&mut restrict_fk("visit_amendments", "user_id", "users"));
        m.create_table(t).await?;
        m.create_index(index("visit_amendments", &["visit_id"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .add_column(
                    ColumnDef::new(Alias::new("locked_at"))
                        .timestamp_with_time_zone()
                        .null(),
                )
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .drop_column(Alias::new("locked_at"))
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table(Alias::new("visit_amendments")).take())
            .await
    }
}

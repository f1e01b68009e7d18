//! Why a completed visit logged more service minutes than the time
//! between its check-in and check-out (issue 15): asked for only then, and
//! shown on the visit's record.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .add_column(ColumnDef::new(Alias::new("minutes_reason")).text().null())
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .drop_column(Alias::new("minutes_reason"))
                .take(),
        )
        .await
    }
}

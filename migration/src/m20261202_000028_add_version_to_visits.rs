//! A visit's version: every change of a visit's state is a conditional
//! UPDATE on the version it was decided on, so of two writers racing on
//! one visit, exactly one wins and the other is told the visit changed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .add_column(
                    ColumnDef::new(Alias::new("version"))
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("visits"))
                .drop_column(Alias::new("version"))
                .take(),
        )
        .await
    }
}

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("users"))
                .add_column(ColumnDef::new(Alias::new("calendar_token")).string().null())
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-users-calendar_token")
                .table(Alias::new("users"))
                .col(Alias::new("calendar_token"))
                .unique()
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut drop = Index::drop();
        drop.name("idx-users-calendar_token")
            .table(Alias::new("users"));
        m.drop_index(drop).await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("users"))
                .drop_column(Alias::new("calendar_token"))
                .take(),
        )
        .await
    }
}

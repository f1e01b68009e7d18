use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row per failed sign-in, keyed by account (`email:...`) and by address
/// (`ip:...`), so every app process sees the same counts.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create()
            .table(Alias::new("sign_in_failures"))
            .if_not_exists()
            .take();
        t.col(
            ColumnDef::new(Alias::new("id"))
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(string("throttle_key"))
        .col(
            ColumnDef::new(Alias::new("created_at"))
                .timestamp_with_time_zone()
                .not_null(),
        );
        m.create_table(t).await?;
        m.create_index(index("sign_in_failures", &["throttle_key", "created_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("sign_in_failures")).take())
            .await
    }
}

//! Each submission from a phone carries a client-generated id; the server
//! accepts it once and answers a repeat with the first result.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(Alias::new("visit_submissions"))
            .if_not_exists()
            .col(
                ColumnDef::new(Alias::new("id"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Alias::new("client_id"))
                    .uuid()
                    .not_null()
                    .unique_key(),
            )
            .col(big_int("user_id"))
            .col(big_int("visit_id"))
            .col(string("action"))
            .col(big_int("status_code"))
            .col(ColumnDef::new(Alias::new("response")).text().not_null())
            .col(
                ColumnDef::new(Alias::new("created_at"))
                    .timestamp_with_time_zone()
                    .not_null()
                    .default(Expr::current_timestamp()),
            )
            .foreign_key(&mut restrict_fk("visit_submissions", "user_id", "users"))
            .foreign_key(&mut restrict_fk("visit_submissions", "visit_id", "visits"));
        m.create_table(t).await?;
        m.create_index(index("visit_submissions", &["visit_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("visit_submissions")).take())
            .await
    }
}

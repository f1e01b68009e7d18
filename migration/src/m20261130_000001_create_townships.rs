use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("townships");
        t.col(string("name"))
            .col(string("code").unique_key())
            .col(big_int("population"))
            .check(Expr::col(Alias::new("population")).gte(0));
        m.create_table(t).await?;
        m.create_index(index("townships", &["name"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("townships")).take())
            .await
    }
}

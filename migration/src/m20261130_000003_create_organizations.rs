use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("organizations");
        t.col(string("name"))
            .col(string("kind"))
            .col(string("credit_code").unique_key())
            .check(Expr::col(Alias::new("kind")).is_in(["social_work", "charity", "government"]));
        m.create_table(t).await?;
        m.create_index(index("organizations", &["name"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("organizations")).take())
            .await
    }
}

use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("villages");
        t.col(big_int("township_id"))
            .col(string("name"))
            .col(string_null("code").unique_key())
            .foreign_key(&mut restrict_fk("villages", "township_id", "townships"));
        m.create_table(t).await?;
        let mut unique = index("villages", &["township_id", "name"]);
        unique.unique();
        m.create_index(unique).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("villages")).take())
            .await
    }
}

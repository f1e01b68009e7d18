use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("households");
        t.col(big_int("township_id"))
            .col(big_int("village_id"))
            .col(big_int_null("organization_id"))
            .col(string("address"))
            .col(string_null("phone"))
            .col(string("assistance_status").default("none"))
            .col(ColumnDef::new(Alias::new("status_since")).date().null())
            .col(ColumnDef::new(Alias::new("status_until")).date().null())
            .check(Expr::col(Alias::new("assistance_status")).is_in([
                "dibao",
                "tekun",
                "low_income",
                "none",
            ]))
            .foreign_key(&mut restrict_fk("households", "township_id", "townships"))
            .foreign_key(&mut restrict_fk("households", "village_id", "villages"))
            .foreign_key(&mut restrict_fk(
                "households",
                "organization_id",
                "organizations",
            ));
        m.create_table(t).await?;
        m.create_index(index("households", &["township_id", "village_id"]))
            .await?;
        m.create_index(index("households", &["village_id"])).await?;
        m.create_index(index("households", &["organization_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("households")).take())
            .await
    }
}

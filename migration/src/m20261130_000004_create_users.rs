use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("users");
        t.col(string("email").unique_key())
            .col(string("password"))
            .col(string("api_key").unique_key())
            .col(string("name"))
            .col(string_null("phone"))
            .col(string("role"))
            .col(big_int_null("organization_id"))
            .col(
                ColumnDef::new(Alias::new("volunteer"))
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(
                ColumnDef::new(Alias::new("active"))
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(string_null("locale"))
            .col(
                ColumnDef::new(Alias::new("token_version"))
                    .big_integer()
                    .not_null()
                    .default(0),
            )
            .check(Expr::col(Alias::new("role")).is_in([
                "admin",
                "official",
                "coordinator",
                "worker",
            ]))
            .foreign_key(&mut restrict_fk(
                "users",
                "organization_id",
                "organizations",
            ));
        m.create_table(t).await?;
        m.create_index(index("users", &["organization_id", "role"]))
            .await?;
        m.create_index(index("users", &["role", "name"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("users")).take())
            .await
    }
}

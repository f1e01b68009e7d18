//! Procurement contracts (合同): what a township bought from a provider —
//! content, term, quantity, quality, price, settlement and liability — its
//! line items (合同服务项目) and the recipients it covers.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().take()
}

fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("contracts");
        t.col(big_int("township_id"))
            .col(big_int("organization_id"))
            .col(
                ColumnDef::new(Alias::new("code"))
                    .string()
                    .not_null()
                    .unique_key(),
            )
            .col(string("title"))
            .col(string("procurement_method"))
            .col(date("signed_on"))
            .col(date("starts_on"))
            .col(date("ends_on"))
            .col(big_int("total_fen"))
            .col(string("status").default("draft"))
            .col(text_null("content"))
            .col(text_null("quality"))
            .col(text_null("settlement"))
            .col(text_null("liability"))
            .col(big_int_null("min_visits_per_month"))
            .col(big_int_null("min_visit_minutes"))
            .col(big_int_null("max_late_percent"))
            .col(big_int("version").default(1))
            .check(col("status").is_in(["draft", "active", "closed"]))
            .check(col("total_fen").gte(0))
            .foreign_key(&mut restrict_fk("contracts", "township_id", "townships"))
            .foreign_key(&mut restrict_fk(
                "contracts",
                "organization_id",
                "organizations",
            ));
        m.create_table(t).await?;
        for cols in [
            &["township_id", "status"][..],
            &["organization_id", "status"],
        ] {
            m.create_index(index("contracts", cols)).await?;
        }

        let mut t = entity_table("contract_items");
        t.col(big_int("contract_id"))
            .col(big_int("position"))
            .col(string_null("service"))
            .col(string_null("material_category"))
            .col(string("unit"))
            .col(big_int("quantity_milli"))
            .col(big_int("unit_price_fen"))
            .col(big_int_null("min_minutes"))
            .check(col("unit").is_in(["visit", "hour", "session", "item", "yuan"]))
            .check(col("quantity_milli").gt(0))
            .check(col("unit_price_fen").gte(0))
            .foreign_key(&mut restrict_fk(
                "contract_items",
                "contract_id",
                "contracts",
            ));
        m.create_table(t).await?;
        m.create_index(index("contract_items", &["contract_id", "position"]))
            .await?;

        let mut t = Table::create();
        t.table(Alias::new("contract_recipients"))
            .if_not_exists()
            .col(
                ColumnDef::new(Alias::new("id"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(big_int("contract_id"))
            .col(big_int("recipient_id"))
            .col(
                ColumnDef::new(Alias::new("created_at"))
                    .timestamp_with_time_zone()
                    .not_null()
                    .default(Expr::current_timestamp()),
            )
            .foreign_key(&mut restrict_fk(
                "contract_recipients",
                "contract_id",
                "contracts",
            ))
            .foreign_key(&mut restrict_fk(
                "contract_recipients",
                "recipient_id",
                "recipients",
            ));
        m.create_table(t).await?;
        m.create_index(
            index("contract_recipients", &["contract_id", "recipient_id"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index("contract_recipients", &["recipient_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["contract_recipients", "contract_items", "contracts"] {
            m.drop_table(Table::drop().table(Alias::new(t)).take())
                .await?;
        }
        Ok(())
    }
}

//! What a visit delivered: service lines (type, minutes) and material
//! lines (item, category, quantity, unit, value in fen, funding source).
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id() -> ColumnDef {
    ColumnDef::new(Alias::new("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

fn created() -> ColumnDef {
    ColumnDef::new(Alias::new("created_at"))
        .timestamp_with_time_zone()
        .not_null()
        .default(Expr::current_timestamp())
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = Table::create();
        t.table(Alias::new("visit_service_lines"))
            .col(id())
            .col(big_int("visit_id"))
            .col(string("service"))
            .col(big_int("minutes"))
            .col(created())
            .check(col("minutes").between(1, 720))
            .foreign_key(&mut restrict_fk(
                "visit_service_lines",
                "visit_id",
                "visits",
            ));
        m.create_table(t).await?;
        m.create_index(index("visit_service_lines", &["visit_id"]))
            .await?;
        let mut t = Table::create();
        t.table(Alias::new("visit_material_lines"))
            .col(id())
            .col(big_int("visit_id"))
            .col(string("item"))
            .col(string("category"))
            .col(big_int("quantity_milli"))
            .col(string("unit"))
            .col(big_int("value_fen"))
            .col(string("funding"))
            .col(string_null("donor"))
            .col(created())
            .check(col("quantity_milli").gt(0))
            .check(col("value_fen").gte(0))
            .check(col("funding").is_in(["contract", "donation"]))
            .check(col("category").is_in([
                "cash",
                "food",
                "clothing",
                "medicine",
                "daily_goods",
                "other",
            ]))
            .foreign_key(&mut restrict_fk(
                "visit_material_lines",
                "visit_id",
                "visits",
            ));
        m.create_table(t).await?;
        m.create_index(index("visit_material_lines", &["visit_id"]))
            .await?;
        let mut t = Table::create();
        t.table(Alias::new("visit_signatures"))
            .col(id())
            .col(
                ColumnDef::new(Alias::new("visit_id"))
                    .big_integer()
                    .not_null()
                    .unique_key(),
            )
            .col(string("content_type"))
            .col(ColumnDef::new(Alias::new("data")).binary().not_null())
            .col(created())
            .foreign_key(&mut restrict_fk("visit_signatures", "visit_id", "visits"));
        m.create_table(t).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "visit_signatures",
            "visit_material_lines",
            "visit_service_lines",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).take())
                .await?;
        }
        Ok(())
    }
}

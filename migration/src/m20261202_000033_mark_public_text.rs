//! Free text reaches the public outputs (the public acceptance pack and
//! the OCDS release) only when its author marked it public when writing
//! it: an acceptance's note and an amendment's reason each get a
//! `public` flag, false for everything written before.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose free text may be published.
const TABLES: [&str; 2] = ["acceptances", "contract_versions"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .add_column(
                        ColumnDef::new(Alias::new("public"))
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .drop_column(Alias::new("public"))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}

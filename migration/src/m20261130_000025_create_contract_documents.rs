//! Documents of a contract (the signed contract, tender papers,
//! acceptance minutes): files kept in Loco storage, described here.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("contract_documents");
        t.col(big_int("contract_id"))
            .col(string("kind"))
            .col(string("file_name"))
            .col(string("content_type"))
            .col(big_int("size"))
            .col(string("storage_key"))
            .col(big_int("uploaded_by_id"))
            .check(col("kind").is_in(["contract", "tender", "acceptance", "other"]))
            .foreign_key(&mut restrict_fk(
                "contract_documents",
                "contract_id",
                "contracts",
            ))
            .foreign_key(&mut restrict_fk(
                "contract_documents",
                "uploaded_by_id",
                "users",
            ));
        m.create_table(t).await?;
        m.create_index(index("contract_documents", &["contract_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("contract_documents")).take())
            .await
    }
}

//! The audit chain cannot fork: no two entries may follow the same one.
//! Writers already serialise on a lock (`audit_logs::lock_chain`); this is
//! the storage backstop, so that a writer that ever bypasses the lock fails
//! instead of silently linking a second entry to the same predecessor.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("audit_logs", &["prev_hash"]).unique().take())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx-audit_logs-prev_hash")
                .table(Alias::new("audit_logs"))
                .to_owned(),
        )
        .await
    }
}

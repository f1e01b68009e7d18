//! Drops the covering index migration 39 added on `fulfilment_months
//! (contract_id, month, completed, recipient_id)`. It made the fulfilment
//! report's compliance count run on the index alone, but `completed` is
//! the column every counted visit changes, so each submission moved an
//! entry in it as well (measured: about 0.7 ms more per submission at the
//! median at 100/s on SQLite; on PostgreSQL it also rules out HOT
//! updates). The count now reads the unique `(contract_id, month,
//! recipient_id)` index and the rows it points to; README → Benchmarks
//! gives both figures.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "fulfilment_months";
const INDEX: [&str; 4] = ["contract_id", "month", "completed", "recipient_id"];

fn name() -> String {
    format!("idx-{TABLE}-{}", INDEX.join("-"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut drop = Index::drop();
        drop.name(name()).table(Alias::new(TABLE)).if_exists();
        m.drop_index(drop).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut idx = Index::create();
        idx.name(name()).table(Alias::new(TABLE)).if_not_exists();
        for c in INDEX {
            idx.col(Alias::new(c));
        }
        m.create_index(idx).await
    }
}

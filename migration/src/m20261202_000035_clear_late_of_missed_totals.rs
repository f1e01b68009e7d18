//! A missed visit is missed, not also late: the kept status rows of
//! missed visits (`fulfilment_days`, kind `status`, key `missed`) carry no
//! late count any more. The counting rule (`domain::counting::Totals::add`
//! with `VisitStatus::may_count_late`) now writes 0 there, and this clears
//! what it wrote before, so that kept totals equal a rebuild again.
//! Visits keep their own `late` flag (history is never deleted): a missed
//! visit logged later counts as late when it was.
//!
//! `down` changes nothing: the old counts cannot be told apart, and a
//! rebuild under the old rule would restore them.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE fulfilment_days SET late = 0 \
                 WHERE kind = 'status' AND key = 'missed' AND late <> 0",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

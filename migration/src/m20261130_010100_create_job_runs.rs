//! Scheduled jobs claim their run here first: several processes each run
//! the scheduler, and the one whose insert of (job, slot) succeeds does the
//! work; the others skip. Also the record of when each job last ran.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn at(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table(Alias::new("job_runs"))
            .col(
                ColumnDef::new(Alias::new("id"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(string("job"))
            .col(at("slot"))
            .col(string("runner"))
            .col(at("started_at"))
            .col(
                ColumnDef::new(Alias::new("finished_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(ColumnDef::new(Alias::new("outcome")).text().null())
            .take();
        m.create_table(t).await?;
        // One run per job and slot, whichever process inserts it first.
        m.create_index(index("job_runs", &["job", "slot"]).unique().take())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("job_runs")).take())
            .await
    }
}

use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The audit log is append-only: the database itself refuses UPDATE and
/// DELETE, so that only someone able to drop the trigger can edit it, and
/// `audit:verify` then finds the broken hash chain.
const SQLITE_GUARDS: [&str; 2] = [
    "CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs \
     BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END",
    "CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs \
     BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END",
];
const POSTGRES_GUARDS: [&str; 2] = [
    "CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger AS $$ \
     BEGIN RAISE EXCEPTION 'audit_logs is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs \
     FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create()
            .table(Alias::new("audit_logs"))
            .if_not_exists()
            .take();
        t.col(
            ColumnDef::new(Alias::new("id"))
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Alias::new("created_at"))
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(big_int_null("actor_id"))
        .col(string("actor_label"))
        .col(string("action"))
        .col(string("entity"))
        .col(ColumnDef::new(Alias::new("entity_pid")).uuid().null())
        .col(ColumnDef::new(Alias::new("changes")).text().not_null())
        .col(string_null("request_id"))
        .col(string_null("ip"))
        .col(string("prev_hash"))
        .col(string("hash").unique_key());
        m.create_table(t).await?;
        m.create_index(index("audit_logs", &["entity", "entity_pid"]))
            .await?;
        m.create_index(index("audit_logs", &["actor_id", "id"]))
            .await?;
        m.create_index(index("audit_logs", &["action", "id"]))
            .await?;
        let db = m.get_connection();
        let guards: &[&str] = match db.get_database_backend() {
            DatabaseBackend::Postgres => &POSTGRES_GUARDS,
            _ => &SQLITE_GUARDS,
        };
        for sql in guards {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("audit_logs")).take())
            .await?;
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_logs_append_only()")
                .await?;
        }
        Ok(())
    }
}

//! A visit keeps every signature it was given: a correction that brings a
//! new one keeps the original beside it (the newest is the current one).
//! `visit_id` stops being unique and gets a plain index instead. SQLite
//! cannot drop a column's UNIQUE, so there the table is rebuilt.
//!
//! `down` keeps only the newest signature of each visit.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx-visit_signatures-visit_id";

async fn rebuild_sqlite(m: &SchemaManager<'_>, unique: bool) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_unprepared("ALTER TABLE visit_signatures RENAME TO visit_signatures_old")
        .await?;
    let mut visit_id = ColumnDef::new(Alias::new("visit_id"));
    visit_id.big_integer().not_null();
    if unique {
        visit_id.unique_key();
    }
    m.create_table(
        Table::create()
            .table(Alias::new("visit_signatures"))
            .col(
                ColumnDef::new(Alias::new("id"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(visit_id)
            .col(
                ColumnDef::new(Alias::new("content_type"))
                    .string()
                    .not_null(),
            )
            .col(ColumnDef::new(Alias::new("data")).binary().not_null())
            .col(
                ColumnDef::new(Alias::new("created_at"))
                    .timestamp_with_time_zone()
                    .not_null()
                    .default(Expr::current_timestamp()),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk-visit_signatures-visit_id-to-visits")
                    .from(Alias::new("visit_signatures"), Alias::new("visit_id"))
                    .to(Alias::new("visits"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Restrict)
                    .on_update(ForeignKeyAction::NoAction),
            )
            .take(),
    )
    .await?;
    db.execute_unprepared(
        "INSERT INTO visit_signatures (id, visit_id, content_type, data, created_at) \
         SELECT id, visit_id, content_type, data, created_at FROM visit_signatures_old",
    )
    .await?;
    db.execute_unprepared("DROP TABLE visit_signatures_old")
        .await?;
    Ok(())
}

async fn keep_newest_only(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.get_connection()
        .execute_unprepared(
            "DELETE FROM visit_signatures WHERE id NOT IN \
             (SELECT MAX(id) FROM visit_signatures GROUP BY visit_id)",
        )
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            rebuild_sqlite(m, false).await?;
        } else {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE visit_signatures DROP CONSTRAINT visit_signatures_visit_id_key",
                )
                .await?;
        }
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(Alias::new("visit_signatures"))
                .col(Alias::new("visit_id"))
                .col(Alias::new("id"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        keep_newest_only(m).await?;
        let mut drop = Index::drop();
        drop.name(INDEX).table(Alias::new("visit_signatures"));
        m.drop_index(drop).await?;
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            rebuild_sqlite(m, true).await
        } else {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE visit_signatures ADD CONSTRAINT \
                     visit_signatures_visit_id_key UNIQUE (visit_id)",
                )
                .await?;
            Ok(())
        }
    }
}

use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn counter(name: &str) -> ColumnDef {
    big_int(name).default(0).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("recipient_imports");
        t.col(big_int("user_id"))
            .col(big_int_null("organization_id"))
            .col(big_int("township_id"))
            .col(string("roster"))
            .col(string("file_name"))
            .col(string("state"))
            .col(counter("total_rows"))
            .col(counter("processed_rows"))
            .col(counter("new_count"))
            .col(counter("updated_count"))
            .col(counter("unchanged_count"))
            .col(counter("rejected_count"))
            .col(counter("vanished_count"))
            .col(string_null("error"))
            .col(
                ColumnDef::new(Alias::new("applied_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .check(
                Expr::col(Alias::new("state"))
                    .is_in(["checking", "checked", "applying", "applied", "failed"]),
            )
            .foreign_key(&mut restrict_fk("recipient_imports", "user_id", "users"))
            .foreign_key(&mut restrict_fk(
                "recipient_imports",
                "organization_id",
                "organizations",
            ))
            .foreign_key(&mut restrict_fk(
                "recipient_imports",
                "township_id",
                "townships",
            ));
        m.create_table(t).await?;
        m.create_index(index("recipient_imports", &["user_id", "id"]))
            .await?;
        m.create_index(index("recipient_imports", &["organization_id", "id"]))
            .await?;
        // The uploaded file and the dry run's report, apart from the small
        // row that the progress page polls.
        let files = Table::create()
            .table(Alias::new("recipient_import_files"))
            .col(
                ColumnDef::new(Alias::new("import_id"))
                    .big_integer()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(Alias::new("content")).binary().not_null())
            .col(ColumnDef::new(Alias::new("report")).text().null())
            .foreign_key(
                &mut ForeignKey::create()
                    .name("fk-recipient_import_files-import_id-to-recipient_imports")
                    .from(
                        Alias::new("recipient_import_files"),
                        Alias::new("import_id"),
                    )
                    .to(Alias::new("recipient_imports"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade)
                    .take(),
            )
            .take();
        m.create_table(files).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Alias::new("recipient_import_files"))
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table(Alias::new("recipient_imports")).take())
            .await
    }
}

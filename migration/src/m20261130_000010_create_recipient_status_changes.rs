use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("recipient_status_changes");
        t.col(big_int("recipient_id"))
            .col(string_null("from_status"))
            .col(string("to_status"))
            .col(string_null("reason"))
            .col(ColumnDef::new(Alias::new("effective_on")).date().not_null())
            .col(big_int_null("user_id"))
            .col(string("actor_label"))
            .check(col("to_status").is_in(["active", "suspended", "exited"]))
            .foreign_key(&mut restrict_fk(
                "recipient_status_changes",
                "recipient_id",
                "recipients",
            ))
            .foreign_key(&mut restrict_fk(
                "recipient_status_changes",
                "user_id",
                "users",
            ));
        m.create_table(t).await?;
        m.create_index(index("recipient_status_changes", &["recipient_id", "id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Alias::new("recipient_status_changes"))
                .take(),
        )
        .await
    }
}

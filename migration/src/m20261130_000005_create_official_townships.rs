use crate::helpers::*;
use loco_rs::schema::table_auto_tz;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = table_auto_tz(Alias::new("official_townships"));
        t.col(big_int("user_id"))
            .col(big_int("township_id"))
            .primary_key(
                Index::create()
                    .col(Alias::new("user_id"))
                    .col(Alias::new("township_id")),
            )
            .foreign_key(
                &mut restrict_fk("official_townships", "user_id", "users")
                    .on_delete(ForeignKeyAction::Cascade)
                    .take(),
            )
            .foreign_key(&mut restrict_fk(
                "official_townships",
                "township_id",
                "townships",
            ));
        m.create_table(t).await?;
        m.create_index(index("official_townships", &["township_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("official_townships")).take())
            .await
    }
}

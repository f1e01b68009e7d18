//! The registry is the township's; providers reach people through their
//! contracts (issue 16).
//!
//! - `recipients.registry`: `registered` (on the township's roster),
//!   `proposed` (found by a provider in outreach, waiting for the
//!   township's official) or `declined`.
//! - `proposals`: who proposed whom, and the township's decision. The
//!   organisation that registered each existing person (`organization_id`)
//!   becomes a confirmed proposal of that organisation, so the history is
//!   kept; the column stays as "proposed by".
//! - `contracts.closed_on`: the day a contract was closed early (access
//!   and coverage end there); existing closed contracts take the day of
//!   their last change.
//! - `contract_recipients.reason`: why a contract covers a person
//!   registered in another township (temporary residence, an emergency).
use crate::helpers::*;
use sea_orm_migration::{
    prelude::*,
    sea_orm::{prelude::Uuid, ConnectionTrait, Statement},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const REGISTRY: [&str; 3] = ["registered", "proposed", "declined"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        m.alter_table(
            Table::alter()
                .table(Alias::new("recipients"))
                .add_column(
                    ColumnDef::new(Alias::new("registry"))
                        .string()
                        .not_null()
                        .default("registered")
                        .check(col("registry").is_in(REGISTRY)),
                )
                .take(),
        )
        .await?;
        m.create_index(index("recipients", &["organization_id", "registry"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("contracts"))
                .add_column(ColumnDef::new(Alias::new("closed_on")).date().null())
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("contract_recipients"))
                .add_column(ColumnDef::new(Alias::new("reason")).text().null())
                .take(),
        )
        .await?;

        let mut t = entity_table("proposals");
        t.col(big_int("recipient_id"))
            .col(big_int("organization_id"))
            .col(big_int("township_id"))
            .col(big_int_null("proposed_by_id"))
            .col(string("status").default("pending"))
            .col(big_int_null("decided_by_id"))
            .col(
                ColumnDef::new(Alias::new("decided_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(ColumnDef::new(Alias::new("decision_note")).text().null())
            .check(col("status").is_in(["pending", "confirmed", "declined"]))
            .foreign_key(&mut restrict_fk("proposals", "recipient_id", "recipients"))
            .foreign_key(&mut restrict_fk(
                "proposals",
                "organization_id",
                "organizations",
            ))
            .foreign_key(&mut restrict_fk("proposals", "township_id", "townships"))
            .foreign_key(&mut restrict_fk("proposals", "proposed_by_id", "users"))
            .foreign_key(&mut restrict_fk("proposals", "decided_by_id", "users"));
        m.create_table(t).await?;
        for cols in [
            &["township_id", "status"][..],
            &["organization_id", "status"],
            &["recipient_id"],
        ] {
            m.create_index(index("proposals", cols)).await?;
        }

        let db = m.get_connection();
        let backend = m.get_database_backend();
        // Closed contracts: the day of their last change.
        db.execute_raw(Statement::from_string(
            backend,
            match backend {
                sea_orm::DatabaseBackend::Postgres => {
                    "UPDATE contracts SET closed_on = (updated_at AT TIME ZONE 'UTC')::date \
                     WHERE status = 'closed'"
                }
                _ => "UPDATE contracts SET closed_on = date(updated_at) WHERE status = 'closed'",
            }
            .to_string(),
        ))
        .await?;
        // "Registered by" becomes a confirmed proposal, decided when the
        // person was registered.
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, organization_id, township_id, created_at FROM recipients \
                 WHERE organization_id IS NOT NULL ORDER BY id"
                    .to_string(),
            ))
            .await?;
        for chunk in rows.chunks(500) {
            let mut insert = Query::insert();
            insert.into_table(Alias::new("proposals")).columns([
                Alias::new("pid"),
                Alias::new("recipient_id"),
                Alias::new("organization_id"),
                Alias::new("township_id"),
                Alias::new("status"),
                Alias::new("decided_at"),
                Alias::new("created_at"),
                Alias::new("updated_at"),
            ]);
            for row in chunk {
                let id: i64 = row.try_get("", "id")?;
                let org: i64 = row.try_get("", "organization_id")?;
                let town: i64 = row.try_get("", "township_id")?;
                let at: sea_orm::prelude::DateTimeWithTimeZone = row.try_get("", "created_at")?;
                insert
                    .values([
                        Uuid::new_v4().into(),
                        id.into(),
                        org.into(),
                        town.into(),
                        "confirmed".into(),
                        at.into(),
                        at.into(),
                        at.into(),
                    ])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            m.exec_stmt(insert).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("proposals")).take())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("contract_recipients"))
                .drop_column(Alias::new("reason"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("contracts"))
                .drop_column(Alias::new("closed_on"))
                .take(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx-recipients-organization_id-registry")
                .table(Alias::new("recipients"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("recipients"))
                .drop_column(Alias::new("registry"))
                .take(),
        )
        .await
    }
}

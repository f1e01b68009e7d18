//! Fulfilment kept as it happens: coverage gets the days it runs from and
//! to (an amendment covers or releases a recipient from its effective
//! day), and two tables hold each contract's totals, per day and per
//! recipient-month, so that a contract's fulfilment page sums hundreds of
//! rows instead of a hundred thousand visits. They are derived data: a
//! write to a visit refreshes its day, a change of the contract rebuilds
//! the contract, and `fulfilment:rebuild` rebuilds them all.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn coverage() -> Vec<ColumnDef> {
    ["covered_from", "covered_until"]
        .iter()
        .map(|n| ColumnDef::new(Alias::new(*n)).date().null().take())
        .collect()
}

fn id() -> ColumnDef {
    ColumnDef::new(Alias::new("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for mut c in coverage() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("contract_recipients"))
                    .add_column(&mut c)
                    .take(),
            )
            .await?;
        }
        // One row per contract, day (display zone) and figure: `kind` is
        // `item` (key: an item's signature; n: visits, minutes, lines,
        // thousandths or fen), `status` (key: the outcome; n, late,
        // exceptions) or `funding` (key: the funding, donor ('' for none); n: fen).
        let mut t = Table::create();
        t.table(Alias::new("fulfilment_days"))
            .if_not_exists()
            .col(id())
            .col(big_int("contract_id"))
            .col(ColumnDef::new(Alias::new("day")).date().not_null())
            .col(string("kind"))
            .col(string("key"))
            .col(string("donor").default(""))
            .col(big_int("n").default(0))
            .col(big_int("late").default(0))
            .col(big_int("exceptions").default(0))
            .foreign_key(&mut restrict_fk(
                "fulfilment_days",
                "contract_id",
                "contracts",
            ));
        m.create_table(t.take()).await?;
        // One row per figure: a logged visit adds to it in place.
        m.create_index(
            index(
                "fulfilment_days",
                &["contract_id", "day", "kind", "key", "donor"],
            )
            .unique()
            .take(),
        )
        .await?;
        // Completed visits of a covered recipient in a calendar month that
        // meet the minimum length then in force.
        let mut t = Table::create();
        t.table(Alias::new("fulfilment_months"))
            .if_not_exists()
            .col(id())
            .col(big_int("contract_id"))
            .col(big_int("recipient_id"))
            .col(string("month"))
            .col(big_int("completed").default(0))
            .foreign_key(&mut restrict_fk(
                "fulfilment_months",
                "contract_id",
                "contracts",
            ));
        m.create_table(t.take()).await?;
        m.create_index(
            index(
                "fulfilment_months",
                &["contract_id", "month", "recipient_id"],
            )
            .unique()
            .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["fulfilment_months", "fulfilment_days"] {
            m.drop_table(Table::drop().table(Alias::new(t)).take())
                .await?;
        }
        for c in coverage().iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("contract_recipients"))
                    .drop_column(Alias::new(c.get_column_name()))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}

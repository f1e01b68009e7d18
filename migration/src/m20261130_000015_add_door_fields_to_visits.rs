//! What happens at the door: check-in (server and device time, location,
//! distance to the home, or a reason for its absence), check-out, notes,
//! the recipient's confirmation, late and ad-hoc flags, who submitted.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn columns() -> Vec<ColumnDef> {
    let at = |n: &str| {
        ColumnDef::new(Alias::new(n))
            .timestamp_with_time_zone()
            .null()
            .take()
    };
    let real = |n: &str| ColumnDef::new(Alias::new(n)).double().null().take();
    let text = |n: &str| ColumnDef::new(Alias::new(n)).string().null().take();
    let flag = |n: &str| {
        ColumnDef::new(Alias::new(n))
            .boolean()
            .not_null()
            .default(false)
            .take()
    };
    vec![
        at("checked_in_at"),
        at("device_checked_in_at"),
        real("check_in_lat"),
        real("check_in_lon"),
        real("check_in_accuracy"),
        real("distance_m"),
        flag("location_exception"),
        text("location_reason"),
        at("checked_out_at"),
        at("device_checked_out_at"),
        ColumnDef::new(Alias::new("notes")).text().null().take(),
        text("confirmed_by"),
        text("confirmed_relation"),
        text("no_confirmation_reason"),
        flag("late"),
        text("ad_hoc_reason"),
        ColumnDef::new(Alias::new("submitted_by_id"))
            .big_integer()
            .null()
            .take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for mut c in columns() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("visits"))
                    .add_column(&mut c)
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in columns().iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("visits"))
                    .drop_column(Alias::new(c.get_column_name()))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}

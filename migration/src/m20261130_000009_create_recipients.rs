use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().take()
}

fn date_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().take()
}

fn double_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).double().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = |n: &str| Expr::col(Alias::new(n));
        let mut t = entity_table("recipients");
        t.col(big_int("household_id"))
            .col(big_int("township_id"))
            .col(big_int("village_id"))
            .col(big_int_null("organization_id"))
            .col(string("name"))
            .col(string("name_key"))
            .col(string("gender"))
            .col(date("birth_date"))
            .col(string("id_sealed"))
            .col(string("id_hash").unique_key())
            .col(string("id_masked"))
            .col(string("id_last4"))
            .col(string_null("relation"))
            .col(string_null("phone"))
            .col(big_int_null("disability_level"))
            .col(string_null("disability_type"))
            .col(string_null("guardian_name"))
            .col(string_null("guardian_phone"))
            .col(string_null("guardian_relation"))
            .col(ColumnDef::new(Alias::new("care_needs")).text().null())
            .col(string("care_tags").default(""))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(string_null("consent_by"))
            .col(string_null("consent_relation"))
            .col(date_null("consent_on"))
            .col(string("status").default("active"))
            .col(string_null("status_reason"))
            .col(date("status_on"))
            .col(string_null("roster"))
            .check(col("gender").is_in(["male", "female"]))
            .check(col("status").is_in(["active", "suspended", "exited"]))
            .check(
                col("disability_level")
                    .is_null()
                    .or(col("disability_level").between(1, 4)),
            )
            .check(
                col("disability_type")
                    .is_null()
                    .or(col("disability_type").is_in([
                        "physical",
                        "visual",
                        "hearing",
                        "speech",
                        "intellectual",
                        "mental",
                        "multiple",
                    ])),
            )
            .check(
                col("latitude")
                    .is_null()
                    .or(col("latitude").between(-90, 90)),
            )
            .check(
                col("longitude")
                    .is_null()
                    .or(col("longitude").between(-180, 180)),
            )
            .foreign_key(&mut restrict_fk("recipients", "household_id", "households"))
            .foreign_key(&mut restrict_fk("recipients", "township_id", "townships"))
            .foreign_key(&mut restrict_fk("recipients", "village_id", "villages"))
            .foreign_key(&mut restrict_fk(
                "recipients",
                "organization_id",
                "organizations",
            ));
        m.create_table(t).await?;
        for cols in [
            &["township_id", "status", "name"][..],
            &["organization_id", "status", "name"],
            &["village_id", "name"],
            &["household_id"],
            &["id_last4"],
            &["roster", "status"],
            &["name"],
        ] {
            m.create_index(index("recipients", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("recipients")).take())
            .await
    }
}

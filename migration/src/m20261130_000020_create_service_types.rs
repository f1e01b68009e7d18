//! The service catalogue as data (policy notice 五(二)): the eight kinds
//! of service the notice names, which admins may extend, rename or retire.
//! Codes never change once used; retired ones stay readable.
use crate::helpers::*;
use sea_orm_migration::{prelude::*, sea_orm::prelude::Uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BUILT_IN: [(&str, &str, &str); 8] = [
    ("daily_care", "生活照料", "Daily care"),
    ("emotional_support", "精神慰藉", "Emotional support"),
    ("counselling", "心理疏导", "Counselling"),
    ("capacity_building", "能力提升", "Capacity building"),
    (
        "social_rehabilitation",
        "社会功能恢复",
        "Social rehabilitation",
    ),
    ("home_visit", "访视", "Home visit"),
    ("skills_training", "技能培训", "Skills training"),
    ("job_linkage", "就业链接", "Job linkage"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = entity_table("service_types");
        t.col(
            ColumnDef::new(Alias::new("code"))
                .string()
                .not_null()
                .unique_key(),
        )
        .col(string("name_zh"))
        .col(string("name_en"))
        .col(big_int("position"))
        .col(
            ColumnDef::new(Alias::new("active"))
                .boolean()
                .not_null()
                .default(true),
        );
        m.create_table(t).await?;
        let mut insert = Query::insert();
        insert.into_table(Alias::new("service_types")).columns([
            Alias::new("pid"),
            Alias::new("code"),
            Alias::new("name_zh"),
            Alias::new("name_en"),
            Alias::new("position"),
            Alias::new("active"),
        ]);
        for (position, (code, zh, en)) in (1i64..).zip(BUILT_IN.iter()) {
            insert
                .values([
                    Uuid::new_v4().into(),
                    (*code).into(),
                    (*zh).into(),
                    (*en).into(),
                    position.into(),
                    true.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        m.exec_stmt(insert).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("service_types")).take())
            .await
    }
}

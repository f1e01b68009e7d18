//! Small column and key builders shared by the migrations, so that every
//! table has the same id / pid / timestamp shape and foreign keys restrict
//! deletes instead of cascading them.
use loco_rs::schema::table_auto_tz;
use sea_orm_migration::prelude::*;

/// A table with `created_at`, `updated_at`, a big auto id and a unique `pid`.
pub fn entity_table(name: &str) -> TableCreateStatement {
    let mut t = table_auto_tz(Alias::new(name));
    t.col(
        ColumnDef::new(Alias::new("id"))
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
    .col(
        ColumnDef::new(Alias::new("pid"))
            .uuid()
            .not_null()
            .unique_key(),
    );
    t
}

pub fn string(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string().not_null().take()
}

pub fn string_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string().null().take()
}

pub fn big_int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .take()
}

pub fn big_int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().take()
}

/// A foreign key from `table.column` to `target.id` that refuses to delete a
/// referenced row.
pub fn restrict_fk(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk-{table}-{column}-to-{target}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(target), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

pub fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("idx-{table}-{}", columns.join("-")))
        .table(Alias::new(table));
    for c in columns {
        idx.col(Alias::new(*c));
    }
    idx.take()
}

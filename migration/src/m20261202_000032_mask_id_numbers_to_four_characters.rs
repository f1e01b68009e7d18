//! ID numbers were shown as `5119**********123X`: with the birth date and
//! the township beside them, that gave the whole number away. They are now
//! shown as `5119**************` (see `domain::privacy`). The stored mask is
//! rewritten from itself: the first four characters were already in it. Running it twice changes nothing.
//!
//! `down` cannot bring the hidden characters back without the key; it
//! leaves the new masks.
use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE recipients SET id_masked = \
                 substr(id_masked, 1, 4) || '**************' \
                 WHERE length(id_masked) = 18",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

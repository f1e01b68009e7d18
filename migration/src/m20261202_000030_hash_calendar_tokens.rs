//! Calendar feed tokens are kept as their SHA-256 (hex), like a password:
//! a copy of the database no longer holds working feed addresses. Existing
//! plain tokens are hashed in place, so the addresses workers' phones
//! subscribe to keep working. A plain token is 48 hex characters, a hash
//! 64, so running this twice does not hash a hash.
//!
//! `down` cannot recover the plain tokens: it turns every feed off.
use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("calendar_token")])
            .from(Alias::new("users"))
            .and_where(Expr::col(Alias::new("calendar_token")).is_not_null())
            .to_owned();
        let rows = db.query_all(&select).await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let token: String = row.try_get("", "calendar_token")?;
            if token.len() == 64 {
                continue;
            }
            let hash = hex::encode(Sha256::digest(token.as_bytes()));
            let update = Query::update()
                .table(Alias::new("users"))
                .value(Alias::new("calendar_token"), hash)
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            m.exec_stmt(update).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let update = Query::update()
            .table(Alias::new("users"))
            .value(Alias::new("calendar_token"), Option::<String>::None)
            .to_owned();
        m.exec_stmt(update).await
    }
}

//! Failed sign-ins, counted per account and per address over a sliding
//! window, in the database so that every app process agrees.
pub use super::_entities::sign_in_failures::{ActiveModel, Column, Entity, Model};
use crate::errors::AppResult;
use sea_orm::{entity::prelude::*, ActiveValue::Set, ConnectionTrait};

impl ActiveModelBehavior for ActiveModel {}

/// How many failures are allowed in a window.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub per_account: u64,
    pub per_address: u64,
    pub window: chrono::Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: chrono::Duration::minutes(15),
        }
    }
}

#[must_use]
pub fn account_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

#[must_use]
pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

async fn count_since<C: ConnectionTrait>(
    db: &C,
    key: &str,
    since: DateTimeWithTimeZone,
) -> AppResult<u64> {
    Ok(Entity::find()
        .filter(Column::ThrottleKey.eq(key))
        .filter(Column::CreatedAt.gt(since))
        .count(db)
        .await?)
}

impl Throttle {
    /// Whether this account or address has used up its failures.
    ///
    /// # Errors
    /// Database errors.
    pub async fn is_locked<C: ConnectionTrait>(
        &self,
        db: &C,
        email: &str,
        ip: Option<&str>,
    ) -> AppResult<bool> {
        let since = (chrono::Utc::now() - self.window).into();
        if count_since(db, &account_key(email), since).await? >= self.per_account {
            return Ok(true);
        }
        if let Some(ip) = ip {
            if count_since(db, &address_key(ip), since).await? >= self.per_address {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records one failure for the account and the address, and forgets
    /// failures older than the window.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_failure<C: ConnectionTrait>(
        &self,
        db: &C,
        email: &str,
        ip: Option<&str>,
    ) -> AppResult<()> {
        let now = chrono::Utc::now();
        let mut keys = vec![account_key(email)];
        if let Some(ip) = ip {
            keys.push(address_key(ip));
        }
        for key in keys {
            ActiveModel {
                throttle_key: Set(key),
                created_at: Set(now.into()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        let cutoff: DateTimeWithTimeZone = (now - self.window).into();
        Entity::delete_many()
            .filter(Column::CreatedAt.lt(cutoff))
            .exec(db)
            .await?;
        Ok(())
    }

    /// A successful sign-in clears the account's failures.
    ///
    /// # Errors
    /// Database errors.
    pub async fn clear_account<C: ConnectionTrait>(&self, db: &C, email: &str) -> AppResult<()> {
        Entity::delete_many()
            .filter(Column::ThrottleKey.eq(account_key(email)))
            .exec(db)
            .await?;
        Ok(())
    }
}

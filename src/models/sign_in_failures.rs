//! Failed sign-ins, counted per account and per address over a sliding
//! window, in the database so that every app process agrees.
//!
//! An attempt is counted before its password is checked: [`Throttle::reserve`]
//! takes a lock, counts and records the attempt in one transaction, so
//! parallel attempts cannot all pass the check; a successful sign-in gives
//! its reservation back. The account is stored as a keyed hash of what was
//! typed (people type passwords into the email field), never the text.
pub use super::_entities::sign_in_failures::{ActiveModel, Column, Entity, Model};
use crate::errors::AppResult;
use hmac::{Hmac, Mac};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, Condition, ConnectionTrait, DatabaseBackend,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

impl ActiveModelBehavior for ActiveModel {}

/// How many failures are allowed in a window.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub per_account: u64,
    pub per_address: u64,
    pub window: chrono::Duration,
    /// Key of the hash that stands for the typed account.
    key: [u8; 32],
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: chrono::Duration::minutes(15),
            key: [0; 32],
        }
    }
}

/// The attempts [`Throttle::reserve`] recorded, and whether the account or
/// address was already out of attempts.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub locked: bool,
    ids: Vec<i64>,
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

/// Serialises reservations: PostgreSQL takes a transaction-scoped advisory
/// lock of its own (not the audit chain's); on SQLite a write that changes
/// nothing takes the one write lock now, before the count is read.
async fn lock<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT pg_advisory_xact_lock(727275)",
        _ => "UPDATE sign_in_failures SET id = id WHERE 0 = 1",
    };
    db.execute_unprepared(sql).await?;
    Ok(())
}

impl Throttle {
    /// The throttle with the key its account hashes are made with (derived
    /// from an application secret).
    #[must_use]
    pub fn keyed(self, secret: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"doudi sign-in failures\0");
        h.update(secret);
        Self {
            key: h.finalize().into(),
            ..self
        }
    }

    /// The stored key of a typed account: a keyed hash of it, trimmed and
    /// lower-cased, so that counting per account works without keeping the
    /// text.
    #[must_use]
    pub fn account_key(&self, email: &str) -> String {
        let typed = email.trim().to_lowercase();
        let digest = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .map(|mut m| {
                m.update(typed.as_bytes());
                hex::encode(m.finalize().into_bytes())
            })
            .unwrap_or_default();
        format!("email:{digest}")
    }

    /// Counts this attempt before its password is checked: under a lock,
    /// whether the account or address has used up its failures, then one
    /// row for each, in one transaction. Forgets failures older than the
    /// window.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reserve(
        &self,
        db: &DatabaseConnection,
        email: &str,
        ip: Option<&str>,
    ) -> AppResult<Reservation> {
        let now = chrono::Utc::now();
        let since: DateTimeWithTimeZone = (now - self.window).into();
        let mut keys = vec![(self.account_key(email), self.per_account)];
        if let Some(ip) = ip {
            keys.push((address_key(ip), self.per_address));
        }
        let txn = db.begin().await?;
        lock(&txn).await?;
        let mut locked = false;
        for (key, limit) in &keys {
            if count_since(&txn, key, since).await? >= *limit {
                locked = true;
            }
        }
        let mut ids = Vec::with_capacity(keys.len());
        for (key, _) in keys {
            let row = ActiveModel {
                throttle_key: Set(key),
                created_at: Set(now.into()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            ids.push(row.id);
        }
        Entity::delete_many()
            .filter(Column::CreatedAt.lt(since))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Reservation { locked, ids })
    }

    /// A successful sign-in: its own reservation is given back and the
    /// account's failures are cleared (the address keeps its others).
    ///
    /// # Errors
    /// Database errors.
    pub async fn succeeded<C: ConnectionTrait>(
        &self,
        db: &C,
        email: &str,
        reservation: &Reservation,
    ) -> AppResult<()> {
        Entity::delete_many()
            .filter(
                Condition::any()
                    .add(Column::Id.is_in(reservation.ids.clone()))
                    .add(Column::ThrottleKey.eq(self.account_key(email))),
            )
            .exec(db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_kept_as_a_keyed_hash_of_what_was_typed() {
        let t = Throttle::default().keyed(b"secret");
        let k = t.account_key(" Worker@Doudi.test ");
        assert_eq!(k, t.account_key("worker@doudi.test"));
        assert!(!k.contains("worker"), "{k}");
        assert_eq!(k.len(), "email:".len() + 64);
        assert_ne!(
            k,
            Throttle::default()
                .keyed(b"other")
                .account_key("worker@doudi.test")
        );
    }
}

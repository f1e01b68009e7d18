//! Resident ID numbers at rest: sealed with AES-256-GCM under the key in
//! `settings.id_key` (env `ID_KEY` in production, generated into `.doudi/`
//! in development), and found again by a keyed hash (HMAC-SHA256 under a
//! key derived from the same secret), so duplicates are detected without
//! ever storing or comparing the number in the clear.
use crate::{
    domain::resident_id::ResidentId,
    errors::{AppError, AppResult},
};
use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use loco_rs::app::AppContext;
use sha2::Sha256;

/// Prefix of sealed values, so that a later key or scheme can coexist.
const VERSION: &str = "v1:";
/// Associated data: a sealed ID cannot be passed off as another sealed field.
const PURPOSE: &[u8] = b"doudi/resident-id/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("settings.id_key (ID_KEY) must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a sealed ID number could not be opened with this key")]
    Unreadable,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Vault {
    /// # Errors
    /// When the key is not 32 bytes of base64.
    pub fn new(key_b64: &str) -> Result<Self, VaultError> {
        let key = STANDARD
            .decode(key_b64.trim())
            .map_err(|_| VaultError::BadKey)?;
        if key.len() != 32 {
            return Err(VaultError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::BadKey)?;
        Ok(Self {
            cipher,
            lookup_key: hmac(&key, b"doudi/lookup-hash/v1"),
        })
    }

    /// The vault of the running application.
    ///
    /// # Errors
    /// When the configured key is missing or malformed (checked at start).
    pub fn of(ctx: &AppContext) -> AppResult<Self> {
        let key = ctx
            .config
            .settings
            .as_ref()
            .and_then(|s| s.get("id_key"))
            .and_then(|k| k.as_str())
            .unwrap_or_default();
        Self::new(key).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// A fresh key for development.
    #[must_use]
    pub fn generate_key() -> String {
        STANDARD.encode(rand::random::<[u8; 32]>())
    }

    /// Seals an ID number: `v1:` + base64(nonce ‖ ciphertext ‖ tag). Every
    /// call uses a new random nonce, so equal numbers seal differently.
    #[must_use]
    pub fn seal(&self, id: &ResidentId) -> String {
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: id.as_str().as_bytes(),
                    aad: PURPOSE,
                },
            )
            // Encryption only fails for messages of gigabytes.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", STANDARD.encode(out))
    }

    /// # Errors
    /// When the value was sealed under another key or altered.
    pub fn open(&self, sealed: &str) -> Result<ResidentId, VaultError> {
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or(VaultError::Unreadable)?;
        let (nonce, body) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| VaultError::Unreadable)?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: PURPOSE,
                },
            )
            .map_err(|_| VaultError::Unreadable)?;
        let text = String::from_utf8(plain).map_err(|_| VaultError::Unreadable)?;
        ResidentId::parse(&text).map_err(|_| VaultError::Unreadable)
    }

    /// The keyed hash that finds a number again (64 hex characters).
    #[must_use]
    pub fn lookup_hash(&self, id: &ResidentId) -> String {
        hex::encode(hmac(&self.lookup_key, id.as_str().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn id() -> ResidentId {
        ResidentId::parse("11010519491231002X").unwrap()
    }

    #[test]
    fn sealed_numbers_open_again_and_never_show_the_number() {
        let v = Vault::new(KEY).unwrap();
        let a = v.seal(&id());
        let b = v.seal(&id());
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("1949"));
        assert_eq!(v.open(&a).unwrap(), id());
        assert_eq!(v.lookup_hash(&id()), v.lookup_hash(&id()));
        assert_eq!(v.lookup_hash(&id()).len(), 64);
    }

    #[test]
    fn another_key_or_a_changed_byte_cannot_open_it() {
        let v = Vault::new(KEY).unwrap();
        let other = Vault::new(&Vault::generate_key()).unwrap();
        let sealed = v.seal(&id());
        assert_eq!(other.open(&sealed), Err(VaultError::Unreadable));
        assert_ne!(other.lookup_hash(&id()), v.lookup_hash(&id()));
        let mut raw = STANDARD.decode(&sealed[3..]).unwrap();
        raw[20] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(raw));
        assert_eq!(v.open(&tampered), Err(VaultError::Unreadable));
        assert_eq!(v.open("nonsense"), Err(VaultError::Unreadable));
    }

    #[test]
    fn refuses_keys_of_the_wrong_size() {
        assert_eq!(Vault::new("c2hvcnQ=").err(), Some(VaultError::BadKey));
        assert_eq!(Vault::new("not base64!").err(), Some(VaultError::BadKey));
    }
}

//! The audit log's hash chain. Each entry stores the hash of the entry
//! before it and its own hash over its content and that previous hash, so an
//! entry edited, inserted or removed directly in the database breaks the
//! chain at the first place it was touched.
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the very first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Fields whose values never reach the log (only that they changed).
pub const SECRET_FIELDS: [&str; 7] = [
    "calendar_token",
    "password",
    "api_key",
    "token_version",
    "reset_token",
    "id_sealed",
    "id_hash",
];

/// What an entry says, in the exact text form it is stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryContent<'a> {
    /// RFC 3339 in UTC with microseconds, as `audit_time` formats it.
    pub created_at: &'a str,
    pub actor_id: Option<i64>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_pid: Option<&'a str>,
    pub changes: &'a str,
    pub request_id: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// Formats a time the way entries are hashed: UTC, microseconds, `Z`.
#[must_use]
pub fn audit_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn feed(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// The hash of an entry that follows `prev_hash`.
#[must_use]
pub fn link_hash(prev_hash: &str, c: &EntryContent<'_>) -> String {
    let mut h = Sha256::new();
    let actor = c.actor_id.map(|id| id.to_string());
    for field in [
        Some(prev_hash),
        Some(c.created_at),
        actor.as_deref(),
        Some(c.actor_label),
        Some(c.action),
        Some(c.entity),
        c.entity_pid,
        Some(c.changes),
        c.request_id,
        c.ip,
    ] {
        feed(&mut h, field);
    }
    hex::encode(h.finalize())
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    #[error("entry {id}: prev_hash does not match the entry before it (removed or reordered)")]
    PrevMismatch { id: i64 },
    #[error("entry {id}: content does not match its hash (edited)")]
    HashMismatch { id: i64 },
}

/// Walks the chain entry by entry, in id order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_prev: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_prev: GENESIS.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry.
    ///
    /// # Errors
    /// The first broken link.
    pub fn check(
        &mut self,
        id: i64,
        prev_hash: &str,
        hash: &str,
        content: &EntryContent<'_>,
    ) -> Result<(), BrokenLink> {
        if prev_hash != self.expected_prev {
            return Err(BrokenLink::PrevMismatch { id });
        }
        if link_hash(prev_hash, content) != hash {
            return Err(BrokenLink::HashMismatch { id });
        }
        hash.clone_into(&mut self.expected_prev);
        self.checked += 1;
        Ok(())
    }

    #[must_use]
    pub const fn checked(&self) -> u64 {
        self.checked
    }
}

fn public_fields(v: Option<&Value>) -> Map<String, Value> {
    let mut map = v.and_then(Value::as_object).cloned().unwrap_or_default();
    for key in ["id", "created_at", "updated_at"] {
        map.remove(key);
    }
    map
}

/// The changed fields between two JSON snapshots of a record, as
/// `{"field": {"before": .., "after": ..}}`. Secret fields are reported only
/// as `{"changed": true}`; unchanged fields are left out.
#[must_use]
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let b = public_fields(before);
    let a = public_fields(after);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Map::new();
    for key in keys {
        // An absent field and a null one are the same: a create does not
        // list the fields it left empty.
        let (old, new) = (
            b.get(key).unwrap_or(&Value::Null),
            a.get(key).unwrap_or(&Value::Null),
        );
        if old == new {
            continue;
        }
        let entry = if SECRET_FIELDS.contains(&key.as_str()) {
            serde_json::json!({ "changed": true })
        } else {
            serde_json::json!({ "before": old, "after": new })
        };
        out.insert(key.clone(), entry);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn content<'a>(changes: &'a str, action: &'a str) -> EntryContent<'a> {
        EntryContent {
            created_at: "2026-11-30T06:00:00.000001Z",
            actor_id: Some(1),
            actor_label: "admin@doudi.test",
            action,
            entity: "townships",
            entity_pid: Some("7f1c0e4e-0000-4000-8000-000000000001"),
            changes,
            request_id: Some("req-1"),
            ip: None,
        }
    }

    fn chain(n: usize) -> Vec<(i64, String, String, String)> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let changes = format!("{{\"n\":{i}}}");
                let hash = link_hash(&prev, &content(&changes, "create"));
                let row = (i as i64 + 1, prev.clone(), hash.clone(), changes);
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[(i64, String, String, String)]) -> Result<u64, BrokenLink> {
        let mut v = ChainVerifier::default();
        for (id, prev, hash, changes) in rows {
            v.check(*id, prev, hash, &content(changes, "create"))?;
        }
        Ok(v.checked())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_edited_entry_is_the_first_broken_link() {
        let mut rows = chain(5);
        rows[2].3 = "{\"n\":99}".to_string();
        assert_eq!(verify(&rows), Err(BrokenLink::HashMismatch { id: 3 }));
    }

    #[test]
    fn a_removed_entry_breaks_the_next_one() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows), Err(BrokenLink::PrevMismatch { id: 3 }));
    }

    #[test]
    fn absent_and_empty_fields_hash_differently() {
        let mut a = content("{}", "create");
        let mut b = a.clone();
        a.ip = None;
        b.ip = Some("");
        assert_ne!(link_hash(GENESIS, &a), link_hash(GENESIS, &b));
    }

    #[test]
    fn diff_lists_changed_fields_and_hides_secrets() {
        let before = json!({"id": 1, "name": "a", "password": "x", "role": "admin"});
        let after = json!({"id": 1, "name": "b", "password": "y", "role": "admin"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"name": {"before": "a", "after": "b"}, "password": {"changed": true}})
        );
        assert_eq!(
            diff(None, Some(&json!({"name": "a", "phone": null}))),
            json!({"name": {"before": null, "after": "a"}})
        );
    }

    proptest! {
        #[test]
        fn editing_any_single_entry_is_detected(n in 1usize..20, pick in 0usize..20, text in "[a-z]{1,8}") {
            let mut rows = chain(n);
            let i = pick % n;
            rows[i].3 = format!("{{\"edited\":\"{text}\"}}");
            prop_assert_eq!(verify(&rows), Err(BrokenLink::HashMismatch { id: i as i64 + 1 }));
        }
    }
}

//! The append-only, hash-chained audit log. `record` is called inside the
//! same transaction as the change it describes.
pub use super::_entities::audit_logs::{self, ActiveModel, Column, Entity, Model};
use super::{fetch_page, scoped, Actor};
use crate::{
    domain::{
        audit_chain::{audit_time, link_hash, BrokenLink, ChainVerifier, EntryContent, GENESIS},
        pagination::{PageInfo, PageRequest},
    },
    errors::{AppError, AppResult},
    policy::Scope,
};
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, DatabaseBackend, QueryOrder, QuerySelect,
};
use serde_json::Value;

impl ActiveModelBehavior for ActiveModel {}

/// What happened, as stored in `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    SignIn,
    SignOut,
    SignInFailed,
    /// A whole ID number was shown (or exported) to someone, with a reason.
    Reveal,
    /// A list, a table or a pack was downloaded.
    Export,
    /// A stored file (a contract's document) was downloaded.
    Download,
    /// A roster file was imported.
    Import,
    /// The registry was searched by the last characters of an ID number.
    IdSearch,
}

impl Action {
    pub const ALL: [Self; 11] = [
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::SignIn,
        Self::SignOut,
        Self::SignInFailed,
        Self::Reveal,
        Self::Export,
        Self::Download,
        Self::Import,
        Self::IdSearch,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::SignInFailed => "sign_in_failed",
            Self::Reveal => "reveal",
            Self::Export => "export",
            Self::Download => "download",
            Self::Import => "import",
            Self::IdSearch => "id_search",
        }
    }
}

/// Serialises concurrent writers so the chain never forks; call inside
/// the transaction that appends, before reading the chain's end. PostgreSQL
/// takes a transaction-scoped advisory lock (held until commit or
/// rollback). SQLite allows one writer, but a transaction that has only
/// read so far would read the end, then fail at its insert when another
/// process (a scheduled task beside the app) wrote first: a write that
/// changes nothing takes the write lock now, waiting its turn instead.
/// The unique index on `prev_hash` is the backstop on both.
pub(crate) async fn lock_chain<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT pg_advisory_xact_lock(727274)",
        _ => "UPDATE audit_logs SET id = id WHERE 0 = 1",
    };
    db.execute_unprepared(sql).await?;
    Ok(())
}

impl Model {
    #[must_use]
    pub fn content(&self) -> (String, Option<String>) {
        (
            audit_time(self.created_at.with_timezone(&chrono::Utc)),
            self.entity_pid.map(|p| p.to_string()),
        )
    }

    /// The stored changes as JSON.
    #[must_use]
    pub fn changes_json(&self) -> Value {
        serde_json::from_str(&self.changes).unwrap_or(Value::Null)
    }
}

/// Records that something was handed out (an export, a pack, a
/// document): one entry in a transaction of its own, written once the body
/// is ready and just before it is sent, so a download that fails (404,
/// bad input) writes nothing. `details` says which file or format and how
/// many rows; never what is in them.
///
/// # Errors
/// Database errors.
pub async fn record_download(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_pid: Option<Uuid>,
    details: &Value,
) -> AppResult<()> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    record(&txn, actor, action, entity, entity_pid, details).await?;
    txn.commit().await?;
    Ok(())
}

/// Appends one entry. Call inside the transaction of the change.
///
/// # Errors
/// Database errors.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_pid: Option<Uuid>,
    changes: &Value,
) -> AppResult<Model> {
    Chain::default()
        .append(db, actor, action, entity, entity_pid, changes)
        .await
}

/// The end of the chain inside one transaction, for writing many entries:
/// the lock is taken and the last hash read once, at the first entry.
/// Use one `Chain` per transaction, and only inside it.
#[derive(Debug, Default)]
pub struct Chain {
    prev: Option<String>,
}

impl Chain {
    /// The hash to link the next entry to: the last one written through
    /// this chain, or (the first time) the newest in the table, read under
    /// the chain lock.
    async fn take_prev<C: ConnectionTrait>(&mut self, db: &C) -> AppResult<String> {
        if let Some(p) = self.prev.take() {
            return Ok(p);
        }
        lock_chain(db).await?;
        Ok(Entity::find()
            .select_only()
            .column(Column::Hash)
            .order_by_desc(Column::Id)
            .limit(1)
            .into_tuple::<String>()
            .one(db)
            .await?
            .unwrap_or_else(|| GENESIS.to_string()))
    }

    /// Appends one entry after the previous one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn append<C: ConnectionTrait>(
        &mut self,
        db: &C,
        actor: &Actor,
        action: Action,
        entity: &str,
        entity_pid: Option<Uuid>,
        changes: &Value,
    ) -> AppResult<Model> {
        let prev_hash = self.take_prev(db).await?;
        let row = insert_entry(db, &prev_hash, actor, action, entity, entity_pid, changes).await?;
        self.prev = Some(row.hash.clone());
        Ok(row)
    }

    /// Appends many entries by one actor in few statements (bulk work such
    /// as a roster import): linked in memory in the given order, inserted
    /// in batches that keep that order.
    ///
    /// # Errors
    /// Database errors.
    pub async fn append_many<C: ConnectionTrait>(
        &mut self,
        db: &C,
        actor: &Actor,
        entries: Vec<(Action, &str, Uuid, Value)>,
    ) -> AppResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut prev = self.take_prev(db).await?;
        let mut rows = Vec::with_capacity(entries.len());
        for (action, entity, pid, changes) in entries {
            let (row, hash) = build_entry(&prev, actor, action, entity, Some(pid), &changes)?;
            rows.push(row);
            prev = hash;
        }
        for chunk in rows.chunks(500) {
            Entity::insert_many(chunk.to_vec()).exec(db).await?;
        }
        self.prev = Some(prev);
        Ok(())
    }

    /// Appends the before/after of a change, as `record_change`.
    ///
    /// # Errors
    /// Database errors.
    #[allow(clippy::too_many_arguments)]
    pub async fn append_change<C: ConnectionTrait, T: serde::Serialize>(
        &mut self,
        db: &C,
        actor: &Actor,
        action: Action,
        entity: &str,
        entity_pid: Uuid,
        before: Option<&T>,
        after: Option<&T>,
    ) -> AppResult<Model> {
        let changes = change_json(before, after);
        self.append(db, actor, action, entity, Some(entity_pid), &changes)
            .await
    }
}

async fn insert_entry<C: ConnectionTrait>(
    db: &C,
    prev_hash: &str,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_pid: Option<Uuid>,
    changes: &Value,
) -> AppResult<Model> {
    let (row, _) = build_entry(prev_hash, actor, action, entity, entity_pid, changes)?;
    Ok(row.insert(db).await?)
}

/// One entry linked to `prev_hash`, and its hash.
fn build_entry(
    prev_hash: &str,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_pid: Option<Uuid>,
    changes: &Value,
) -> AppResult<(ActiveModel, String)> {
    let now = chrono::Utc::now();
    let created_at = audit_time(now);
    // Store exactly what was hashed: microsecond precision in UTC.
    let stored_at = chrono::DateTime::parse_from_rfc3339(&created_at)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let changes = changes.to_string();
    let pid = entity_pid.map(|p| p.to_string());
    let content = EntryContent {
        created_at: &created_at,
        actor_id: actor.user_id,
        actor_label: &actor.label,
        action: action.as_str(),
        entity,
        entity_pid: pid.as_deref(),
        changes: &changes,
        request_id: actor.request_id.as_deref(),
        ip: actor.ip.as_deref(),
    };
    let hash = link_hash(prev_hash, &content);
    let row = ActiveModel {
        created_at: Set(stored_at),
        actor_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        action: Set(action.as_str().to_string()),
        entity: Set(entity.to_string()),
        entity_pid: Set(entity_pid),
        changes: Set(changes),
        request_id: Set(actor.request_id.clone()),
        ip: Set(actor.ip.clone()),
        prev_hash: Set(prev_hash.to_string()),
        hash: Set(hash.clone()),
        ..Default::default()
    };
    Ok((row, hash))
}

/// Filters on the admin's audit page and API.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub entity_pid: Option<Uuid>,
}

/// Newest first, filtered, one page.
///
/// # Errors
/// `NotFound` for callers who may not read the log.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &AuditFilter,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    let mut q = scoped(Entity::find(), scope.audit_logs()).ok_or(AppError::NotFound)?;
    if let Some(e) = &filter.entity {
        q = q.filter(Column::Entity.eq(e.as_str()));
    }
    if let Some(a) = &filter.action {
        q = q.filter(Column::Action.eq(a.as_str()));
    }
    if let Some(a) = &filter.actor {
        q = q.filter(Column::ActorLabel.eq(a.trim().to_lowercase()));
    }
    if let Some(p) = filter.entity_pid {
        q = q.filter(Column::EntityPid.eq(p));
    }
    fetch_page(db, q.order_by_desc(Column::Id), page).await
}

/// The newest entries about one record, for its history (the caller has
/// already loaded the record in its scope).
///
/// # Errors
/// Database errors.
pub async fn for_entity<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    pid: Uuid,
    limit: u64,
) -> AppResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::Entity.eq(entity))
        .filter(Column::EntityPid.eq(pid))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    pub broken: Option<BrokenLink>,
}

/// Re-computes every hash in id order, in batches, and reports the first
/// broken link.
///
/// # Errors
/// Database errors.
pub async fn verify<C: ConnectionTrait>(db: &C) -> AppResult<Verification> {
    const BATCH: u64 = 1000;
    let mut verifier = ChainVerifier::default();
    let mut after = 0i64;
    loop {
        let rows = Entity::find()
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            let (created_at, pid) = row.content();
            let content = EntryContent {
                created_at: &created_at,
                actor_id: row.actor_id,
                actor_label: &row.actor_label,
                action: &row.action,
                entity: &row.entity,
                entity_pid: pid.as_deref(),
                changes: &row.changes,
                request_id: row.request_id.as_deref(),
                ip: row.ip.as_deref(),
            };
            if let Err(broken) = verifier.check(row.id, &row.prev_hash, &row.hash, &content) {
                return Ok(Verification {
                    checked: verifier.checked(),
                    broken: Some(broken),
                });
            }
        }
    }
    Ok(Verification {
        checked: verifier.checked(),
        broken: None,
    })
}

/// The changed fields between two snapshots, as an audit entry stores them
/// (secrets reported only as changed).
#[must_use]
pub fn change_json<T: serde::Serialize>(before: Option<&T>, after: Option<&T>) -> Value {
    let to_json = |m: Option<&T>| m.and_then(|m| serde_json::to_value(m).ok());
    crate::domain::audit_chain::diff(to_json(before).as_ref(), to_json(after).as_ref())
}

/// Adds why a change was made (`reason`) and a related record to an
/// entry's changes.
pub fn add_context(changes: &mut Value, reason: Option<&str>, related: Option<(&str, Uuid)>) {
    if let Value::Object(map) = changes {
        if let Some(r) = reason {
            map.insert("reason".into(), Value::String(r.to_string()));
        }
        if let Some((k, pid)) = related {
            map.insert(k.into(), Value::String(pid.to_string()));
        }
    }
}

/// Appends an entry for a create, update or delete, with the changed fields
/// between the two snapshots (secrets reported only as changed).
///
/// # Errors
/// Database errors.
pub async fn record_change<C: ConnectionTrait, T: serde::Serialize>(
    db: &C,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_pid: Uuid,
    before: Option<&T>,
    after: Option<&T>,
) -> AppResult<Model> {
    let changes = change_json(before, after);
    record(db, actor, action, entity, Some(entity_pid), &changes).await
}

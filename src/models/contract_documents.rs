//! Documents of a contract: the file goes to Loco storage under a random
//! key, its description here (in the same transaction as the audit
//! entry). PDF, images, Word and Excel files up to 20 MB.
pub use super::_entities::contract_documents::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::contracts,
    audit_logs::{self, Action},
    Actor,
};
use crate::errors::{AppError, AppResult};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};

super::pid_and_timestamps!();

/// The largest document accepted.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

/// What kinds of document a contract keeps.
pub const KINDS: [&str; 4] = ["contract", "tender", "acceptance", "other"];

/// The content type of a file by what it starts with (never by its name
/// alone): PDF, PNG, JPEG, or an Office file (a zip named .docx/.xlsx).
#[must_use]
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".docx") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".xlsx") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else {
        None
    }
}

/// The file name as stored: its last path part, without control
/// characters, at most 120 characters.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        "document".to_string()
    } else {
        cleaned
    }
}

/// Stores a document of `c`.
///
/// # Errors
/// Field errors (`file` missing, too large or of a type not kept; `kind`);
/// storage and database errors.
pub async fn upload(
    db: &DatabaseConnection,
    storage: &loco_rs::storage::Storage,
    actor: &Actor,
    c: &contracts::Model,
    kind: Option<&str>,
    file_name: Option<&str>,
    bytes: Option<Vec<u8>>,
) -> AppResult<Model> {
    let kind = kind.map(str::trim).unwrap_or("other");
    if !KINDS.contains(&kind) {
        return Err(AppError::field("kind", "error-document-kind"));
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Err(AppError::field("file", "error-document-missing"));
    };
    if bytes.len() > MAX_BYTES {
        return Err(AppError::field("file", "error-document-too-large"));
    }
    let name = clean_name(file_name.unwrap_or("document"));
    let content_type =
        sniff(&name, &bytes).ok_or_else(|| AppError::field("file", "error-document-type"))?;
    let key = format!("contracts/{}/{}", c.pid, Uuid::new_v4());
    storage
        .upload(
            std::path::Path::new(&key),
            &axum::body::Bytes::from(bytes.clone()),
        )
        .await
        .map_err(|e| AppError::Internal(format!("storage: {e}")))?;
    let txn = db.begin().await?;
    let m = ActiveModel {
        contract_id: Set(c.id),
        kind: Set(kind.to_string()),
        file_name: Set(name),
        content_type: Set(content_type.to_string()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        storage_key: Set(key),
        uploaded_by_id: Set(actor.user_id.unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit_logs::record(
        &txn,
        actor,
        Action::Create,
        "contract_documents",
        Some(m.pid),
        &serde_json::json!({"contract": c.pid.to_string(), "kind": m.kind,
                            "file_name": m.file_name, "size": m.size}),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// The documents of a contract, newest first.
///
/// # Errors
/// Database errors.
pub async fn of_contract(db: &DatabaseConnection, contract_id: i64) -> AppResult<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::ContractId.eq(contract_id))
        .order_by_desc(Column::Id)
        .limit(200)
        .all(db)
        .await?)
}

/// One document of `c` and its bytes.
///
/// # Errors
/// `NotFound`; storage and database errors.
pub async fn fetch(
    db: &DatabaseConnection,
    storage: &loco_rs::storage::Storage,
    c: &contracts::Model,
    pid: Uuid,
) -> AppResult<(Model, Vec<u8>)> {
    let m = Entity::find()
        .filter(Column::ContractId.eq(c.id))
        .filter(Column::Pid.eq(pid))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes: Vec<u8> = storage
        .download(std::path::Path::new(&m.storage_key))
        .await
        .map_err(|e| AppError::Internal(format!("storage: {e}")))?;
    Ok((m, bytes))
}

/// A document as uploaded (a multipart body): `kind` and `file`.
#[derive(Debug, Default)]
pub struct Upload {
    pub kind: Option<String>,
    pub file_name: Option<String>,
    pub bytes: Option<Vec<u8>>,
}

impl Upload {
    /// Reads the multipart body; the body's size is limited by its route.
    ///
    /// # Errors
    /// `file` (`error-file-too-large`) when the body cannot be read whole.
    pub async fn read(mut mp: axum::extract::Multipart) -> AppResult<Self> {
        let too_large = || AppError::field("file", "error-file-too-large");
        let mut up = Self::default();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return Err(too_large()),
            };
            match field.name().unwrap_or_default() {
                "file" => {
                    up.file_name = field.file_name().map(str::to_string);
                    up.bytes = Some(field.bytes().await.map_err(|_| too_large())?.to_vec());
                }
                "kind" => up.kind = Some(field.text().await.map_err(|_| too_large())?),
                _ => {}
            }
        }
        Ok(up)
    }
}

/// Reads an upload and stores it as a document of `c` ([`upload`]).
///
/// # Errors
/// As [`Upload::read`] and [`upload`].
pub async fn add(
    db: &DatabaseConnection,
    storage: &loco_rs::storage::Storage,
    actor: &Actor,
    c: &contracts::Model,
    mp: axum::extract::Multipart,
) -> AppResult<Model> {
    let up = Upload::read(mp).await?;
    upload(
        db,
        storage,
        actor,
        c,
        up.kind.as_deref(),
        up.file_name.as_deref(),
        up.bytes,
    )
    .await
}

/// One document of `c` and its bytes, its download audited: which
/// document, never its name (a file name may name a person).
///
/// # Errors
/// `NotFound`; storage and database errors.
pub async fn download(
    db: &DatabaseConnection,
    storage: &loco_rs::storage::Storage,
    actor: &Actor,
    c: &contracts::Model,
    pid: Uuid,
) -> AppResult<(Model, Vec<u8>)> {
    let (m, bytes) = fetch(db, storage, c, pid).await?;
    audit_logs::record_download(
        db,
        actor,
        Action::Download,
        "contract_documents",
        Some(m.pid),
        &serde_json::json!({"contract": c.pid.to_string(), "kind": m.kind, "size": m.size}),
    )
    .await?;
    Ok((m, bytes))
}

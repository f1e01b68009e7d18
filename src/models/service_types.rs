//! The service catalogue (服务类型): codes with a Chinese and an English
//! name, in an order; admins add, rename, reorder and retire them. A
//! retired type is no longer offered for new plans and visit lines, and
//! stays readable on old ones. Codes never change.
pub use super::_entities::service_types::{self, ActiveModel, Column, Entity, Model};
use super::{
    audit_logs::{self, Action},
    Actor,
};
use crate::{
    domain::form::loose,
    domain::{locale::Locale, service_type::valid_code, text},
    errors::{is_unique_violation, AppError, AppResult, FieldErrors},
};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

super::pid_and_timestamps!();

/// The whole catalogue, in order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue(Vec<Model>);

/// One type as a choice on a form.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub code: String,
    pub name: String,
}

impl Catalogue {
    /// # Errors
    /// Database errors.
    pub async fn load<C: ConnectionTrait>(db: &C) -> AppResult<Self> {
        Ok(Self(
            Entity::find()
                .order_by_asc(Column::Position)
                .order_by_asc(Column::Id)
                .all(db)
                .await?,
        ))
    }

    #[must_use]
    pub fn all(&self) -> &[Model] {
        &self.0
    }

    /// Codes offered for new plans and lines.
    #[must_use]
    pub fn offered(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|t| t.active)
            .map(|t| t.code.as_str())
            .collect()
    }

    #[must_use]
    pub fn is_offered(&self, code: &str) -> bool {
        self.0.iter().any(|t| t.active && t.code == code)
    }

    /// What `code` is called in `lang` (the code itself when unknown).
    #[must_use]
    pub fn name(&self, code: &str, lang: Locale) -> String {
        self.0
            .iter()
            .find(|t| t.code == code)
            .map_or_else(|| code.to_string(), |t| name_in(t, lang).to_string())
    }

    /// `{code: name}` of every type, for pages (`service_names[code]`).
    #[must_use]
    pub fn names(&self, lang: Locale) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|t| (t.code.clone(), Value::String(name_in(t, lang).to_string())))
                .collect::<Map<_, _>>(),
        )
    }

    /// The offered types as form choices.
    #[must_use]
    pub fn choices(&self, lang: Locale) -> Vec<Choice> {
        self.0
            .iter()
            .filter(|t| t.active)
            .map(|t| Choice {
                code: t.code.clone(),
                name: name_in(t, lang).to_string(),
            })
            .collect()
    }
}

fn name_in(t: &Model, lang: Locale) -> &str {
    match lang {
        Locale::ZhCn => &t.name_zh,
        Locale::En => &t.name_en,
    }
}

/// A service type as typed into the form or sent to the API. The code is
/// read only when creating.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ServiceTypeParams {
    #[serde(default, deserialize_with = "loose")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub name_zh: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    pub position: Option<String>,
    /// `true`/`false` in JSON, a checkbox (`on`) in a form.
    #[serde(default, deserialize_with = "loose")]
    pub active: Option<String>,
}

struct Checked {
    name_zh: String,
    name_en: String,
    position: Option<i64>,
    active: Option<bool>,
}

fn check(e: &mut FieldErrors, p: &ServiceTypeParams) -> Option<Checked> {
    let name_zh = e.take(
        "name_zh",
        text::required(p.name_zh.as_deref().unwrap_or_default(), 20),
        |x| x.message_key(),
    );
    let name_en = e.take(
        "name_en",
        text::required(p.name_en.as_deref().unwrap_or_default(), 60),
        |x| x.message_key(),
    );
    let position = match p
        .position
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let n = s.parse::<i64>().ok().filter(|n| (1..=999).contains(n));
            if n.is_none() {
                e.add("position", "error-position");
            }
            n
        }
    };
    let active = p
        .active
        .as_deref()
        .map(|a| crate::domain::form::checked(Some(a)));
    Some(Checked {
        name_zh: name_zh?,
        name_en: name_en?,
        position,
        active,
    })
}

impl Model {
    /// Adds a type at the end of the catalogue (or at `position`).
    ///
    /// # Errors
    /// Field errors (bad or taken code, missing names); database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        p: &ServiceTypeParams,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let code = p.code.as_deref().map(str::trim).unwrap_or_default();
        if !valid_code(code) {
            e.add("code", "error-service-code");
        }
        let checked = check(&mut e, p);
        let checked = e.into_result(|| checked)?;
        let txn = db.begin().await?;
        let last = Entity::find()
            .order_by_desc(Column::Position)
            .one(&txn)
            .await?
            .map_or(0, |t| t.position);
        let m = ActiveModel {
            code: Set(code.to_string()),
            name_zh: Set(checked.name_zh),
            name_en: Set(checked.name_en),
            position: Set(checked.position.unwrap_or(last + 1)),
            active: Set(checked.active.unwrap_or(true)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                AppError::field("code", "error-code-taken")
            } else {
                err.into()
            }
        })?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Create,
            "service_types",
            m.pid,
            None,
            Some(&m),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// Renames, moves, retires or brings back a type; the code stays.
    ///
    /// # Errors
    /// Field errors; database errors.
    pub async fn change(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        p: &ServiceTypeParams,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        let checked = check(&mut e, p);
        let checked = e.into_result(|| checked)?;
        let txn = db.begin().await?;
        let mut am: ActiveModel = self.clone().into();
        am.name_zh = Set(checked.name_zh);
        am.name_en = Set(checked.name_en);
        am.position = Set(checked.position.unwrap_or(self.position));
        am.active = Set(checked.active.unwrap_or(self.active));
        let after = am.update(&txn).await?;
        audit_logs::record_change(
            &txn,
            actor,
            Action::Update,
            "service_types",
            after.pid,
            Some(self),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}

/// One type by pid (the catalogue is public to signed-in users).
///
/// # Errors
/// `NotFound`; database errors.
pub async fn load(db: &DatabaseConnection, pid: Uuid) -> AppResult<Model> {
    Entity::find()
        .filter(Column::Pid.eq(pid))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The catalogue a page at a time, in order (retired ones included).
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &DatabaseConnection,
    page: crate::domain::pagination::PageRequest,
) -> AppResult<(Vec<Model>, crate::domain::pagination::PageInfo)> {
    super::fetch_page(
        db,
        Entity::find()
            .order_by_asc(Column::Position)
            .order_by_asc(Column::Id),
        page,
    )
    .await
}

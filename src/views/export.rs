//! Files to download: a contract's fulfilment tables as CSV (UTF-8 with
//! BOM) or XLSX. The rows are built here from the model's report; the
//! handler loads the contract in scope, asks for the file, has its
//! download audited and sends it.
use super::Ref;
use crate::{
    domain::locale::Locale,
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        _entities::{contracts, organizations, recipients, townships},
        audit_logs::{self, Action},
        fulfilment::{self, Report},
        service_types::Catalogue,
        Actor,
    },
};
use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";
pub const PDF: &str = "application/pdf";

/// Recipients' names looked up per statement, at most.
const NAMES_PER_QUERY: usize = 500;

/// A file to download, never cached.
#[derive(Debug)]
pub struct Download {
    pub content_type: &'static str,
    /// The name the browser saves it under.
    pub file: String,
    pub body: Vec<u8>,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.file),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            self.body,
        )
            .into_response()
    }
}

/// A contract code as it may stand in a file name.
#[must_use]
pub fn file_code(code: &str) -> String {
    code.chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
        .collect()
}

/// One of a contract's fulfilment tables, as a file: `items`, `compliance`
/// or `funding`, `.csv` or `.xlsx` (`file` as the URL names it).
#[derive(Debug)]
pub struct Table {
    contract: uuid::Uuid,
    /// `items.csv` and the like.
    name: String,
    rows: usize,
    download: Download,
}

/// The tables there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Items,
    Compliance,
    Funding,
}

impl Kind {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "items" => Some(Self::Items),
            "compliance" => Some(Self::Compliance),
            "funding" => Some(Self::Funding),
            _ => None,
        }
    }
}

impl Table {
    /// Builds the table `file` of `c` as of `today` (`now` separates done
    /// from scheduled): the report once, the names of the recipients short
    /// of the frequency term in batches.
    ///
    /// # Errors
    /// `NotFound` for a table or format there is not; database errors.
    pub async fn load(
        db: &DatabaseConnection,
        lang: Locale,
        c: &contracts::Model,
        file: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let (name, ext) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
        if !["csv", "xlsx"].contains(&ext) {
            return Err(AppError::NotFound);
        }
        let kind = Kind::parse(name).ok_or(AppError::NotFound)?;
        let r = fulfilment::report_with_shortfalls(db, c, today, now).await?;
        let rows = match kind {
            Kind::Items => items(lang, &r, &Catalogue::load(db).await?),
            Kind::Compliance => compliance(lang, &r, &short_names(db, &r).await?),
            Kind::Funding => funding(lang, &r),
        };
        let (body, content_type) = if ext == "xlsx" {
            (
                crate::sheets::write_xlsx(name, &rows).map_err(AppError::Internal)?,
                XLSX,
            )
        } else {
            (crate::sheets::write_csv(&rows), CSV)
        };
        Ok(Self {
            contract: c.pid,
            name: file.to_string(),
            rows: rows.len().saturating_sub(1),
            download: Download {
                content_type,
                file: format!(
                    "{}-{name}-{}.{ext}",
                    file_code(&c.code),
                    today.format("%Y%m%d")
                ),
                body,
            },
        })
    }

    /// Records the download (the file and its row count, nothing personal)
    /// and gives the file to send.
    ///
    /// # Errors
    /// Database errors.
    pub async fn audited(self, db: &DatabaseConnection, actor: &Actor) -> AppResult<Download> {
        audit_logs::record_download(
            db,
            actor,
            Action::Export,
            "contracts",
            Some(self.contract),
            &json!({"file": self.name, "rows": self.rows}),
        )
        .await?;
        Ok(self.download)
    }
}

/// A contract's purchaser (its township) and provider, as `pid` and name.
///
/// # Errors
/// Database errors.
pub async fn parties(
    db: &DatabaseConnection,
    c: &contracts::Model,
) -> AppResult<(Option<Ref>, Option<Ref>)> {
    let town = townships::Entity::find_by_id(c.township_id).one(db).await?;
    let org = organizations::Entity::find_by_id(c.organization_id)
        .one(db)
        .await?;
    Ok((
        town.map(|t| Ref {
            pid: t.pid,
            name: t.name,
        }),
        org.map(|o| Ref {
            pid: o.pid,
            name: o.name,
        }),
    ))
}

/// What an item buys, in words: its service's name or its material.
pub fn item_name(
    names: &Catalogue,
    lang: Locale,
    service: Option<&str>,
    material: Option<&str>,
) -> String {
    match (service, material) {
        (Some(s), _) => names.name(s, lang),
        (_, Some(m)) => t(lang, &format!("material-{m}")),
        _ => String::new(),
    }
}

fn items(lang: Locale, r: &Report, names: &Catalogue) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "contract-item",
        "field-unit",
        "fulfilment-delivered",
        "door-quantity",
        "fulfilment-expected",
        "fulfilment-forecast",
        "fulfilment-value",
    ]
    .iter()
    .map(|k| t(lang, k))
    .chain(["%".to_string(), t(lang, "risks")])
    .collect()];
    for i in &r.items {
        rows.push(vec![
            item_name(
                names,
                lang,
                i.service.as_deref(),
                i.material_category.as_deref(),
            ),
            t(lang, &format!("unit-{}", i.unit)),
            i.shown.delivered.clone(),
            i.shown.quantity.clone(),
            i.shown.expected.clone(),
            i.shown.forecast.clone(),
            i.shown.value.clone(),
            i.percent.to_string(),
            i.risks
                .iter()
                .map(|x| t(lang, &format!("risk-{x}")))
                .collect::<Vec<_>>()
                .join("、"),
        ]);
    }
    rows
}

/// The names of the recipients short of the frequency term, a batch of
/// ids per statement.
async fn short_names(db: &DatabaseConnection, r: &Report) -> AppResult<HashMap<i64, String>> {
    let mut ids: Vec<i64> = r.compliance.short.iter().map(|s| s.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(NAMES_PER_QUERY) {
        out.extend(
            recipients::Entity::find()
                .filter(recipients::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name)),
        );
    }
    Ok(out)
}

fn compliance(lang: Locale, r: &Report, people: &HashMap<i64, String>) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        t(lang, "field-recipient"),
        t(lang, "export-month"),
        t(lang, "fulfilment-completed"),
        t(lang, "field-min-visits-per-month"),
    ]];
    for (who, y, m, done) in &r.compliance.short {
        rows.push(vec![
            people.get(who).cloned().unwrap_or_default(),
            format!("{y}-{m:02}"),
            done.to_string(),
            r.compliance.min_per_month.unwrap_or(0).to_string(),
        ]);
    }
    rows
}

fn funding(lang: Locale, r: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        t(lang, "door-funding"),
        t(lang, "door-donor"),
        t(lang, "fulfilment-value"),
    ]];
    for f in &r.funding {
        rows.push(vec![
            t(lang, &format!("funding-{}", f.funding)),
            f.donor.clone().unwrap_or_default(),
            f.value.clone(),
        ]);
    }
    rows
}

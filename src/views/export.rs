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
    /// The name the browser saves it under, in the reader's language
    /// (Chinese, as a rule).
    pub file: String,
    /// The same file's name in ASCII, for clients that cannot read
    /// `filename*`.
    pub fallback: String,
    pub body: Vec<u8>,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    content_disposition(&self.file, &self.fallback),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            self.body,
        )
            .into_response()
    }
}

/// `attachment` named `file` (RFC 6266: `filename*=UTF-8''` and the
/// name percent-encoded, RFC 8187) with the ASCII `fallback` as
/// `filename=` for older clients.
#[must_use]
pub fn content_disposition(file: &str, fallback: &str) -> String {
    let ascii: String = fallback
        .chars()
        .map(|ch| {
            if ch.is_ascii_graphic() && ch != '"' && ch != '\\' && ch != '%' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file
        .bytes()
        .map(|b| {
            // RFC 8187 attr-char.
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Parts of a file name (without its extension) joined by `_`, without
/// the characters a file system or a browser would refuse
/// (`/ \ : * ? " < > |`, controls) and with spaces as `_`.
#[must_use]
pub fn file_stem(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .filter(|ch| !ch.is_control() && !"/\\:*?\"<>|".contains(*ch))
        .map(|ch| if ch.is_whitespace() { '_' } else { ch })
        .collect()
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
                    "{}.{ext}",
                    file_stem(&[
                        &t(lang, &format!("dash-file-{name}")),
                        &file_code(&c.code),
                        &today.format("%Y%m%d").to_string(),
                    ])
                ),
                fallback: format!(
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

#[cfg(test)]
mod tests {
    use super::{content_disposition, file_stem};
    use rstest::rstest;

    #[rstest]
    #[case::chinese(
        "验收材料_曾口镇_2026年11月.pdf",
        "BZ-acceptance-20261101-20261130.pdf",
        "attachment; filename=\"BZ-acceptance-20261101-20261130.pdf\"; \
         filename*=UTF-8''%E9%AA%8C%E6%94%B6%E6%9D%90%E6%96%99_%E6%9B%BE%E5%8F%A3%E9%95%87_2026%E5%B9%B411%E6%9C%88.pdf"
    )]
    #[case::ascii(
        "items.csv",
        "items.csv",
        "attachment; filename=\"items.csv\"; filename*=UTF-8''items.csv"
    )]
    #[case::quotes_and_spaces_in_the_fallback(
        "a b.csv",
        "a \"b\".csv",
        "attachment; filename=\"a__b_.csv\"; filename*=UTF-8''a%20b.csv"
    )]
    fn names_are_sent_in_utf_8_with_an_ascii_fallback(
        #[case] file: &str,
        #[case] fallback: &str,
        #[case] header: &str,
    ) {
        assert_eq!(content_disposition(file, fallback), header);
    }

    #[rstest]
    #[case(&["验收材料", "曾口镇", "2026年11月"], "验收材料_曾口镇_2026年11月")]
    #[case(&["验收材料", "", "BZ-1", " "], "验收材料_BZ-1")]
    #[case(&["a/b", "c:d e"], "ab_cd_e")]
    fn file_names_join_their_parts_without_what_a_file_system_refuses(
        #[case] parts: &[&str],
        #[case] name: &str,
    ) {
        assert_eq!(file_stem(parts), name);
    }
}

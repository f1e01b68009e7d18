//! An acceptance pack: the accepted figures (from the acceptance's frozen
//! snapshot) and every visit of the period, as rows with a header each,
//! written as XLSX (two sheets) or PDF (three tables). The public edition
//! masks staff, leaves out the person served and any free text its author
//! did not mark public.
use super::export::{file_code, file_stem, item_name, parties, Download, PDF, XLSX};
use crate::{
    domain::{locale::Locale, publication::Edition, visit::VisitStatus},
    errors::{AppError, AppResult},
    i18n::{t, t_args},
    models::{
        _entities::{contracts, users},
        acceptances,
        audit_logs::{self, Action},
        service_types::Catalogue,
        Actor,
    },
    pdf::Signatory,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{json, Value};

/// The files a pack is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Pdf,
}

impl Format {
    const fn ext(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Pdf => "pdf",
        }
    }
}

/// An acceptance pack's contents.
#[derive(Debug)]
pub struct Pack {
    lang: Locale,
    title: String,
    summary: Vec<Vec<String>>,
    visits: Vec<Vec<String>>,
    /// The file name without its extension, in the pack's language
    /// (验收材料_曾口镇_2026年11月_BZ-ZK-2026-001).
    file: String,
    /// The same in ASCII, for clients that cannot read a UTF-8 name.
    fallback: String,
    /// The purchaser (the township's government, its civil-affairs
    /// office) and the provider, to sign and seal the PDF.
    signatories: Vec<Signatory>,
    /// What the audit entry of its download names.
    contract: uuid::Uuid,
    acceptance: uuid::Uuid,
    edition: Edition,
}

/// A snapshot value as a cell.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Pack {
    /// The pack of acceptance `a` of `c` (both already loaded in scope):
    /// the parties, the service names and who accepted, then the period's
    /// visits (`acceptances::period_visits`, batched).
    ///
    /// # Errors
    /// Database errors.
    pub async fn load(
        db: &DatabaseConnection,
        lang: Locale,
        c: &contracts::Model,
        a: &acceptances::Model,
        edition: Edition,
    ) -> AppResult<Self> {
        let (town, org) = parties(db, c).await?;
        let names = Catalogue::load(db).await?;
        let by = users::Entity::find_by_id(a.accepted_by_id)
            .one(db)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let snapshot: Value = serde_json::from_str(&a.snapshot).unwrap_or(Value::Null);
        let [town, org] = [town, org].map(|p| p.map(|p| p.name).unwrap_or_default());
        let signatories = vec![
            Signatory {
                role: t(lang, "dash-pack-purchaser"),
                name: t_args(
                    lang,
                    "dash-pack-purchaser-name",
                    &[("township", town.clone())],
                ),
            },
            Signatory {
                role: t(lang, "dash-pack-provider"),
                name: org.clone(),
            },
        ];
        let file = pack_name(
            lang,
            &town,
            &c.code,
            (a.period_start, a.period_end),
            edition.is_public(),
        );
        let mut summary = figures(lang, c, a, edition, &snapshot, [town, org], &by);
        summary.push(Vec::new());
        summary.extend(items(lang, &snapshot, &names));
        let visits = visits(lang, edition, &acceptances::period_visits(db, c, a).await?);
        Ok(Self {
            lang,
            title: format!("{} · {} {}", t(lang, "pack-title"), c.code, c.title),
            summary,
            visits,
            file,
            signatories,
            fallback: format!(
                "{}-acceptance-{}-{}{}",
                file_code(&c.code),
                a.period_start.format("%Y%m%d"),
                a.period_end.format("%Y%m%d"),
                if edition.is_public() { "-public" } else { "" }
            ),
            contract: c.pid,
            acceptance: a.pid,
            edition,
        })
    }

    /// The pack as a file: XLSX with a summary and a visits sheet, or PDF
    /// (A4, Chinese set in the font built into the binary) where the
    /// summary's figures and items are two tables.
    ///
    /// # Errors
    /// `Internal` when the file cannot be written.
    pub fn write(&self, format: Format) -> AppResult<Download> {
        let lang = self.lang;
        let summary_name = t(lang, "pack-summary-sheet");
        let visits_name = t(lang, "pack-visits-sheet");
        let body = match format {
            Format::Xlsx => crate::sheets::write_xlsx_book(&[
                (summary_name.as_str(), self.summary.as_slice()),
                (visits_name.as_str(), self.visits.as_slice()),
            ]),
            Format::Pdf => {
                // The summary holds the figures, an empty row, then the
                // items: two tables on paper.
                let split = self
                    .summary
                    .iter()
                    .position(Vec::is_empty)
                    .unwrap_or(self.summary.len());
                let (figures, items) = self.summary.split_at(split);
                let items_name = t(lang, "contract-items");
                let words = crate::pdf::SignatureWords {
                    heading: t(lang, "dash-pack-signatures"),
                    signature: t(lang, "dash-pack-signature"),
                    seal: t(lang, "dash-pack-seal"),
                    date: t(lang, "dash-pack-date"),
                };
                crate::pdf::write_pdf(
                    &self.title,
                    &[
                        (summary_name.as_str(), figures),
                        (items_name.as_str(), items.get(1..).unwrap_or_default()),
                        (visits_name.as_str(), self.visits.as_slice()),
                    ],
                    Some((&words, self.signatories.as_slice())),
                )
            }
        }
        .map_err(AppError::Internal)?;
        Ok(Download {
            content_type: match format {
                Format::Xlsx => XLSX,
                Format::Pdf => PDF,
            },
            file: format!("{}.{}", self.file, format.ext()),
            fallback: format!("{}.{}", self.fallback, format.ext()),
            body,
        })
    }

    /// The pack written as `format`, its download recorded just before it
    /// is sent.
    ///
    /// # Errors
    /// `Internal` when the file cannot be written; database errors.
    pub async fn download(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        format: Format,
    ) -> AppResult<Download> {
        let file = self.write(format)?;
        audit_logs::record_download(
            db,
            actor,
            Action::Export,
            "acceptances",
            Some(self.acceptance),
            &json!({"contract": self.contract.to_string(), "file": format!("pack.{}", format.ext()),
                    "public": self.edition.is_public(),
                    "visits": self.visits.len().saturating_sub(1)}),
        )
        .await?;
        Ok(file)
    }
}

/// The accepted figures, a row each, under a header.
fn figures(
    lang: Locale,
    c: &contracts::Model,
    a: &acceptances::Model,
    edition: Edition,
    snapshot: &Value,
    [purchaser, provider]: [String; 2],
    by: &str,
) -> Vec<Vec<String>> {
    // A count and its share of the visits due (the snapshot's counts are
    // named by status, and `late`).
    let counted = |kind: &str| {
        vec![
            t(lang, &format!("fulfilment-{kind}")),
            format!(
                "{} ({}%)",
                text(&snapshot["visits"][kind]),
                text(&snapshot["rates"][kind])
            ),
        ]
    };
    vec![
        vec![t(lang, "pack-field"), t(lang, "pack-value")],
        vec![t(lang, "field-contract-code"), c.code.clone()],
        vec![t(lang, "field-contract-title"), c.title.clone()],
        vec![t(lang, "contract-purchaser"), purchaser],
        vec![t(lang, "contract-provider"), provider],
        vec![
            t(lang, "pack-period"),
            format!("{} – {}", a.period_start, a.period_end),
        ],
        vec![t(lang, "pack-accepted-by"), edition.staff(by)],
        vec![
            t(lang, "pack-accepted-at"),
            a.created_at
                .with_timezone(&crate::zone::display())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ],
        vec![
            t(lang, "acceptance-note"),
            edition
                .free_text(a.note.as_deref(), a.public)
                .unwrap_or_default()
                .to_string(),
        ],
        vec![t(lang, "pack-locked"), a.locked_visits.to_string()],
        vec![t(lang, "fulfilment-due"), text(&snapshot["rates"]["due"])],
        counted(VisitStatus::Completed.as_str()),
        counted(VisitStatus::Missed.as_str()),
        counted("late"),
        vec![t(lang, "fulfilment-compliance"), frequency(lang, snapshot)],
        vec![
            t(lang, "fulfilment-material-service"),
            format!(
                "¥{} + ¥{}",
                text(&snapshot["material_value"]),
                text(&snapshot["service_value"])
            ),
        ],
    ]
}

/// The frequency figure: met of judged person-months and the share, or
/// "nothing due" when no one was judged (not "0 / 0 (100.0%)").
fn frequency(lang: Locale, snapshot: &Value) -> String {
    let judged = &snapshot["compliance"]["judged"];
    if judged.as_i64().unwrap_or(0) == 0 {
        return t(lang, "dash-pack-nothing-due");
    }
    format!(
        "{} / {} ({}%)",
        text(&snapshot["compliance"]["met"]),
        text(judged),
        text(&snapshot["compliance"]["percent"])
    )
}

/// The pack's file name without its extension: what it is, the
/// township, the period (a calendar month as 2026年11月), the contract's
/// code, and whether it is the public edition.
fn pack_name(
    lang: Locale,
    town: &str,
    code: &str,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    public: bool,
) -> String {
    use chrono::Datelike;
    let whole_month = from.day() == 1
        && (from.year(), from.month()) == (to.year(), to.month())
        && crate::domain::fulfilment::month_end(to.year(), to.month()) == to;
    let period = if whole_month {
        t_args(
            lang,
            "dash-file-month",
            &[
                ("year", from.year().to_string()),
                ("month", from.month().to_string()),
                ("mm", format!("{:02}", from.month())),
            ],
        )
    } else {
        t_args(
            lang,
            "dash-file-range",
            &[("from", from.to_string()), ("to", to.to_string())],
        )
    };
    let public = if public {
        t(lang, "dash-file-public")
    } else {
        String::new()
    };
    file_stem(&[
        &t(lang, "dash-file-pack"),
        town,
        &period,
        &file_code(code),
        &public,
    ])
}

/// The accepted items, a row each, under a header.
fn items(lang: Locale, snapshot: &Value, names: &Catalogue) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        t(lang, "contract-item"),
        t(lang, "field-unit"),
        t(lang, "fulfilment-delivered"),
        t(lang, "door-quantity"),
        "%".to_string(),
        t(lang, "fulfilment-value"),
    ]];
    for i in snapshot["items"].as_array().into_iter().flatten() {
        rows.push(vec![
            item_name(
                names,
                lang,
                i["service"].as_str(),
                i["material_category"].as_str(),
            ),
            t(lang, &format!("unit-{}", text(&i["unit"]))),
            text(&i["shown"]["delivered"]),
            text(&i["shown"]["quantity"]),
            text(&i["percent"]),
            text(&i["shown"]["value"]),
        ]);
    }
    rows
}

/// The period's visits, a row each, under a header. The public edition
/// names no person served, not even masked: the column is left out.
fn visits(lang: Locale, edition: Edition, list: &[acceptances::PackVisit]) -> Vec<Vec<String>> {
    let row = |when: String, person: &str, rest: Vec<String>| {
        std::iter::once(when)
            .chain(edition.person_served(person))
            .chain(rest)
            .collect::<Vec<String>>()
    };
    let yes = |b: bool| if b { "✓".to_string() } else { String::new() };
    let mut rows = vec![row(
        t(lang, "visit-when"),
        &t(lang, "field-recipient"),
        [
            "field-worker",
            "field-status",
            "fulfilment-late",
            "fulfilment-exceptions",
            "pack-minutes",
            "pack-material",
            "door-confirmation",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
    )];
    for pv in list {
        rows.push(row(
            pv.starts_at
                .with_timezone(&crate::zone::display())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            &pv.recipient,
            vec![
                edition.staff(&pv.worker),
                t(lang, &format!("visit-status-{}", pv.status)),
                yes(pv.late),
                yes(pv.location_exception),
                pv.service_minutes.to_string(),
                crate::domain::money::format_yuan(pv.material_fen),
                yes(pv.confirmed),
            ],
        ));
    }
    rows
}

/// `masked=1` for the public version.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PackQuery {
    masked: Option<String>,
}

/// The pack of the acceptance `acceptance` of the contract `contract`,
/// both in `scope`, as `format`; its download is audited.
///
/// # Errors
/// 404 for a contract or acceptance out of scope or malformed pids;
/// database errors.
pub async fn download_for(
    db: &DatabaseConnection,
    scope: &crate::policy::Scope,
    actor: &Actor,
    lang: Locale,
    (contract, acceptance): (&str, &str),
    q: &PackQuery,
    format: Format,
) -> AppResult<Download> {
    use crate::web::input::{checked, pid};
    let c = crate::models::contracts::load(db, scope, pid(contract)?).await?;
    let a = acceptances::load(db, &c, pid(acceptance)?).await?;
    let edition = Edition::of_pack(checked(q.masked.as_deref()));
    Pack::load(db, lang, &c, &a, edition)
        .await?
        .download(db, actor, format)
        .await
}

#[cfg(test)]
mod tests {
    use super::{frequency, pack_name};
    use crate::domain::locale::Locale;
    use chrono::NaiveDate;
    use rstest::rstest;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[rstest]
    #[case::a_month(
        Locale::ZhCn,
        "2026-11-01",
        "2026-11-30",
        false,
        "验收材料_曾口镇_2026年11月_BZ-ZK-2026-001"
    )]
    #[case::a_month_public(
        Locale::ZhCn,
        "2026-02-01",
        "2026-02-28",
        true,
        "验收材料_曾口镇_2026年2月_BZ-ZK-2026-001_公开版"
    )]
    #[case::a_quarter(
        Locale::ZhCn,
        "2026-10-01",
        "2026-12-31",
        false,
        "验收材料_曾口镇_2026-10-01至2026-12-31_BZ-ZK-2026-001"
    )]
    #[case::part_of_a_month(
        Locale::ZhCn,
        "2026-11-01",
        "2026-11-15",
        false,
        "验收材料_曾口镇_2026-11-01至2026-11-15_BZ-ZK-2026-001"
    )]
    #[case::english(
        Locale::En,
        "2026-09-01",
        "2026-09-30",
        true,
        "Acceptance_曾口镇_2026-09_BZ-ZK-2026-001_public"
    )]
    fn a_pack_is_named_by_township_and_period(
        #[case] lang: Locale,
        #[case] from: &str,
        #[case] to: &str,
        #[case] public: bool,
        #[case] name: &str,
    ) {
        assert_eq!(
            pack_name(
                lang,
                "曾口镇",
                "BZ-ZK-2026-001",
                (day(from), day(to)),
                public
            ),
            name
        );
    }

    #[rstest]
    #[case::nothing_due(Locale::ZhCn, json!({"met": 0, "judged": 0, "percent": 100.0}), "—（无应访）")]
    #[case::nothing_due_en(Locale::En, json!({"met": 0, "judged": 0, "percent": 100.0}), "— (nothing due)")]
    #[case::some_met(Locale::ZhCn, json!({"met": 2, "judged": 3, "percent": 66.7}), "2 / 3 (66.7%)")]
    #[case::no_snapshot(Locale::ZhCn, json!(null), "—（无应访）")]
    fn the_frequency_figure_says_when_nothing_was_due(
        #[case] lang: Locale,
        #[case] compliance: serde_json::Value,
        #[case] shown: &str,
    ) {
        assert_eq!(frequency(lang, &json!({"compliance": compliance})), shown);
    }
}

//! Importing an official roster: upload (the file is read and its header
//! checked at once), a dry run in a background job (every row checked,
//! counted and reported by row and column), then apply in one transaction,
//! matched by ID number so that re-importing the same file changes nothing.
//! People who were on the roster but are missing from the new file are
//! listed for review, never deleted.
//!
//! A crash loses nothing: the apply is one transaction that first moves
//! the import from applying to applied, so a process killed half-way
//! leaves no household or person behind and the import still applying;
//! `resume_stalled` (the `imports:resume` task, also scheduled) runs it
//! again. Two runs of one import, at once or one after the other, apply
//! it once: the second finds it no longer applying and stops.
pub use super::_entities::recipient_imports::{self, ActiveModel, Column, Entity, Model};
use super::{
    _entities::{recipient_import_files, users, villages},
    audit_logs::{self, Action, Chain},
    fetch_page,
    households::{self, NewHousehold},
    recipients::{self, RecipientFields},
    scoped, Actor,
};
use crate::{
    domain::{
        pagination::{PageInfo, PageRequest},
        recipient::{tags_column, RecipientStatus},
        roster::{self, Column as RosterColumn, HeaderError, HeaderMap, RosterRow},
        text,
    },
    errors::{AppError, AppResult, FieldErrors},
    policy::{Scope, Visible},
    sheets::{self, SheetError},
    vault::Vault,
};
use chrono::NaiveDate;
use sea_orm::{
    entity::prelude::*, ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

super::pid_and_timestamps!();

/// Rows between two progress updates.
const PROGRESS_EVERY: usize = 1000;
/// The states in which a background job is (or should be) at work.
const IN_PROGRESS: [ImportState; 2] = [ImportState::Checking, ImportState::Applying];

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().into()
}
/// Problems kept in the report (the rejected-rows file has them all).
const MAX_LISTED_PROBLEMS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportState {
    Checking,
    Checked,
    Applying,
    Applied,
    Failed,
}

impl ImportState {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Checked => "checked",
            Self::Applying => "applying",
            Self::Applied => "applied",
            Self::Failed => "failed",
        }
    }
}

/// One problem in one cell, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The line in the file (the header is line 1).
    pub row: usize,
    /// The column's header as written in the file.
    pub column: String,
    /// A message id, translated when shown.
    pub message: String,
    /// For "duplicate in file": the line of the first occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_row: Option<usize>,
}

/// A rejected row as it was in the file, with its problems.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectedRow {
    pub row: usize,
    pub cells: Vec<String>,
    pub problems: Vec<Problem>,
}

/// What the dry run (or the apply) found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub header: Vec<String>,
    pub ignored_columns: Vec<String>,
    pub problems: Vec<Problem>,
    pub problems_total: usize,
    pub rejected: Vec<RejectedRow>,
    /// Recipients on this roster who are missing from the file.
    pub vanished: Vec<Uuid>,
}

/// The upload form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ImportParams {
    pub township: Option<String>,
    pub roster: Option<String>,
    pub organization: Option<String>,
}

/// What is needed to start an import, checked.
#[derive(Debug)]
pub struct NewImport {
    pub township_id: i64,
    pub organization_id: Option<i64>,
    pub roster: String,
    pub file_name: String,
    pub content: Vec<u8>,
}

impl NewImport {
    /// Reads the file once to refuse what cannot be a roster (encoding,
    /// size, missing columns) before anything is stored.
    ///
    /// # Errors
    /// Field errors naming the problem.
    pub fn parse(
        township_id: Option<i64>,
        organization_id: Option<i64>,
        roster: Option<&str>,
        file_name: Option<&str>,
        content: Option<Vec<u8>>,
    ) -> AppResult<Self> {
        let mut e = FieldErrors::new();
        if township_id.is_none() {
            e.add("township", "error-choose-township");
        }
        let roster = e.take("roster", text::required(roster.unwrap_or(""), 100), |x| {
            x.message_key()
        });
        let content = match content {
            None => {
                e.add("file", "error-file-missing");
                None
            }
            Some(c) => match sheets::read_table(&c).and_then(|rows| {
                HeaderMap::parse(&rows[0]).map_err(|h| match h {
                    HeaderError::Missing(_) => SheetError::Unreadable("missing".into()),
                    HeaderError::Repeated(_) => SheetError::Unreadable("repeated".into()),
                })
            }) {
                Ok(_) => Some(c),
                Err(SheetError::Unreadable(m)) if m == "missing" => {
                    e.add("file", "error-file-columns-missing");
                    None
                }
                Err(SheetError::Unreadable(m)) if m == "repeated" => {
                    e.add("file", "error-file-column-repeated");
                    None
                }
                Err(err) => {
                    e.add("file", err.message_key());
                    None
                }
            },
        };
        let file_name = file_name
            .map(|n| n.chars().take(200).collect::<String>())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "roster".to_string());
        e.into_result(|| {
            Some(Self {
                township_id: township_id?,
                organization_id,
                roster: roster?,
                file_name,
                content: content?,
            })
        })
    }
}

/// How one valid row compares with the registry.
#[derive(Debug, Clone)]
enum Outcome {
    New,
    Updated(Box<recipients::Model>),
    Unchanged,
}

/// The result of checking every row of a file.
struct Checked {
    report: Report,
    total: usize,
    new: usize,
    updated: usize,
    unchanged: usize,
    /// Valid rows in file order, with what applying them means.
    valid: Vec<(RosterRow, Outcome)>,
    map: HeaderMap,
}

impl Model {
    #[must_use]
    pub fn state(&self) -> ImportState {
        match self.state.as_str() {
            "checking" => ImportState::Checking,
            "checked" => ImportState::Checked,
            "applying" => ImportState::Applying,
            "applied" => ImportState::Applied,
            _ => ImportState::Failed,
        }
    }

    /// Stores the upload and its first state; the caller enqueues the
    /// dry run.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create(
        db: &DatabaseConnection,
        actor: &Actor,
        user_id: i64,
        new: NewImport,
    ) -> AppResult<Self> {
        let txn = db.begin().await?;
        let m = ActiveModel {
            user_id: Set(user_id),
            organization_id: Set(new.organization_id),
            township_id: Set(new.township_id),
            roster: Set(new.roster),
            file_name: Set(new.file_name),
            state: Set(ImportState::Checking.as_str().to_string()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        recipient_import_files::ActiveModel {
            import_id: Set(m.id),
            content: Set(new.content),
            report: Set(None),
        }
        .insert(&txn)
        .await?;
        audit_logs::record(
            &txn,
            actor,
            Action::Import,
            "recipient_imports",
            Some(m.pid),
            &serde_json::json!({"step": "upload", "file_name": m.file_name, "roster": m.roster}),
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    /// The stored report (after the dry run).
    ///
    /// # Errors
    /// Database errors.
    pub async fn report<C: ConnectionTrait>(&self, db: &C) -> AppResult<Report> {
        let report = recipient_import_files::Entity::find_by_id(self.id)
            .select_only()
            .column(recipient_import_files::Column::Report)
            .into_tuple::<Option<String>>()
            .one(db)
            .await?
            .flatten();
        Ok(report
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default())
    }

    /// Marks a checked import for applying; the caller enqueues the job.
    ///
    /// # Errors
    /// A field error when the import is not waiting to be applied.
    pub async fn start_apply(self, db: &DatabaseConnection) -> AppResult<Self> {
        // Only one request wins the change from checked to applying.
        let res = Entity::update_many()
            .col_expr(Column::State, Expr::value(ImportState::Applying.as_str()))
            .col_expr(Column::ProcessedRows, Expr::value(0i64))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(self.id))
            .filter(Column::State.eq(ImportState::Checked.as_str()))
            .exec(db)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::field("base", "error-import-not-ready"));
        }
        Entity::find_by_id(self.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn set_progress(
        &self,
        db: &DatabaseConnection,
        processed: usize,
        total: usize,
    ) -> AppResult<()> {
        // Also the sign of life that `resume_stalled` looks at; never on
        // an import another run has finished meanwhile.
        Entity::update_many()
            .col_expr(Column::ProcessedRows, Expr::value(processed as i64))
            .col_expr(Column::TotalRows, Expr::value(total as i64))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(self.id))
            .filter(Column::State.is_in(IN_PROGRESS.map(ImportState::as_str)))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Records a failure, unless another run finished the import meanwhile.
    async fn fail(&self, db: &DatabaseConnection, message: &str) -> AppResult<()> {
        Entity::update_many()
            .col_expr(Column::State, Expr::value(ImportState::Failed.as_str()))
            .col_expr(
                Column::Error,
                Expr::value(message.chars().take(500).collect::<String>()),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(self.id))
            .filter(Column::State.is_in(IN_PROGRESS.map(ImportState::as_str)))
            .exec(db)
            .await?;
        Ok(())
    }

    async fn importer_scope(&self, db: &DatabaseConnection) -> AppResult<(Scope, Actor)> {
        let user = users::Entity::find_by_id(self.user_id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let towns = super::users::township_ids(db, user.id).await?;
        let actor = Actor {
            user_id: Some(user.id),
            label: user.email.clone(),
            request_id: None,
            ip: None,
        };
        Ok((Scope::new(&user, towns), actor))
    }

    /// Runs the dry run (the background job's work); a failure is stored
    /// on the import, not lost.
    ///
    /// # Errors
    /// Database errors while recording the failure.
    pub async fn run_check(
        self,
        db: &DatabaseConnection,
        vault: &Vault,
        today: NaiveDate,
    ) -> AppResult<()> {
        match self.check(db, vault, today).await {
            Ok(c) => {
                let txn = db.begin().await?;
                if self
                    .save_check(&txn, &c, ImportState::Checking, ImportState::Checked)
                    .await?
                {
                    txn.commit().await?;
                }
                Ok(())
            }
            Err(e) => self.fail(db, &e.to_string()).await,
        }
    }

    /// Moves the import from `from` to `to` with the counts and report of
    /// `c`; `false` (nothing written) when it is no longer in `from`
    /// because another run got there first. Call inside a transaction: on
    /// PostgreSQL the row stays locked until it ends, so a second run
    /// waits and then finds the state moved on.
    async fn save_check<C: ConnectionTrait>(
        &self,
        db: &C,
        c: &Checked,
        from: ImportState,
        to: ImportState,
    ) -> AppResult<bool> {
        let mut update = Entity::update_many()
            .col_expr(Column::State, Expr::value(to.as_str()))
            .col_expr(Column::TotalRows, Expr::value(c.total as i64))
            .col_expr(Column::ProcessedRows, Expr::value(c.total as i64))
            .col_expr(Column::NewCount, Expr::value(c.new as i64))
            .col_expr(Column::UpdatedCount, Expr::value(c.updated as i64))
            .col_expr(Column::UnchangedCount, Expr::value(c.unchanged as i64))
            .col_expr(
                Column::RejectedCount,
                Expr::value(c.report.rejected.len() as i64),
            )
            .col_expr(
                Column::VanishedCount,
                Expr::value(c.report.vanished.len() as i64),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now()));
        if to == ImportState::Applied {
            update = update.col_expr(Column::AppliedAt, Expr::value(now()));
        }
        let res = update
            .filter(Column::Id.eq(self.id))
            .filter(Column::State.eq(from.as_str()))
            .exec(db)
            .await?;
        if res.rows_affected != 1 {
            return Ok(false);
        }
        let mut files = recipient_import_files::Entity::update_many().col_expr(
            recipient_import_files::Column::Report,
            Expr::value(serde_json::to_string(&c.report).unwrap_or_default()),
        );
        if to == ImportState::Applied {
            // The roster (whole ID numbers) is not kept once applied, in
            // the apply's own transaction; the report and counts stay.
            files = files.col_expr(
                recipient_import_files::Column::Content,
                Expr::value(Vec::<u8>::new()),
            );
        }
        files
            .filter(recipient_import_files::Column::ImportId.eq(self.id))
            .exec(db)
            .await?;
        Ok(true)
    }

    async fn check(
        &self,
        db: &DatabaseConnection,
        vault: &Vault,
        today: NaiveDate,
    ) -> AppResult<Checked> {
        let (scope, _) = self.importer_scope(db).await?;
        let content = recipient_import_files::Entity::find_by_id(self.id)
            .select_only()
            .column(recipient_import_files::Column::Content)
            .into_tuple::<Vec<u8>>()
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows = sheets::read_table(&content).map_err(|e| AppError::Internal(e.to_string()))?;
        let header = rows[0].clone();
        let map = HeaderMap::parse(&header).map_err(|e| AppError::Internal(e.to_string()))?;
        let villages: HashMap<String, i64> = villages::Entity::find()
            .filter(villages::Column::TownshipId.eq(self.township_id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.name, v.id))
            .collect();
        let column_header = |c: RosterColumn| {
            map.position(c)
                .and_then(|i| header.get(i))
                .map_or_else(|| c.header().to_string(), |h| roster::clean_cell(h))
        };
        let mut report = Report {
            header: header.clone(),
            ignored_columns: map.ignored.clone(),
            ..Report::default()
        };
        let rows_total = rows.iter().skip(1).filter(|r| !roster::is_blank(r)).count();
        self.set_progress(db, 0, rows_total).await?;
        // First pass: every row on its own.
        let mut parsed: Vec<(usize, RosterRow)> = Vec::new();
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        let mut total = 0usize;
        for (i, cells) in rows.iter().enumerate().skip(1) {
            if roster::is_blank(cells) {
                continue;
            }
            total += 1;
            let line = i + 1;
            let mut problems: Vec<Problem> = Vec::new();
            match roster::parse_row(&map, cells, today) {
                Err(errs) => {
                    for e in errs {
                        problems.push(Problem {
                            row: line,
                            column: column_header(e.column),
                            message: e.message.to_string(),
                            other_row: None,
                        });
                    }
                    let village = map.cell(cells, RosterColumn::Village);
                    if !village.is_empty() && !villages.contains_key(&village) {
                        problems.push(Problem {
                            row: line,
                            column: column_header(RosterColumn::Village),
                            message: "error-unknown-village".into(),
                            other_row: None,
                        });
                    }
                }
                Ok(r) => {
                    if !villages.contains_key(&r.village) {
                        problems.push(Problem {
                            row: line,
                            column: column_header(RosterColumn::Village),
                            message: "error-unknown-village".into(),
                            other_row: None,
                        });
                    }
                    if let Some(first) = first_seen.get(r.id.as_str()) {
                        problems.push(Problem {
                            row: line,
                            column: column_header(RosterColumn::IdNumber),
                            message: "error-duplicate-in-file".into(),
                            other_row: Some(*first),
                        });
                    } else {
                        first_seen.insert(r.id.as_str().to_string(), line);
                    }
                    if problems.is_empty() {
                        parsed.push((line, r));
                    }
                }
            }
            if !problems.is_empty() {
                report.rejected.push(RejectedRow {
                    row: line,
                    cells: cells.clone(),
                    problems,
                });
            }
            if total.is_multiple_of(PROGRESS_EVERY) {
                self.set_progress(db, total * 9 / 10, rows_total).await?;
            }
        }
        // Second pass: compare with the registry, in batches of hashes.
        let hashes: Vec<String> = parsed
            .iter()
            .map(|(_, r)| vault.lookup_hash(&r.id))
            .collect();
        let mut existing: HashMap<String, recipients::Model> = HashMap::new();
        for chunk in hashes.chunks(500) {
            for m in recipients::Entity::find()
                .filter(recipients::Column::IdHash.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                existing.insert(m.id_hash.clone(), m);
            }
        }
        let household_ids: Vec<i64> = existing.values().map(|m| m.household_id).collect();
        let mut households_by_id: HashMap<i64, households::Model> = HashMap::new();
        for chunk in household_ids.chunks(500) {
            for h in households::Entity::find()
                .filter(households::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                households_by_id.insert(h.id, h);
            }
        }
        let (mut new, mut updated, mut unchanged) = (0, 0, 0);
        let mut valid = Vec::with_capacity(parsed.len());
        for ((line, row), hash) in parsed.into_iter().zip(hashes.iter()) {
            match existing.get(hash) {
                None => {
                    new += 1;
                    valid.push((row, Outcome::New));
                }
                Some(m) if !scope.registers_recipient(m) => {
                    report.rejected.push(RejectedRow {
                        row: line,
                        cells: rows[line - 1].clone(),
                        problems: vec![Problem {
                            row: line,
                            column: column_header(RosterColumn::IdNumber),
                            message: "error-registered-elsewhere".into(),
                            other_row: None,
                        }],
                    });
                }
                Some(m) => {
                    let village_id = villages.get(&row.village).copied().unwrap_or_default();
                    let h = households_by_id.get(&m.household_id);
                    if differs(&map, &row, m, h, village_id, &self.roster) {
                        updated += 1;
                        valid.push((row, Outcome::Updated(Box::new(m.clone()))));
                    } else {
                        unchanged += 1;
                        valid.push((row, Outcome::Unchanged));
                    }
                }
            }
        }
        report.rejected.sort_by_key(|r| r.row);
        report.problems_total = report.rejected.iter().map(|r| r.problems.len()).sum();
        report.problems = report
            .rejected
            .iter()
            .flat_map(|r| r.problems.iter().cloned())
            .take(MAX_LISTED_PROBLEMS)
            .collect();
        let hashes: HashSet<String> = hashes.into_iter().collect();
        report.vanished = self.vanished(db, &hashes).await?;
        Ok(Checked {
            report,
            total,
            new,
            updated,
            unchanged,
            valid,
            map,
        })
    }

    /// Active recipients of this township on this roster whose ID numbers
    /// are not in the file.
    async fn vanished<C: ConnectionTrait>(
        &self,
        db: &C,
        in_file: &HashSet<String>,
    ) -> AppResult<Vec<Uuid>> {
        let on_roster = recipients::Entity::find()
            .select_only()
            .column(recipients::Column::Pid)
            .column(recipients::Column::IdHash)
            .filter(recipients::Column::Roster.eq(self.roster.as_str()))
            .filter(recipients::Column::TownshipId.eq(self.township_id))
            .filter(recipients::Column::Status.ne(RecipientStatus::Exited.as_str()))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?;
        Ok(on_roster
            .into_iter()
            .filter(|(_, h)| !in_file.contains(h))
            .map(|(p, _)| p)
            .take(5000)
            .collect())
    }

    /// Applies the valid rows in one transaction (the background job's
    /// work). The rows are checked again first: the registry may have
    /// changed since the dry run. On any failure nothing is imported; when
    /// another run has applied the import already, nothing happens.
    ///
    /// # Errors
    /// Database errors while recording the failure.
    pub async fn run_apply(
        self,
        db: &DatabaseConnection,
        vault: &Vault,
        today: NaiveDate,
    ) -> AppResult<()> {
        let result = async {
            let checked = self.check(db, vault, today).await?;
            self.apply(db, vault, &checked, today).await
        }
        .await;
        match result {
            Ok(applied) => {
                if !applied {
                    tracing::info!(import = %self.pid, "import applied by another run");
                }
                Ok(())
            }
            Err(e) => self.fail(db, &e.to_string()).await,
        }
    }

    /// The apply's transaction: first the import moves from applying to
    /// applied (`false` when another run did that already), then every
    /// change, then one commit.
    async fn apply(
        &self,
        db: &DatabaseConnection,
        vault: &Vault,
        c: &Checked,
        today: NaiveDate,
    ) -> AppResult<bool> {
        let (_, actor) = self.importer_scope(db).await?;
        let villages: HashMap<String, villages::Model> = villages::Entity::find()
            .filter(villages::Column::TownshipId.eq(self.township_id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.name.clone(), v))
            .collect();
        let txn = db.begin().await?;
        if !self
            .save_check(&txn, c, ImportState::Applying, ImportState::Applied)
            .await?
        {
            txn.rollback().await?;
            return Ok(false);
        }
        let mut chain = Chain::default();
        let mut new_rows: Vec<&RosterRow> = Vec::new();
        for (row, outcome) in &c.valid {
            let Some(village) = villages.get(&row.village) else {
                continue;
            };
            let household_fields = NewHousehold {
                township_id: village.township_id,
                village_id: village.id,
                organization_id: self.organization_id,
                address: row.address.clone(),
                phone: row.phone.clone(),
                assistance_status: row.assistance_status,
                status_since: row.status_since,
                status_until: None,
            };
            match outcome {
                Outcome::Unchanged => {}
                Outcome::New => new_rows.push(row),
                Outcome::Updated(existing) => {
                    let household = households::Entity::find_by_id(existing.household_id)
                        .one(&txn)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    let mut new_household = household_fields.clone();
                    new_household.organization_id = household.organization_id;
                    // The phone column is the person's; the household keeps
                    // the number it was registered with.
                    new_household.phone.clone_from(&household.phone);
                    if c.map.position(RosterColumn::AssistanceStatus).is_none() {
                        new_household.assistance_status = household
                            .assistance_status
                            .parse()
                            .unwrap_or(crate::domain::recipient::AssistanceStatus::None);
                    }
                    if c.map.position(RosterColumn::StatusSince).is_none() {
                        new_household.status_since = household.status_since;
                    }
                    new_household.status_until = household.status_until;
                    let household = household
                        .update_in(&txn, &mut chain, &actor, new_household)
                        .await?;
                    let fields = fields_of(&c.map, row, Some(existing));
                    let mut m = existing
                        .clone()
                        .update_in(&txn, &mut chain, &actor, vault, fields, Some(&household))
                        .await?;
                    if m.roster.as_deref() != Some(self.roster.as_str()) {
                        let before = recipients::audit_view(&m);
                        let mut am: recipients::ActiveModel = m.clone().into();
                        am.roster = Set(Some(self.roster.clone()));
                        m = am.update(&txn).await?;
                        chain
                            .append_change(
                                &txn,
                                &actor,
                                Action::Update,
                                "recipients",
                                m.pid,
                                Some(&before),
                                Some(&recipients::audit_view(&m)),
                            )
                            .await?;
                    }
                }
            }
        }
        self.insert_new(
            &txn, &mut chain, &actor, vault, &c.map, &new_rows, &villages, today,
        )
        .await?;
        chain
            .append(
                &txn,
                &actor,
                Action::Import,
                "recipient_imports",
                Some(self.pid),
                &serde_json::json!({
                    "step": "apply",
                    "new": c.new,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "rejected": c.report.rejected.len(),
                    "vanished": c.report.vanished.len(),
                }),
            )
            .await?;
        txn.commit().await?;
        Ok(true)
    }
}

impl Model {
    /// Registers the new people of an import in a few statements per
    /// batch: their households (members with a head-of-household ID join
    /// the head's, in this file or already registered), the people, their
    /// first status and the audit entries, in file order.
    #[allow(clippy::too_many_arguments)]
    async fn insert_new<C: ConnectionTrait>(
        &self,
        db: &C,
        chain: &mut Chain,
        actor: &Actor,
        vault: &Vault,
        map: &HeaderMap,
        rows: &[&RosterRow],
        villages: &HashMap<String, villages::Model>,
        today: NaiveDate,
    ) -> AppResult<()> {
        use super::_entities::{households as hh, recipient_status_changes as rsc};
        const BATCH: usize = 200;
        // Households: by the head's hash (or the person's own).
        let keys: Vec<String> = rows
            .iter()
            .map(|r| vault.lookup_hash(r.head.as_ref().unwrap_or(&r.id)))
            .collect();
        let own: HashSet<String> = rows.iter().map(|r| vault.lookup_hash(&r.id)).collect();
        let outside: Vec<String> = keys
            .iter()
            .filter(|k| !own.contains(*k))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut household_of: HashMap<String, i64> = HashMap::new();
        for chunk in outside.chunks(500) {
            for (hash, household_id) in recipients::Entity::find()
                .select_only()
                .column(recipients::Column::IdHash)
                .column(recipients::Column::HouseholdId)
                .filter(recipients::Column::IdHash.is_in(chunk.to_vec()))
                .into_tuple::<(String, i64)>()
                .all(db)
                .await?
            {
                household_of.insert(hash, household_id);
            }
        }
        let mut new_households: Vec<(String, Uuid, hh::ActiveModel)> = Vec::new();
        let mut planned: HashSet<String> = HashSet::new();
        for (row, key) in rows.iter().zip(&keys) {
            if household_of.contains_key(key) || !planned.insert(key.clone()) {
                continue;
            }
            let Some(village) = villages.get(&row.village) else {
                continue;
            };
            let pid = Uuid::new_v4();
            let mut am: hh::ActiveModel = Default::default();
            NewHousehold {
                township_id: village.township_id,
                village_id: village.id,
                organization_id: self.organization_id,
                address: row.address.clone(),
                phone: row.phone.clone(),
                assistance_status: row.assistance_status,
                status_since: row.status_since,
                status_until: None,
            }
            .apply(&mut am);
            am.pid = Set(pid);
            new_households.push((key.clone(), pid, am));
        }
        let mut household_models: HashMap<i64, hh::Model> = HashMap::new();
        for chunk in new_households.chunks(BATCH) {
            hh::Entity::insert_many(chunk.iter().map(|(_, _, am)| am.clone()))
                .exec(db)
                .await?;
            let pids: Vec<Uuid> = chunk.iter().map(|(_, p, _)| *p).collect();
            let stored: HashMap<Uuid, hh::Model> = hh::Entity::find()
                .filter(hh::Column::Pid.is_in(pids))
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.pid, h))
                .collect();
            let mut entries = Vec::with_capacity(chunk.len());
            for (key, pid, _) in chunk {
                let h = stored.get(pid).ok_or(AppError::NotFound)?;
                household_of.insert(key.clone(), h.id);
                entries.push((
                    Action::Create,
                    "households",
                    h.pid,
                    crate::domain::audit_chain::diff(None, Some(&households::audit_view(h))),
                ));
                household_models.insert(h.id, h.clone());
            }
            chain.append_many(db, actor, entries).await?;
        }
        let missing: Vec<i64> = household_of
            .values()
            .filter(|id| !household_models.contains_key(id))
            .copied()
            .collect();
        for chunk in missing.chunks(500) {
            for h in hh::Entity::find()
                .filter(hh::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                household_models.insert(h.id, h);
            }
        }
        // The people, their first status and their audit entries.
        let people: Vec<(&RosterRow, &hh::Model)> = rows
            .iter()
            .zip(&keys)
            .filter_map(|(r, k)| {
                let h = household_models.get(household_of.get(k)?)?;
                Some((*r, h))
            })
            .collect();
        for chunk in people.chunks(BATCH) {
            let mut pids = Vec::with_capacity(chunk.len());
            let models: Vec<recipients::ActiveModel> = chunk
                .iter()
                .map(|(row, h)| {
                    let pid = Uuid::new_v4();
                    pids.push(pid);
                    let mut am = recipients::ActiveModel {
                        pid: Set(pid),
                        household_id: Set(h.id),
                        township_id: Set(h.township_id),
                        village_id: Set(h.village_id),
                        organization_id: Set(self.organization_id),
                        status: Set(RecipientStatus::Active.as_str().to_string()),
                        status_on: Set(today),
                        roster: Set(Some(self.roster.clone())),
                        ..Default::default()
                    };
                    fields_of(map, row, None).apply(&mut am, vault);
                    am
                })
                .collect();
            recipients::Entity::insert_many(models).exec(db).await?;
            let order: HashMap<Uuid, usize> =
                pids.iter().enumerate().map(|(i, p)| (*p, i)).collect();
            let mut stored: Vec<recipients::Model> = recipients::Entity::find()
                .filter(recipients::Column::Pid.is_in(pids))
                .all(db)
                .await?;
            stored.sort_by_key(|m| order.get(&m.pid).copied().unwrap_or(usize::MAX));
            let statuses: Vec<rsc::ActiveModel> = stored
                .iter()
                .map(|m| rsc::ActiveModel {
                    pid: Set(Uuid::new_v4()),
                    recipient_id: Set(m.id),
                    from_status: Set(None),
                    to_status: Set(RecipientStatus::Active.as_str().to_string()),
                    reason: Set(None),
                    effective_on: Set(today),
                    user_id: Set(actor.user_id),
                    actor_label: Set(actor.label.clone()),
                    ..Default::default()
                })
                .collect();
            rsc::Entity::insert_many(statuses).exec(db).await?;
            let entries = stored
                .iter()
                .map(|m| {
                    (
                        Action::Create,
                        "recipients",
                        m.pid,
                        crate::domain::audit_chain::diff(None, Some(&recipients::audit_view(m))),
                    )
                })
                .collect();
            chain.append_many(db, actor, entries).await?;
        }
        Ok(())
    }
}

/// The recipient fields a roster row sets; columns the file lacks keep
/// what the registry has.
fn fields_of(
    map: &HeaderMap,
    row: &RosterRow,
    existing: Option<&recipients::Model>,
) -> RecipientFields {
    let keep = |c: RosterColumn| map.position(c).is_none();
    let pick = |c: RosterColumn, new: &Option<String>, old: Option<&Option<String>>| {
        if keep(c) {
            old.cloned().flatten()
        } else {
            new.clone()
        }
    };
    let disability = if keep(RosterColumn::DisabilityLevel) {
        existing.and_then(|m| {
            m.disability_level
                .zip(m.disability_type.as_deref().and_then(|t| t.parse().ok()))
        })
    } else {
        row.disability
    };
    let tags = existing
        .map(|m| crate::domain::recipient::parse_tags(m.care_tags.split(',')).unwrap_or_default())
        .unwrap_or_default();
    RecipientFields {
        name: row.name.clone(),
        id: row.id.clone(),
        relation: pick(
            RosterColumn::Relation,
            &row.relation,
            existing.map(|m| &m.relation),
        ),
        phone: pick(RosterColumn::Phone, &row.phone, existing.map(|m| &m.phone)),
        disability,
        guardian_name: pick(
            RosterColumn::GuardianName,
            &row.guardian_name,
            existing.map(|m| &m.guardian_name),
        ),
        guardian_phone: pick(
            RosterColumn::GuardianPhone,
            &row.guardian_phone,
            existing.map(|m| &m.guardian_phone),
        ),
        guardian_relation: pick(
            RosterColumn::GuardianRelation,
            &row.guardian_relation,
            existing.map(|m| &m.guardian_relation),
        ),
        care_needs: pick(
            RosterColumn::CareNeeds,
            &row.care_needs,
            existing.map(|m| &m.care_needs),
        ),
        care_tags: tags,
        location: existing.and_then(|m| m.latitude.zip(m.longitude)),
        consent: existing.and_then(|m| {
            Some(recipients::Consent {
                by: m.consent_by.clone()?,
                relation: if m.consent_relation.as_deref() == Some("guardian") {
                    recipients::ConsentRelation::Guardian
                } else {
                    recipients::ConsentRelation::Own
                },
                on: m.consent_on?,
            })
        }),
    }
}

/// Whether applying `row` would change the stored recipient or household.
fn differs(
    map: &HeaderMap,
    row: &RosterRow,
    m: &recipients::Model,
    h: Option<&households::Model>,
    village_id: i64,
    roster: &str,
) -> bool {
    let f = fields_of(map, row, Some(m));
    let person = m.name != f.name
        || m.relation != f.relation
        || m.phone != f.phone
        || m.disability_level != f.disability.map(|d| d.0)
        || m.disability_type != f.disability.map(|d| d.1.as_str().to_string())
        || m.guardian_name != f.guardian_name
        || m.guardian_phone != f.guardian_phone
        || m.guardian_relation != f.guardian_relation
        || m.care_needs != f.care_needs
        || m.care_tags != tags_column(&f.care_tags)
        || m.roster.as_deref() != Some(roster);
    let home = h.is_none_or(|h| {
        h.village_id != village_id
            || h.address != row.address
            || (map.position(RosterColumn::AssistanceStatus).is_some()
                && h.assistance_status != row.assistance_status.as_str())
            || (map.position(RosterColumn::StatusSince).is_some()
                && h.status_since != row.status_since)
    });
    person || home
}

/// An import `resume_stalled` ran again: which, in what state it was
/// found, and in what state it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub pid: Uuid,
    pub found: &'static str,
    pub state: String,
}

/// Imports left checking or applying and untouched for `stale` — their job
/// died with its process (a crash, `kill -9`, a deploy) — run again, oldest
/// first, at most 20 per call: the dry run again, or the apply (its
/// re-check and one transaction). An import still at work elsewhere
/// stays correct: its progress keeps it fresh, and if run twice only one
/// apply commits.
///
/// # Errors
/// Database errors.
pub async fn resume_stalled(
    db: &DatabaseConnection,
    vault: &Vault,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    stale: chrono::Duration,
) -> AppResult<Vec<Resumed>> {
    let stalled: Vec<Model> = Entity::find()
        .filter(Column::State.is_in(IN_PROGRESS.map(ImportState::as_str)))
        .order_by_asc(Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| m.updated_at.with_timezone(&chrono::Utc) + stale <= now)
        .take(20)
        .collect();
    let mut resumed = Vec::with_capacity(stalled.len());
    for import in stalled {
        let (id, pid) = (import.id, import.pid);
        let found = import.state();
        tracing::info!(import = %pid, state = found.as_str(), "resuming a stalled import");
        match found {
            ImportState::Applying => import.run_apply(db, vault, today).await?,
            _ => import.run_check(db, vault, today).await?,
        }
        let state = Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.state)
            .unwrap_or_default();
        resumed.push(Resumed {
            pid,
            found: found.as_str(),
            state,
        });
    }
    Ok(resumed)
}

/// How many days an uploaded roster that was never applied is kept
/// (`settings.roster_retention_days`, 1 to 3650, default 30).
#[must_use]
pub fn retention_days(settings: Option<&serde_json::Value>) -> i64 {
    settings
        .and_then(|s| s.get("roster_retention_days"))
        .and_then(serde_json::Value::as_i64)
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(30)
}

/// Clears the cells of the rejected rows kept in the reports of imports
/// uploaded more than `keep_days` ago, at most 500 per call. Those cells
/// are the rows as uploaded, whole ID numbers included, kept so that they
/// can be downloaded, fixed and uploaded again; after the retention only
/// their line numbers and problems stay. Each clearing is one transaction
/// with its audit entry. Returns the imports cleared.
///
/// # Errors
/// Database errors.
pub async fn purge_rejected_rows(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    keep_days: i64,
) -> AppResult<Vec<Uuid>> {
    let cutoff =
        chrono::DateTime::<chrono::FixedOffset>::from(now - chrono::Duration::days(keep_days));
    let candidates: Vec<(i64, Uuid)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Pid)
        .inner_join(recipient_import_files::Entity)
        .filter(Column::CreatedAt.lt(cutoff))
        .filter(recipient_import_files::Column::Report.like("%\"cells\":[\"%"))
        .order_by_asc(Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let actor = Actor::system("imports:purge");
    let mut cleared = Vec::with_capacity(candidates.len());
    for (id, pid) in candidates {
        let txn = db.begin().await?;
        let Some(file) = recipient_import_files::Entity::find_by_id(id)
            .one(&txn)
            .await?
        else {
            txn.rollback().await?;
            continue;
        };
        let Some(mut report) = file
            .report
            .as_deref()
            .and_then(|r| serde_json::from_str::<Report>(r).ok())
        else {
            txn.rollback().await?;
            continue;
        };
        let rows = report.rejected.len();
        for r in &mut report.rejected {
            r.cells.clear();
        }
        recipient_import_files::Entity::update_many()
            .col_expr(
                recipient_import_files::Column::Report,
                Expr::value(serde_json::to_string(&report).unwrap_or_default()),
            )
            .filter(recipient_import_files::Column::ImportId.eq(id))
            .exec(&txn)
            .await?;
        audit_logs::record(
            &txn,
            &actor,
            Action::Update,
            "recipient_import_files",
            Some(pid),
            &serde_json::json!({
                "rejected_rows": rows,
                "cells": "cleared",
                "reason": format!("older than {keep_days} days"),
            }),
        )
        .await?;
        txn.commit().await?;
        cleared.push(pid);
    }
    Ok(cleared)
}

/// Deletes the uploaded file of every import that was checked (or failed)
/// but never applied and was uploaded more than `keep_days` ago, at most
/// 500 per call; the import row, its counts and its report stay. An
/// import still waiting to be applied is marked failed. Each deletion is
/// one transaction with its audit entry. Returns the imports purged.
///
/// # Errors
/// Database errors.
pub async fn purge_unapplied(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    keep_days: i64,
) -> AppResult<Vec<Uuid>> {
    let cutoff =
        chrono::DateTime::<chrono::FixedOffset>::from(now - chrono::Duration::days(keep_days));
    let waiting = [ImportState::Checked, ImportState::Failed].map(ImportState::as_str);
    let candidates: Vec<(i64, Uuid)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Pid)
        .inner_join(recipient_import_files::Entity)
        .filter(Column::State.is_in(waiting))
        .filter(Column::CreatedAt.lt(cutoff))
        .filter(recipient_import_files::Column::Content.ne(Vec::<u8>::new()))
        .order_by_asc(Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let actor = Actor::system("imports:purge");
    let mut purged = Vec::with_capacity(candidates.len());
    for (id, pid) in candidates {
        let txn = db.begin().await?;
        // Only while it is still unapplied: an apply that won meanwhile
        // deletes the file itself.
        let marked = Entity::update_many()
            .col_expr(Column::State, Expr::value(ImportState::Failed.as_str()))
            .col_expr(
                Column::Error,
                Expr::value(format!(
                    "roster file deleted: not applied within {keep_days} days"
                )),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::State.is_in(waiting))
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            txn.rollback().await?;
            continue;
        }
        recipient_import_files::Entity::update_many()
            .col_expr(
                recipient_import_files::Column::Content,
                Expr::value(Vec::<u8>::new()),
            )
            .filter(recipient_import_files::Column::ImportId.eq(id))
            .exec(&txn)
            .await?;
        audit_logs::record(
            &txn,
            &actor,
            Action::Delete,
            "recipient_import_files",
            Some(pid),
            &serde_json::json!({
                "roster_file": "deleted",
                "reason": format!("not applied within {keep_days} days"),
            }),
        )
        .await?;
        txn.commit().await?;
        purged.push(pid);
    }
    Ok(purged)
}

/// # Errors
/// `NotFound` when missing or out of scope: an import is seen by its
/// importer and by admins.
pub async fn load(db: &DatabaseConnection, scope: &Scope, pid: Uuid) -> AppResult<Model> {
    let mut q = Entity::find().filter(Column::Pid.eq(pid));
    if !scope.is_admin() {
        q = q.filter(Column::UserId.eq(scope.user_id));
    }
    if !scope.may_register_recipients() {
        return Err(AppError::NotFound);
    }
    super::find_scoped(db, Some(q)).await
}

/// The caller's imports (all of them for an admin), newest first.
///
/// # Errors
/// `NotFound` for callers who may not import.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    page: PageRequest,
) -> AppResult<(Vec<Model>, PageInfo)> {
    if !scope.may_register_recipients() {
        return Err(AppError::NotFound);
    }
    let mut q = Entity::find();
    if !scope.is_admin() {
        q = q.filter(Column::UserId.eq(scope.user_id));
    }
    let q = scoped(q, Visible::All).ok_or(AppError::NotFound)?;
    fetch_page(db, q.order_by_desc(Column::Id), page).await
}

impl Model {
    /// Enqueues the dry run.
    ///
    /// # Errors
    /// When the job cannot be enqueued (the import is marked failed).
    pub async fn check_later(&self, ctx: &loco_rs::app::AppContext) -> AppResult<()> {
        self.enqueue(ctx, false).await
    }

    /// Enqueues applying the checked rows.
    ///
    /// # Errors
    /// When the job cannot be enqueued (the import is marked failed).
    pub async fn apply_later(&self, ctx: &loco_rs::app::AppContext) -> AppResult<()> {
        self.enqueue(ctx, true).await
    }

    async fn enqueue(&self, ctx: &loco_rs::app::AppContext, apply: bool) -> AppResult<()> {
        use crate::workers::recipient_import::{RecipientImportWorker, RecipientImportWorkerArgs};
        use loco_rs::bgworker::BackgroundWorker;
        let args = RecipientImportWorkerArgs {
            import_id: self.id,
            apply,
        };
        if let Err(e) = RecipientImportWorker::perform_later(ctx, args).await {
            self.fail(&ctx.db, &e.to_string()).await?;
            return Err(AppError::Internal(e.to_string()));
        }
        Ok(())
    }
}

/// An upload as it arrived: the form's text fields and the file.
#[derive(Debug, Default)]
pub struct Upload {
    pub params: ImportParams,
    pub file_name: Option<String>,
    pub content: Option<Vec<u8>>,
}

/// Checks an upload against the caller's scope, stores it and starts its
/// dry run.
///
/// # Errors
/// `NotFound` for callers who may not import; field errors; database
/// errors.
pub async fn start(
    ctx: &loco_rs::app::AppContext,
    scope: &Scope,
    actor: &Actor,
    user_id: i64,
    up: Upload,
) -> AppResult<Model> {
    if !scope.may_register_recipients() {
        return Err(AppError::NotFound);
    }
    let town = recipients::township_of(&ctx.db, scope, up.params.township.as_deref()).await?;
    let organization_id = match scope.own_organization() {
        Some(o) => Some(o),
        None => match up
            .params
            .organization
            .as_deref()
            .map(|p| Uuid::parse_str(p.trim()))
        {
            Some(Ok(p)) => Some(super::organizations::load(&ctx.db, scope, p).await?.id),
            Some(Err(_)) => {
                return Err(AppError::field("organization", "error-choose-organization"))
            }
            None => None,
        },
    };
    let new = NewImport::parse(
        town.map(|t| t.id),
        organization_id,
        up.params.roster.as_deref(),
        up.file_name.as_deref(),
        up.content,
    )?;
    let import = Model::create(&ctx.db, actor, user_id, new).await?;
    import.check_later(ctx).await?;
    Ok(import)
}

impl Model {
    /// The import as stored now (a job may have moved it on).
    ///
    /// # Errors
    /// `NotFound` when it is gone; database errors.
    pub async fn reload<C: ConnectionTrait>(&self, db: &C) -> AppResult<Self> {
        Entity::find_by_id(self.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Records in the audit log that the rejected rows were downloaded.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_rejected_download(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        ext: &str,
        rows: usize,
    ) -> AppResult<()> {
        audit_logs::record_download(
            db,
            actor,
            Action::Export,
            "recipient_imports",
            Some(self.pid),
            &serde_json::json!({"file": format!("rejected.{ext}"), "rows": rows}),
        )
        .await
    }
}

impl Model {
    /// Marks a checked import for applying and enqueues the job.
    ///
    /// # Errors
    /// As `start_apply` and `apply_later`.
    pub async fn begin_apply(self, ctx: &loco_rs::app::AppContext) -> AppResult<Self> {
        let import = self.start_apply(&ctx.db).await?;
        import.apply_later(ctx).await?;
        Ok(import)
    }
}

//! A contract and its implementation as an OCDS 1.1 release package. It
//! is public by design: no personal data (the parties are the township
//! and the provider), an amendment's reason and an acceptance's note only
//! when their author marked them public.
use super::export::parties;
use crate::{
    domain::{locale::Locale, publication::Edition},
    errors::AppResult,
    models::{
        _entities::contracts,
        acceptances,
        audit_logs::{self, Action},
        contract_amendments,
        contracts::items_of,
        milestones, payments,
        service_types::Catalogue,
        Actor,
    },
};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

/// The OCDS release is public by design: free text only when marked public.
const PUBLIC: Edition = Edition::Public;

/// Money as OCDS writes it.
fn value(fen: i64) -> Value {
    json!({"amount": fen as f64 / 100.0, "currency": "CNY"})
}

/// A release package, built and not yet handed out.
#[derive(Debug)]
pub struct Release {
    contract: uuid::Uuid,
    package: Value,
}

impl Release {
    /// Records the download (a release is an export like the others) and
    /// gives the package to send.
    ///
    /// # Errors
    /// Database errors.
    pub async fn audited(self, db: &DatabaseConnection, actor: &Actor) -> AppResult<Value> {
        audit_logs::record_download(
            db,
            actor,
            Action::Export,
            "contracts",
            Some(self.contract),
            &json!({"file": "ocds"}),
        )
        .await?;
        Ok(self.package)
    }
}

/// The release package of `c` as published at `now`: one statement per
/// related table (parties, items, milestones, amendments, acceptances,
/// payments), whatever their number.
///
/// # Errors
/// Database errors.
pub async fn release(
    db: &DatabaseConnection,
    c: &contracts::Model,
    now: DateTime<Utc>,
) -> AppResult<Release> {
    let (town, org) = parties(db, c).await?;
    let names = Catalogue::load(db).await?;
    let lang = Locale::ZhCn;
    let buyer = town.as_ref().map(|t| json!({"id": t.pid, "name": t.name}));
    let supplier = org.as_ref().map(|o| json!({"id": o.pid, "name": o.name}));
    let method = match c.procurement_method.as_str() {
        "public_tender" => "open",
        "invited_tender" => "selective",
        "single_source" => "direct",
        _ => "limited",
    };
    let items: Vec<Value> = items_of(db, c.id)
        .await?
        .iter()
        .map(|i| {
            let (scheme, code, description) = match (&i.service, &i.material_category) {
                (Some(s), _) => ("x-doudi-service", s.clone(), names.name(s, lang)),
                (_, Some(m)) => (
                    "x-doudi-material",
                    m.clone(),
                    crate::i18n::t(lang, &format!("material-{m}")),
                ),
                _ => ("x-doudi", String::new(), String::new()),
            };
            json!({
                "id": i.pid, "description": description,
                "classification": {"scheme": scheme, "id": code},
                "quantity": i.quantity_milli as f64 / 1000.0,
                "unit": {"name": i.unit, "value": value(i.unit_price_fen)},
            })
        })
        .collect();
    let milestones: Vec<Value> = milestones::of_contract(db, c.id)
        .await?
        .iter()
        .map(|m| {
            json!({
                "id": m.pid, "title": m.title, "type": "payment", "dueDate": m.due_on,
                "status": match m.status.as_str() {
                    "met" => "met", "not_met" => "notMet", "partially_met" => "partiallyMet",
                    _ => "scheduled",
                },
                "value": value(m.amount_fen),
            })
        })
        .collect();
    let amendments: Vec<Value> = contract_amendments::of_contract(db, c)
        .await?
        .into_iter()
        .filter(|a| a.status == "approved")
        .map(|a| {
            let mut m = json!({"id": a.pid, "date": a.decided_at,
                               "description": format!("v{}", a.version.unwrap_or_default())});
            if let Some(why) = PUBLIC.free_text(Some(&a.reason), a.public) {
                m["rationale"] = json!(why);
            }
            m
        })
        .collect();
    // The acceptances as `acceptances::of_contract` lists them (newest
    // period first, at most 200), without who accepted: one statement.
    let deliveries: Vec<Value> = acceptances::Entity::find()
        .filter(acceptances::Column::ContractId.eq(c.id))
        .order_by_desc(acceptances::Column::PeriodEnd)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let mut m = json!({"id": a.pid, "title": format!("{} – {}", a.period_start, a.period_end),
                               "type": "delivery", "status": "met", "dateMet": a.created_at});
            if let Some(note) = PUBLIC.free_text(a.note.as_deref(), a.public) {
                m["description"] = json!(note);
            }
            m
        })
        .collect();
    let transactions: Vec<Value> = payments::shown(db, c.id)
        .await?
        .into_iter()
        .map(|p| {
            let mut t = json!({
                "id": p.pid, "source": format!("/api/v1/contracts/{}/payments", c.pid),
                "date": p.paid_on, "value": value(p.amount_fen),
                "payer": buyer.as_ref().map(|b| json!({"id": b["id"], "name": b["name"]})),
                "payee": supplier.as_ref().map(|s| json!({"id": s["id"], "name": s["name"]})),
            });
            if let (Some(m), Some(title)) = (p.milestone, p.milestone_title) {
                t["relatedImplementationMilestone"] = json!({"id": m, "title": title});
            }
            t
        })
        .collect();
    let mut tags = vec!["contract", "implementation"];
    if c.version > 1 {
        tags.push("contractAmendment");
    }
    let package = json!({
        "uri": format!("/api/v1/contracts/{}/ocds", c.pid),
        "version": "1.1",
        "publishedDate": now,
        "publisher": {"name": town.as_ref().map(|t| t.name.clone())},
        "releases": [{
            "ocid": format!("ocds-doudi-{}", c.pid),
            "id": format!("{}-v{}", c.pid, c.version),
            "date": c.updated_at,
            "tag": tags,
            "initiationType": "tender",
            "language": "zh",
            "parties": [
                buyer.clone().map(|mut b| { b["roles"] = json!(["buyer", "procuringEntity"]); b }),
                supplier.clone().map(|mut s| { s["roles"] = json!(["supplier"]); s }),
            ],
            "buyer": buyer,
            "tender": {"id": c.code, "procurementMethod": method,
                       "procurementMethodDetails": c.procurement_method},
            "awards": [{"id": format!("{}-award", c.code), "status": "active",
                        "suppliers": [supplier], "value": value(c.total_fen)}],
            "contracts": [{
                "id": c.code, "awardID": format!("{}-award", c.code), "title": c.title,
                "description": c.content,
                "status": match c.status.as_str() { "active" => "active", "closed" => "terminated", _ => "pending" },
                "period": {"startDate": c.starts_on, "endDate": c.ends_on},
                "value": value(c.total_fen), "dateSigned": c.signed_on,
                "items": items, "milestones": milestones, "amendments": amendments,
                "implementation": {"transactions": transactions, "milestones": deliveries},
            }],
        }],
    });
    Ok(Release {
        contract: c.pid,
        package,
    })
}

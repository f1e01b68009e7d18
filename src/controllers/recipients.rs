//! Recipients (救助对象): list with filters and search, detail with the
//! household and history, register and edit, status changes, revealing an
//! ID number (with a reason, audited) and exporting the filtered list.
use super::{
    invalid_or, merge, require,
    villages::{township_of, township_pid_of_village},
};
use crate::{
    domain::{
        name_search::Query,
        recipient::{AssistanceStatus, CareTag, Category, DisabilityType, RecipientStatus},
    },
    errors::{AppError, AppResult},
    i18n::t,
    models::{
        audit_logs, households, organizations,
        recipients::{self, params_of, RecipientFilter, RecipientParams, Registration},
        today, townships, villages,
    },
    policy::Scope,
    sheets,
    vault::Vault,
    views::{
        recipients::{HouseholdJson, RecipientJson, StatusChangeJson},
        AuditJson, OrganizationJson, TownshipJson,
    },
    web::{
        input::{pid, ListQuery, QueryParams},
        render::redirect_flash,
        FormData, Page, Viewer,
    },
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

/// Builds the list filter from a query string; filters naming something
/// outside the caller's scope are ignored (the scope still applies).
///
/// # Errors
/// Database errors.
pub async fn filter_of(
    db: &DatabaseConnection,
    scope: &Scope,
    q: &ListQuery,
) -> AppResult<RecipientFilter> {
    let town = township_of(db, scope, ListQuery::get(q.township.as_ref())).await?;
    let village = recipients::village_of(db, scope, ListQuery::get(q.village.as_ref())).await?;
    let parse = |v: Option<&String>| ListQuery::get(v).map(str::to_string);
    Ok(RecipientFilter {
        township_id: town.map(|t| t.id),
        village_id: village.map(|v| v.id),
        category: parse(q.category.as_ref()).and_then(|c| c.parse::<Category>().ok()),
        status: parse(q.status.as_ref()).and_then(|c| c.parse::<RecipientStatus>().ok()),
        assistance_status: parse(q.assistance_status.as_ref())
            .and_then(|c| c.parse::<AssistanceStatus>().ok()),
        care_tag: parse(q.tag.as_ref()).and_then(|c| c.parse::<CareTag>().ok()),
        query: ListQuery::get(q.q.as_ref()).and_then(Query::parse),
    })
}

/// The choices of the filter and form select boxes.
async fn choices(
    ctx: &AppContext,
    v: &Viewer,
    township: Option<&str>,
) -> AppResult<serde_json::Value> {
    let towns: Vec<TownshipJson> = if matches!(v.scope.townships(), crate::policy::Visible::Nothing)
    {
        Vec::new()
    } else {
        townships::options(&ctx.db, &v.scope)
            .await?
            .iter()
            .map(TownshipJson::from)
            .collect()
    };
    let town = township_of(&ctx.db, &v.scope, township).await?;
    let village_list = match &town {
        Some(t) => villages::of_township(&ctx.db, t.id).await?,
        None => Vec::new(),
    };
    let villages_json: Vec<serde_json::Value> = village_list
        .iter()
        .map(|vl| json!({"pid": vl.pid, "name": vl.name}))
        .collect();
    let orgs: Vec<OrganizationJson> = if v.scope.is_admin() {
        organizations::options(&ctx.db, &v.scope)
            .await?
            .iter()
            .map(OrganizationJson::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "townships": towns,
        "villages": villages_json,
        "organizations": orgs,
        "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "statuses": RecipientStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "assistance_statuses": AssistanceStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "care_tags": CareTag::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "disability_types": DisabilityType::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }))
}

async fn list(
    State(ctx): State<AppContext>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    QueryParams(q): QueryParams<ListQuery>,
) -> AppResult<Response> {
    let filter = filter_of(&ctx.db, &v.scope, &q).await?;
    // A refused search by ID end shows the list page with the reason
    // under the box (422 or 429), not an error page.
    let refused = match recipients::allow_id_search(
        &ctx.db,
        &v.scope,
        &v.actor,
        &filter,
        crate::web::csrf::is_cross_site(&headers),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(()) => None,
        Err(e @ (AppError::Invalid(_) | AppError::Limited(_) | AppError::Forbidden)) => Some(e),
        Err(e) => return Err(e),
    };
    let day = today();
    let (rows, page) = if refused.is_some() {
        (
            Vec::new(),
            crate::domain::pagination::PageInfo::new(q.page(), 0),
        )
    } else {
        recipients::list(&ctx.db, &v.scope, &filter, day, q.page()).await?
    };
    let show_id = v.scope.sees_id_numbers();
    let items: Vec<RecipientJson> = rows
        .iter()
        .map(|r| RecipientJson::from_row(r, show_id, day))
        .collect();
    let data = json!({
        "items": items,
        "page": page,
        "query": q,
        "base_query": q.without_page(),
        "may_register": v.scope.may_register_recipients(),
        "may_reveal_export": v.scope.may_reveal_id(v.scope.own_organization()) || v.scope.is_admin(),
    });
    let choices = choices(&ctx, &v, ListQuery::get(q.township.as_ref())).await?;
    let mut data = merge(data, choices);
    let status = refused.map_or(StatusCode::OK, |e| {
        data["search_error"] = json!(match &e {
            AppError::Invalid(_) => t(v.lang, "error-id-search-not-allowed"),
            _ => t(v.lang, e.message_key()),
        });
        e.status()
    });
    Ok(Page::new("recipients/list.html", data)
        .status(status)
        .render(&v))
}

async fn show(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let day = today();
    let household = households::Entity::find_by_id(r.household_id)
        .one(&ctx.db)
        .await?;
    let village = villages::Entity::find_by_id(r.village_id)
        .one(&ctx.db)
        .await?;
    let township = townships::Entity::find_by_id(r.township_id)
        .one(&ctx.db)
        .await?;
    let show_id = v.scope.sees_id_numbers();
    let members: Vec<RecipientJson> = match &household {
        Some(h) => h
            .members(&ctx.db)
            .await?
            .iter()
            .filter(|m| m.id != r.id)
            .map(|m| RecipientJson::new(m, None, None, show_id, day))
            .collect(),
        None => Vec::new(),
    };
    let history: Vec<StatusChangeJson> = r
        .status_history(&ctx.db)
        .await?
        .iter()
        .map(StatusChangeJson::from)
        .collect();
    let plans: Vec<crate::views::recipients::PlanJson> = match crate::models::service_plans::list(
        &ctx.db,
        &v.scope,
        Some(r.id),
        crate::domain::pagination::PageRequest::parse(None, Some("20")),
    )
    .await
    {
        Ok((rows, _)) => rows
            .iter()
            .map(|p| crate::views::recipients::PlanJson::new(p, None))
            .collect(),
        Err(AppError::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    // The record's own history (which fields changed, when, by whom);
    // the audit log's reads (reveals and their reasons) only for admins,
    // who read the audit log itself.
    let changes: Vec<AuditJson> = audit_logs::for_entity(&ctx.db, "recipients", r.pid, 50)
        .await?
        .iter()
        .filter(|c| {
            v.scope.is_admin() || ["create", "update", "delete"].contains(&c.action.as_str())
        })
        .map(AuditJson::from)
        .collect();
    Ok(Page::new(
        "recipients/show.html",
        json!({
            "recipient": RecipientJson::new(&r, household.as_ref(), village.as_ref(), show_id, day),
            "township": township.map(|t| json!({"pid": t.pid, "name": t.name})),
            "members": members,
            "plans": plans,
            "may_plan": v.scope.may_manage_plans(),
            "history": history,
            "changes": changes,
            "may_edit": v.scope.may_register_recipients(),
            "may_reveal": v.scope.may_reveal_id(r.organization_id),
            "statuses": RecipientStatus::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "today": day,
            "errors": {},
            "service_names": crate::models::service_types::Catalogue::load(&ctx.db)
                .await?
                .names(v.lang),
        }),
    )
    .render(&v))
}

#[allow(clippy::too_many_arguments)]
async fn form(
    ctx: &AppContext,
    v: &Viewer,
    action: String,
    params: &RecipientParams,
    household: Option<HouseholdJson>,
    errors: serde_json::Value,
    status: StatusCode,
    township: Option<String>,
) -> AppResult<Response> {
    // The village list follows the township chosen (a page without
    // JavaScript reloads with it) or the village already in the form.
    let town_pid = match (township, params.village.as_deref()) {
        (Some(t), _) => Some(t),
        (None, Some(vp)) => township_pid_of_village(&ctx.db, &v.scope, vp).await?,
        (None, None) => None,
    };
    let choices = choices(ctx, v, town_pid.as_deref()).await?;
    let data = json!({
        "action": action,
        "form": params,
        "household": household,
        "errors": errors,
        "township": town_pid,
        "is_new": household.is_none() && action == "/recipients",
    });
    Ok(Page::new("recipients/form.html", merge(data, choices))
        .status(status)
        .render(v))
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    household: Option<String>,
    township: Option<String>,
}

async fn new(
    State(ctx): State<AppContext>,
    v: Viewer,
    QueryParams(q): QueryParams<NewQuery>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let household = match q.household.as_deref() {
        Some(h) => Some(households::load(&ctx.db, &v.scope, pid(h)?).await?),
        None => None,
    };
    let params = RecipientParams {
        household: household.as_ref().map(|h| h.pid.to_string()),
        ..Default::default()
    };
    let hjson = household
        .as_ref()
        .map(|h| HouseholdJson::new(h, None, None));
    form(
        &ctx,
        &v,
        "/recipients".into(),
        &params,
        hjson,
        json!({}),
        StatusCode::OK,
        q.township,
    )
    .await
}

async fn add(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let vault = Vault::of(&ctx)?;
    let day = today();
    let result = async {
        Registration::parse(&ctx.db, &v.scope, &p, day)
            .await?
            .save(&ctx.db, &v.actor, &vault, day)
            .await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(r) => Ok(redirect_flash(
            &format!("/recipients/{}", r.pid),
            "flash-saved",
        )),
        Err(errors) => {
            let household = match p.household.as_deref().map(pid) {
                Some(Ok(h)) => households::load(&ctx.db, &v.scope, h)
                    .await
                    .ok()
                    .map(|h| HouseholdJson::new(&h, None, None)),
                _ => None,
            };
            form(
                &ctx,
                &v,
                "/recipients".into(),
                &p,
                household,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

async fn edit(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let household = households::Entity::find_by_id(r.household_id)
        .one(&ctx.db)
        .await?;
    form(
        &ctx,
        &v,
        format!("/recipients/{}", r.pid),
        &params_of(&r),
        household
            .as_ref()
            .map(|h| HouseholdJson::new(h, None, None)),
        json!({"id_masked": r.id_masked}),
        StatusCode::OK,
        None,
    )
    .await
}

async fn update(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<RecipientParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let vault = Vault::of(&ctx)?;
    let household = households::Entity::find_by_id(r.household_id)
        .one(&ctx.db)
        .await?;
    let action = format!("/recipients/{}", r.pid);
    let masked = r.id_masked.clone();
    let result = async {
        let fields = r.parse_edit(&vault, &p, today())?;
        r.update(&ctx.db, &v.actor, &vault, fields).await
    }
    .await;
    match invalid_or(result, v.lang)? {
        Ok(r) => Ok(redirect_flash(
            &format!("/recipients/{}", r.pid),
            "flash-saved",
        )),
        Err(mut errors) => {
            if let Some(o) = errors.as_object_mut() {
                o.insert("id_masked".into(), json!(masked));
            }
            form(
                &ctx,
                &v,
                action,
                &p,
                household
                    .as_ref()
                    .map(|h| HouseholdJson::new(h, None, None)),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct StatusParams {
    #[serde(default, deserialize_with = "crate::web::input::loose")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "crate::web::input::loose")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "crate::web::input::loose")]
    pub effective_on: Option<String>,
}

impl StatusParams {
    /// # Errors
    /// Field errors for an unknown status or date.
    pub fn parse(
        &self,
        today: chrono::NaiveDate,
    ) -> AppResult<(RecipientStatus, Option<String>, chrono::NaiveDate)> {
        let mut e = crate::errors::FieldErrors::new();
        let status = e.take(
            "status",
            self.status
                .as_deref()
                .unwrap_or("")
                .parse::<RecipientStatus>(),
            |()| "error-choose-status",
        );
        let reason = e.take(
            "reason",
            crate::domain::text::optional(self.reason.as_deref(), 200),
            |x| x.message_key(),
        );
        let on = e.take(
            "effective_on",
            crate::domain::date_input::parse_optional_date(self.effective_on.as_deref()),
            |x| x.message_key(),
        );
        e.into_result(|| Some((status?, reason?, on?.unwrap_or(today))))
    }
}

async fn change_status(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<StatusParams>,
) -> AppResult<Response> {
    require(v.scope.may_register_recipients())?;
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    let back = format!("/recipients/{}", r.pid);
    let result = async {
        let (to, reason, on) = p.parse(today())?;
        r.change_status(&ctx.db, &v.actor, to, reason, on).await
    }
    .await;
    match result {
        Ok(_) => Ok(redirect_flash(&back, "flash-saved")),
        Err(AppError::Invalid(e)) => {
            Ok(redirect_flash(&back, e.first().unwrap_or("error-required")))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RevealParams {
    #[serde(default, deserialize_with = "crate::web::input::loose")]
    pub reason: Option<String>,
}

/// A page that shows a whole ID number is never stored by the browser or
/// a proxy.
fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn reveal_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_reveal_id(r.organization_id))?;
    Ok(Page::new(
        "recipients/reveal.html",
        json!({"recipient": {"pid": r.pid, "name": r.name, "id_number": r.id_masked}, "errors": {}, "revealed": null}),
    )
    .render(&v))
}

async fn reveal(
    State(ctx): State<AppContext>,
    v: Viewer,
    Path(id): Path<String>,
    FormData(p): FormData<RevealParams>,
) -> AppResult<Response> {
    let r = recipients::load(&ctx.db, &v.scope, pid(&id)?).await?;
    require(v.scope.may_reveal_id(r.organization_id))?;
    let vault = Vault::of(&ctx)?;
    let result = r
        .reveal(&ctx.db, &v.actor, &vault, p.reason.as_deref().unwrap_or(""))
        .await;
    let recipient = json!({"pid": r.pid, "name": r.name, "id_number": r.id_masked});
    Ok(no_store(match invalid_or(result, v.lang)? {
        Ok(id) => Page::new(
            "recipients/reveal.html",
            json!({"recipient": recipient, "errors": {}, "revealed": id.as_str()}),
        )
        .render(&v),
        Err(errors) => Page::new(
            "recipients/reveal.html",
            json!({"recipient": recipient, "errors": errors, "revealed": null}),
        )
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .render(&v),
    }))
}

/// Export options: the list's filters plus format and, to include whole
/// ID numbers, `reveal` with a reason.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct ExportParams {
    #[serde(flatten)]
    pub query: ListQuery,
    pub format: Option<String>,
    pub reveal: Option<String>,
    pub reason: Option<String>,
    /// Set by the GET route from `Sec-Fetch-Site` (never read from input).
    #[serde(skip)]
    pub cross_site: bool,
}

/// Who may export whole ID numbers: admins, and coordinators (whose list
/// holds only their organisation's recipients).
#[must_use]
pub fn may_reveal_export(scope: &Scope) -> bool {
    scope.is_admin() || scope.own_organization().is_some()
}

/// Builds the export file; whole ID numbers only when asked, allowed and
/// given a reason (audited either way).
///
/// # Errors
/// `NotFound` when revealing is not allowed; a field error without a
/// reason.
pub async fn export(ctx: &AppContext, v: &Viewer, p: &ExportParams) -> AppResult<Response> {
    let reveal = crate::web::input::checked(p.reveal.as_deref());
    let reason = p.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reveal {
        require(may_reveal_export(&v.scope))?;
        if reason.is_none() {
            return Err(AppError::field("reason", "error-required"));
        }
    }
    let filter = filter_of(&ctx.db, &v.scope, &p.query).await?;
    recipients::allow_id_search(
        &ctx.db,
        &v.scope,
        &v.actor,
        &filter,
        p.cross_site,
        chrono::Utc::now(),
    )
    .await?;
    let day = today();
    let rows =
        recipients::all_filtered(&ctx.db, &v.scope, &filter, day, sheets::MAX_ROWS as u64).await?;
    let vault = if reveal { Some(Vault::of(ctx)?) } else { None };
    let table = export_table(v, &rows, vault.as_ref(), day);
    recipients::record_export(
        &ctx.db,
        &v.actor,
        rows.len(),
        &p.query.without_page(),
        if reveal { reason } else { None },
    )
    .await?;
    let xlsx = p.format.as_deref() == Some("xlsx");
    let stamp = day.format("%Y%m%d");
    let (body, mime, ext) = if xlsx {
        (
            sheets::write_xlsx(&t(v.lang, "nav-recipients"), &table).map_err(AppError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (sheets::write_csv(&table), "text/csv; charset=utf-8", "csv")
    };
    let disposition = format!("attachment; filename=\"recipients-{stamp}.{ext}\"");
    Ok(no_store(
        (
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response(),
    ))
}

fn export_table(
    v: &Viewer,
    rows: &[recipients::RecipientRow],
    vault: Option<&Vault>,
    day: chrono::NaiveDate,
) -> Vec<Vec<String>> {
    let l = v.lang;
    let show_id = v.scope.sees_id_numbers();
    let mut header = vec![t(l, "field-person-name")];
    if show_id {
        header.push(t(l, "field-id-number"));
    }
    // A whole birth date only beside whole ID numbers; otherwise the year
    // (`domain::privacy`).
    let whole = vault.is_some();
    for k in [
        "field-gender",
        if whole {
            "field-birth-date-whole"
        } else {
            "field-birth-date"
        },
        "field-categories",
        "field-village",
        "field-address",
        "field-phone",
        "field-assistance-status",
        "field-relation",
        "field-disability-level",
        "field-disability-type",
        "export-guardian-name",
        "export-guardian-phone",
        "field-care-needs",
        "field-status",
    ] {
        header.push(t(l, k));
    }
    let mut out = vec![header];
    for r in rows {
        let m = &r.recipient;
        let mut row = vec![m.name.clone()];
        if show_id {
            row.push(match vault.map(|vt| vt.open(&m.id_sealed)) {
                Some(Ok(id)) => id.as_str().to_string(),
                _ => m.id_masked.clone(),
            });
        }
        let cats: Vec<String> = m
            .categories(day)
            .iter()
            .map(|c| t(l, &format!("category-{}", c.as_str())))
            .collect();
        row.extend([
            t(l, &format!("gender-{}", m.gender)),
            if whole {
                m.birth_date.to_string()
            } else {
                chrono::Datelike::year(&m.birth_date).to_string()
            },
            cats.join("、"),
            r.village
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            r.household
                .as_ref()
                .map(|h| h.address.clone())
                .unwrap_or_default(),
            m.phone.clone().unwrap_or_default(),
            r.household
                .as_ref()
                .map(|h| t(l, &format!("roster-assistance-{}", h.assistance_status)))
                .unwrap_or_default(),
            m.relation.clone().unwrap_or_default(),
            m.disability_level
                .map(|d| d.to_string())
                .unwrap_or_default(),
            m.disability_type
                .as_ref()
                .map(|d| t(l, &format!("disability-{d}")))
                .unwrap_or_default(),
            m.guardian_name.clone().unwrap_or_default(),
            m.guardian_phone.clone().unwrap_or_default(),
            m.care_needs.clone().unwrap_or_default(),
            t(l, &format!("status-{}", m.status)),
        ]);
        out.push(row);
    }
    out
}

async fn export_form(
    State(ctx): State<AppContext>,
    v: Viewer,
    FormData(p): FormData<ExportParams>,
) -> AppResult<Response> {
    match export(&ctx, &v, &p).await {
        Err(AppError::Invalid(_)) => {
            let back = format!("/recipients?{}", p.query.without_page());
            Ok(redirect_flash(&back, "error-export-reason"))
        }
        other => other,
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/recipients", get(list))
        .add("/recipients", post(add))
        .add("/recipients/new", get(new))
        .add("/recipients/export", post(export_form))
        .add("/recipients/{pid}", get(show))
        .add("/recipients/{pid}", post(update))
        .add("/recipients/{pid}/edit", get(edit))
        .add("/recipients/{pid}/status", post(change_status))
        .add("/recipients/{pid}/reveal", get(reveal_form))
        .add("/recipients/{pid}/reveal", post(reveal))
}

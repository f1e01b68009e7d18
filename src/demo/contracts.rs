//! The demo county's contracts: 曾口镇 and 清江镇 each bought a year of
//! home visits from the Sunshine centre, starting three months ago, with
//! three months of visit history behind them (mostly completed, some late,
//! missed, nobody home or refused) and the first month of 曾口镇's contract
//! accepted, so the officials' pages tell a story on first start. Not part
//! of the test fixture.
use super::names::Rng;
use crate::domain::visit::VisitStatus;
use crate::{
    errors::{AppError, AppResult},
    models::{
        _entities::{
            official_townships, recipients, townships, users, visit_material_lines,
            visit_service_lines, visits,
        },
        acceptances::{self, AcceptanceParams},
        contracts::{self, ContractParams, ItemParams, NewContract},
        milestones::{self, MilestoneParams},
        Actor,
    },
    policy::Scope,
};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

fn first_of_month(d: NaiveDate, back: u32) -> NaiveDate {
    let mut first = d.with_day(1).unwrap_or(d);
    for _ in 0..back {
        first = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    }
    first
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(n)).unwrap_or(d)
}

/// Creates the two demo contracts and their history. Returns how many
/// visits of history were written.
///
/// # Errors
/// Database errors; a demo contract that does not validate.
#[allow(clippy::too_many_lines)]
pub async fn seed_contracts(db: &DatabaseConnection) -> AppResult<usize> {
    let Some(official) = users::Model::find_by_email(db, "official@doudi.test").await? else {
        return Ok(0);
    };
    let Some(coordinator) = users::Model::find_by_email(db, "coordinator@doudi.test").await? else {
        return Ok(0);
    };
    let Some(org) = coordinator.organization_id else {
        return Ok(0);
    };
    let towns: Vec<i64> = official_townships::Entity::find()
        .filter(official_townships::Column::UserId.eq(official.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.township_id)
        .collect();
    let scope = Scope::new(&official, towns.clone());
    let actor = Actor::system("demo:seed");
    let workers = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(org))
        .filter(users::Column::Role.eq("worker"))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?;
    let today = crate::models::today();
    let now = Utc::now();
    let start = first_of_month(today, 3);
    let end = add_months(start, 12) - Duration::days(1);
    let mut rng = Rng::new(2027);
    let mut written = 0;
    for (n, town_id) in towns.iter().enumerate() {
        let Some(town) = townships::Entity::find_by_id(*town_id).one(db).await? else {
            continue;
        };
        let people = recipients::Entity::find()
            .filter(recipients::Column::TownshipId.eq(town.id))
            .filter(recipients::Column::OrganizationId.eq(org))
            .filter(recipients::Column::Status.eq("active"))
            .order_by_asc(recipients::Column::Id)
            .all(db)
            .await?;
        if people.is_empty() {
            continue;
        }
        let k = i64::try_from(people.len()).unwrap_or(1);
        let items = vec![
            ItemParams {
                service: Some("daily_care".into()),
                unit: Some("visit".into()),
                quantity: Some((k * 24).to_string()),
                unit_price: Some("80".into()),
                min_minutes: Some("30".into()),
                ..Default::default()
            },
            ItemParams {
                service: Some("emotional_support".into()),
                unit: Some("hour".into()),
                quantity: Some((k * 12).to_string()),
                unit_price: Some("60".into()),
                ..Default::default()
            },
            ItemParams {
                material_category: Some("food".into()),
                unit: Some("yuan".into()),
                quantity: Some((k * 600).to_string()),
                unit_price: Some("1".into()),
                ..Default::default()
            },
        ];
        let total = k * (24 * 80 + 12 * 60 + 600);
        let params = ContractParams {
            township: Some(town.pid.to_string()),
            organization: Some(
                crate::models::_entities::organizations::Entity::find_by_id(org)
                    .one(db)
                    .await?
                    .ok_or(AppError::NotFound)?
                    .pid
                    .to_string(),
            ),
            code: Some(format!("BZ-{}-{}-{:03}", town.code, start.year(), n + 1)),
            title: Some(format!("{}特困及低保老人居家探访服务项目", town.name)),
            procurement_method: Some("competitive_consultation".into()),
            signed_on: Some((start - Duration::days(10)).to_string()),
            starts_on: Some(start.to_string()),
            ends_on: Some(end.to_string()),
            total: Some(total.to_string()),
            content: Some(
                "为辖区特困、低保老人提供定期上门探访、生活照料、精神慰藉和物资发放。".into(),
            ),
            quality: Some("每次上门不少于30分钟，须有签到定位和服务对象签字确认。".into()),
            settlement: Some("按季度履约验收后支付当期款项。".into()),
            liability: Some("未完成部分按合同单价扣减；弄虚作假的，解除合同并追回款项。".into()),
            min_visits_per_month: Some("2".into()),
            min_visit_minutes: Some("30".into()),
            max_late_percent: Some("10".into()),
            items,
        };
        let new = NewContract::parse(db, &scope, &params).await?;
        let c = contracts::Model::create(db, &actor, new).await?;
        for q in 0..4u32 {
            milestones::create(
                db,
                &actor,
                &c,
                &MilestoneParams {
                    title: Some(format!("第{}期", q + 1)),
                    amount: Some((total / 4).to_string()),
                    due_on: Some((add_months(start, 3 * (q + 1)) + Duration::days(14)).to_string()),
                    condition: Some("accepted_period".into()),
                    condition_percent: None,
                },
            )
            .await?;
        }
        let pids: Vec<uuid::Uuid> = people.iter().map(|r| r.pid).collect();
        contracts::cover(db, &actor, &c, &pids, &[]).await?;
        let c = c.set_status(db, &actor, "active").await?;

        // Three months of history, about every two weeks per person.
        for (i, r) in people.iter().enumerate() {
            let worker = &workers[i % workers.len().max(1)];
            let mut day = start + Duration::days(i64::try_from(i % 7).unwrap_or(0));
            while day < today {
                let hour = 8 + u32::try_from(rng.below(8)).unwrap_or(0);
                let starts = crate::zone::display()
                    .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
                    .single()
                    .map_or(now, |t| t.with_timezone(&Utc));
                let roll = rng.below(100);
                let status = match roll {
                    0..=77 => VisitStatus::Completed,
                    78..=84 => VisitStatus::Attempted,
                    85..=87 => VisitStatus::Refused,
                    88..=93 => VisitStatus::Missed,
                    _ => VisitStatus::Cancelled,
                };
                let done = status.has_record() && status != VisitStatus::Cancelled;
                let late = status == VisitStatus::Missed || (done && rng.below(100) < 12);
                let exception = done && rng.below(100) < 5;
                let v = visits::ActiveModel {
                    pid: Set(uuid::Uuid::new_v4()),
                    organization_id: Set(org),
                    recipient_id: Set(Some(r.id)),
                    household_id: Set(r.household_id),
                    township_id: Set(r.township_id),
                    worker_id: Set(Some(worker.id)),
                    starts_at: Set(starts.into()),
                    ends_at: Set((starts + Duration::hours(1)).into()),
                    tzid: Set("Asia/Shanghai".into()),
                    status: Set(status.as_str().into()),
                    exception: Set(false),
                    cancel_reason: Set(
                        (status == VisitStatus::Cancelled).then(|| "老人住院".to_string())
                    ),
                    checked_in_at: Set(done
                        .then(|| (starts + Duration::minutes(if late { 25 } else { 2 })).into())),
                    checked_out_at: Set(done.then(|| (starts + Duration::minutes(55)).into())),
                    check_in_lat: Set(done.then_some(r.latitude).flatten()),
                    check_in_lon: Set(done.then_some(r.longitude).flatten()),
                    distance_m: Set(done.then_some(if exception { 820.0 } else { 35.0 })),
                    location_exception: Set(exception),
                    location_reason: Set(exception.then(|| "met_elsewhere".to_string())),
                    late: Set(late),
                    notes: Set((status == VisitStatus::Attempted)
                        .then(|| "敲门无人应答，电话未接通。".to_string())),
                    confirmed_by: Set((status == VisitStatus::Completed).then(|| r.name.clone())),
                    confirmed_relation: Set(
                        (status == VisitStatus::Completed).then(|| "本人".to_string())
                    ),
                    submitted_by_id: Set(done.then_some(worker.id)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                if status == VisitStatus::Completed {
                    let minutes = 30 + i64::try_from(rng.below(31)).unwrap_or(0);
                    let mut lines = vec![("daily_care", minutes)];
                    if rng.below(2) == 0 {
                        lines.push((
                            "emotional_support",
                            20 + i64::try_from(rng.below(21)).unwrap_or(0),
                        ));
                    }
                    for (s, m) in lines {
                        visit_service_lines::ActiveModel {
                            visit_id: Set(v.id),
                            service: Set(s.into()),
                            minutes: Set(m),
                            created_at: Set(starts.into()),
                            ..Default::default()
                        }
                        .insert(db)
                        .await?;
                    }
                    if rng.below(10) < 3 {
                        let donated = rng.below(6) == 0;
                        visit_material_lines::ActiveModel {
                            visit_id: Set(v.id),
                            item: Set(if donated { "棉被" } else { "大米" }.into()),
                            category: Set(if donated { "clothing" } else { "food" }.into()),
                            quantity_milli: Set(if donated { 1000 } else { 10_000 }),
                            unit: Set(if donated { "床" } else { "斤" }.into()),
                            value_fen: Set(if donated {
                                12_000
                            } else {
                                3000 + 100 * i64::try_from(rng.below(60)).unwrap_or(0)
                            }),
                            funding: Set(if donated { "donation" } else { "contract" }.into()),
                            donor: Set(donated.then(|| "巴中市慈善总会".to_string())),
                            created_at: Set(starts.into()),
                            ..Default::default()
                        }
                        .insert(db)
                        .await?;
                    }
                }
                written += 1;
                day += Duration::days(12 + i64::try_from(rng.below(6)).unwrap_or(0));
            }
        }
        crate::models::fulfilment::rebuild(db, &c).await?;
        // The first month of the first contract is accepted.
        if n == 0 {
            let first_end = add_months(start, 1) - Duration::days(1);
            let m = milestones::of_contract(db, c.id).await?;
            let as_official = Actor {
                user_id: Some(official.id),
                label: "demo:seed".into(),
                ..Actor::default()
            };
            acceptances::accept(
                db,
                &as_official,
                &c,
                &AcceptanceParams {
                    period_start: Some(start.to_string()),
                    period_end: Some(first_end.to_string()),
                    note: Some("台账齐全，抽查回访无异议。".into()),
                    public: None,
                    milestone: m.first().map(|x| x.pid.to_string()),
                },
                today,
                now,
            )
            .await?;
        }
    }
    Ok(written)
}

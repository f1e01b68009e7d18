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
        let c = match contracts::Entity::find()
            .filter(contracts::Column::TownshipId.eq(town.id))
            .filter(contracts::Column::OrganizationId.eq(org))
            .filter(contracts::Column::Status.eq("active"))
            .one(db)
            .await?
        {
            Some(c) => c,
            None => base_contract(db, &scope, &actor, &town, org, &people, (start, end), n).await?,
        };

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
    written += seed_handover_story(db, &scope, &actor, start).await?;
    Ok(written)
}

/// A year's contract of `town` with `org` in force, covering `people`:
/// daily care by the visit, emotional support by the hour, food by the
/// yuan, sized to the number of people.
#[allow(clippy::too_many_arguments)]
async fn base_contract(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    town: &townships::Model,
    org: i64,
    people: &[recipients::Model],
    (start, end): (NaiveDate, NaiveDate),
    n: usize,
) -> AppResult<contracts::Model> {
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
        code: Some(format!("BZ-{}-{:03}", town.code, n + 1)),
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
    let new = NewContract::parse(db, scope, &params).await?;
    let c = contracts::Model::create(db, actor, new).await?;
    for q in 0..4u32 {
        milestones::create(
            db,
            actor,
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
    contracts::cover(db, actor, &c, &pids, &[]).await?;
    let c = c.set_status(db, actor, "active").await?;
    Ok(c)
}

/// The contracts the demo county's providers work under (part of the test
/// fixture): 曾口镇 and 清江镇 bought a year of home visits from the
/// Sunshine centre, 水宁寺镇 from Yimin, starting three months ago and
/// covering the people each provider found there. Access to people follows
/// these contracts (`policy::Scope::recipients`).
///
/// # Errors
/// Database errors; a demo contract that does not validate.
pub async fn seed_base_contracts(db: &DatabaseConnection) -> AppResult<()> {
    let today = crate::models::today();
    let start = first_of_month(today, 3);
    let end = add_months(start, 12) - Duration::days(1);
    let actor = Actor::system("demo:seed");
    for (official, coordinator) in [
        ("official@doudi.test", "coordinator@doudi.test"),
        ("official2@doudi.test", "coordinator2@doudi.test"),
    ] {
        let (Some(official), Some(coordinator)) = (
            users::Model::find_by_email(db, official).await?,
            users::Model::find_by_email(db, coordinator).await?,
        ) else {
            continue;
        };
        let Some(org) = coordinator.organization_id else {
            continue;
        };
        let towns: Vec<i64> = official_townships::Entity::find()
            .filter(official_townships::Column::UserId.eq(official.id))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.township_id)
            .collect();
        let scope = Scope::new(&official, towns.clone());
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
            if !people.is_empty() {
                base_contract(db, &scope, &actor, &town, org, &people, (start, end), n).await?;
            }
        }
    }
    Ok(())
}

/// The rest of 曾口镇's story (issue 16): last year it bought home visits
/// from Yimin, whose plans ended and whose visits are history (so the
/// Sunshine centre's handover list shows their pattern and last visits);
/// this year a second provider, the charity federation, brings food to
/// two people the Sunshine centre also visits. Returns the visits written.
///
/// # Errors
/// Database errors; a demo contract that does not validate.
async fn seed_handover_story(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    start: NaiveDate,
) -> AppResult<usize> {
    use crate::models::_entities::{organizations, service_plans};
    let Some(town) = townships::Entity::find()
        .filter(townships::Column::Name.eq("曾口镇"))
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let org_named = |name: &'static str| async move {
        organizations::Entity::find()
            .filter(organizations::Column::Name.eq(name))
            .one(db)
            .await
    };
    let (Some(yimin), Some(charity)) = (
        org_named("巴中市益民社会工作服务中心").await?,
        org_named("巴中市慈善总会").await?,
    ) else {
        return Ok(0);
    };
    let people = recipients::Entity::find()
        .filter(recipients::Column::TownshipId.eq(town.id))
        .filter(recipients::Column::Status.eq("active"))
        .filter(recipients::Column::Registry.eq("registered"))
        .order_by_asc(recipients::Column::Id)
        .all(db)
        .await?;
    if people.is_empty() {
        return Ok(0);
    }
    // Last year's contract with Yimin, its weekly plans (ended when the
    // contract did) and a visit about every two weeks.
    let last_start = start - chrono::Months::new(12);
    let last = base_contract(
        db,
        scope,
        actor,
        &town,
        yimin.id,
        &people,
        (last_start, start - Duration::days(1)),
        8,
    )
    .await?;
    let zone = crate::zone::display();
    let mut rng = Rng::new(2026);
    let mut written = 0;
    for (i, r) in people.iter().enumerate() {
        let weekday = ["MO", "TU", "WE", "TH", "FR"][i % 5];
        let first = last_start + Duration::days(i64::try_from(i % 5).unwrap_or(0));
        service_plans::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            organization_id: Set(yimin.id),
            recipient_id: Set(Some(r.id)),
            household_id: Set(r.household_id),
            township_id: Set(r.township_id),
            worker_id: Set(None),
            backup_worker_id: Set(None),
            services: Set("daily_care,emotional_support".into()),
            duration_minutes: Set(60),
            tzid: Set(zone.name().to_string()),
            dtstart: Set(format!("{first}T10:00:00")),
            rrule: Set(Some(format!(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday};UNTIL={}T000000",
                start.format("%Y%m%d")
            ))),
            exdates: Set(String::new()),
            rdates: Set(String::new()),
            status: Set("ended".into()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut day = first;
        while day < start {
            let starts = zone
                .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap_or_default())
                .single()
                .map_or(Utc::now(), |t| t.with_timezone(&Utc));
            let done = rng.below(10) < 9;
            let v = visits::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                organization_id: Set(yimin.id),
                recipient_id: Set(Some(r.id)),
                household_id: Set(r.household_id),
                township_id: Set(r.township_id),
                starts_at: Set(starts.into()),
                ends_at: Set((starts + Duration::hours(1)).into()),
                tzid: Set(zone.name().to_string()),
                status: Set(if done {
                    VisitStatus::Completed
                } else {
                    VisitStatus::Attempted
                }
                .as_str()
                .into()),
                exception: Set(false),
                checked_in_at: Set(Some((starts + Duration::minutes(3)).into())),
                checked_out_at: Set(Some((starts + Duration::minutes(58)).into())),
                location_exception: Set(false),
                late: Set(false),
                confirmed_by: Set(done.then(|| r.name.clone())),
                confirmed_relation: Set(done.then(|| "本人".to_string())),
                ..Default::default()
            }
            .insert(db)
            .await?;
            if done {
                visit_service_lines::ActiveModel {
                    visit_id: Set(v.id),
                    service: Set("daily_care".into()),
                    minutes: Set(40 + i64::try_from(rng.below(20)).unwrap_or(0)),
                    created_at: Set(starts.into()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
            written += 1;
            day += Duration::days(14);
        }
    }
    crate::models::fulfilment::rebuild(db, &last).await?;
    // It ended with its year: closed, on its last day, under its own name.
    let last = last
        .close(db, actor, Some("合同期满，服务由新一期中标机构承接。"))
        .await?;
    let mut am: contracts::ActiveModel = last.into();
    am.closed_on = Set(Some(start - Duration::days(1)));
    am.title = Set(format!(
        "{}{}年度居家探访服务项目",
        town.name,
        last_start.year()
    ));
    am.update(db).await?;
    // This year the charity federation brings food (by the yuan) to two of
    // the people the Sunshine centre visits: two providers at once.
    let two: Vec<recipients::Model> = people.iter().take(2).cloned().collect();
    let params = ContractParams {
        township: Some(town.pid.to_string()),
        organization: Some(charity.pid.to_string()),
        code: Some(format!("BZ-{}-{}-C01", town.code, start.year())),
        title: Some(format!("{}困难群众生活物资帮扶项目", town.name)),
        procurement_method: Some("single_source".into()),
        signed_on: Some((start - Duration::days(3)).to_string()),
        starts_on: Some(start.to_string()),
        ends_on: Some((add_months(start, 12) - Duration::days(1)).to_string()),
        total: Some("4800".into()),
        content: Some("每月为困难老人配送米面油等生活物资。".into()),
        quality: Some("物资按月送达，须经服务对象签收。".into()),
        settlement: Some("按季度核验签收单后支付。".into()),
        liability: Some("未送达部分不予支付。".into()),
        min_visits_per_month: Some("1".into()),
        min_visit_minutes: None,
        max_late_percent: None,
        items: vec![ItemParams {
            material_category: Some("food".into()),
            unit: Some("yuan".into()),
            quantity: Some("4800".into()),
            unit_price: Some("1".into()),
            ..Default::default()
        }],
    };
    let new = NewContract::parse(db, scope, &params).await?;
    let c = contracts::Model::create(db, actor, new).await?;
    let pids: Vec<uuid::Uuid> = two.iter().map(|r| r.pid).collect();
    contracts::cover(db, actor, &c, &pids, &[]).await?;
    let c = c.set_status(db, actor, "active").await?;
    let today = crate::models::today();
    for r in &two {
        let mut day = start + Duration::days(4);
        while day < today {
            let starts = zone
                .from_local_datetime(&day.and_hms_opt(14, 0, 0).unwrap_or_default())
                .single()
                .map_or(Utc::now(), |t| t.with_timezone(&Utc));
            let v = visits::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                organization_id: Set(charity.id),
                recipient_id: Set(Some(r.id)),
                household_id: Set(r.household_id),
                township_id: Set(r.township_id),
                starts_at: Set(starts.into()),
                ends_at: Set((starts + Duration::minutes(20)).into()),
                tzid: Set(zone.name().to_string()),
                status: Set(VisitStatus::Completed.as_str().into()),
                exception: Set(false),
                checked_in_at: Set(Some((starts + Duration::minutes(1)).into())),
                checked_out_at: Set(Some((starts + Duration::minutes(15)).into())),
                location_exception: Set(false),
                late: Set(false),
                confirmed_by: Set(Some(r.name.clone())),
                confirmed_relation: Set(Some("本人".into())),
                ..Default::default()
            }
            .insert(db)
            .await?;
            visit_material_lines::ActiveModel {
                visit_id: Set(v.id),
                item: Set("大米、食用油".into()),
                category: Set("food".into()),
                quantity_milli: Set(1000),
                unit: Set("份".into()),
                value_fen: Set(20_000),
                funding: Set("contract".into()),
                created_at: Set(starts.into()),
                ..Default::default()
            }
            .insert(db)
            .await?;
            written += 1;
            day = add_months(day, 1);
        }
    }
    crate::models::fulfilment::rebuild(db, &c).await?;
    Ok(written)
}

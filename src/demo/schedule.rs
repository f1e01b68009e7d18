//! The demo county's service plans: recurring visits for most recipients,
//! with one deliberate double booking and one unassigned plan so that the
//! coordinator's board has something to point out on first start. Not
//! part of the test fixture (tests build their own plans).
use crate::{
    errors::{AppError, AppResult},
    models::{
        _entities::{recipients, users},
        service_plans::{self, NewPlan, PlanParams},
        Actor,
    },
    policy::Scope,
};
use chrono::{Datelike, Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// Recipient, whole household?, worker email, services, minutes, time, rule.
type DemoPlan = (
    &'static str,
    bool,
    Option<&'static str>,
    &'static [&'static str],
    i64,
    &'static str,
    &'static str,
);

const PLANS: &[(&str, &[DemoPlan])] = &[
    (
        "coordinator@doudi.test",
        &[
            (
                "单秀英",
                false,
                Some("worker@doudi.test"),
                &["daily_care", "emotional_support"],
                60,
                "09:00",
                "FREQ=WEEKLY;BYDAY=MO,TH",
            ),
            (
                "曾德明",
                true,
                Some("worker1@doudi.test"),
                &["daily_care", "home_visit"],
                90,
                "14:00",
                "FREQ=WEEKLY;BYDAY=WE",
            ),
            (
                "张小雨",
                false,
                Some("worker@doudi.test"),
                &["capacity_building"],
                60,
                "10:00",
                "FREQ=MONTHLY;BYDAY=2SA,4SA",
            ),
            (
                "李长林",
                false,
                Some("worker3@doudi.test"),
                &["home_visit", "emotional_support"],
                45,
                "10:00",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            ),
            // Daily care for a bedridden man: the demo worker has a visit
            // at the door whatever the day the demo is started.
            (
                "李长林",
                false,
                Some("worker@doudi.test"),
                &["daily_care"],
                30,
                "17:00",
                "FREQ=DAILY",
            ),
            // Booked over 单秀英's Monday visit: the board shows the clash.
            (
                "王光荣",
                false,
                Some("worker@doudi.test"),
                &["home_visit"],
                60,
                "09:30",
                "FREQ=WEEKLY;BYDAY=MO",
            ),
            // Nobody assigned yet.
            (
                "刘建华",
                false,
                None,
                &["daily_care"],
                60,
                "15:00",
                "FREQ=WEEKLY;BYDAY=FR",
            ),
        ],
    ),
    (
        "coordinator2@doudi.test",
        &[
            (
                "何淑珍",
                false,
                Some("worker2@doudi.test"),
                &["daily_care", "home_visit"],
                60,
                "10:00",
                "FREQ=WEEKLY;BYDAY=TU,FR",
            ),
            (
                "罗春兰",
                false,
                Some("worker4@doudi.test"),
                &["social_rehabilitation"],
                90,
                "15:00",
                "FREQ=MONTHLY;BYMONTHDAY=1,15",
            ),
        ],
    ),
];

/// Creates the demo plans (from this week's Monday) and their visits over
/// `horizon`. Recipients or workers missing from the database are skipped.
///
/// # Errors
/// Database errors; a demo plan that does not parse.
pub async fn seed_schedule(db: &DatabaseConnection, horizon: Duration) -> AppResult<usize> {
    let actor = Actor::system("demo:seed");
    let now = Utc::now();
    let today = crate::models::today();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let start_of_today = crate::zone::display()
        .from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or(now, |t| t.with_timezone(&Utc));
    let mut made = 0;
    for (coordinator, plans) in PLANS {
        let Some(c) = users::Model::find_by_email(db, coordinator).await? else {
            continue;
        };
        let scope = Scope::new(&c, Vec::new());
        for (name, household, worker, services, minutes, time, rule) in *plans {
            let Some(r) = recipients::Entity::find()
                .filter(recipients::Column::Name.eq(*name))
                .one(db)
                .await?
            else {
                continue;
            };
            let worker = match worker {
                Some(email) => users::Model::find_by_email(db, email)
                    .await?
                    .map(|u| u.pid.to_string()),
                None => None,
            };
            let mut params = PlanParams {
                worker,
                services: services.iter().map(|s| (*s).to_string()).collect(),
                duration_minutes: Some(minutes.to_string()),
                dtstart: Some(format!("{monday}T{time}:00")),
                rrule: Some((*rule).to_string()),
                ..Default::default()
            };
            if *household {
                let h = crate::models::households::Entity::find_by_id(r.household_id)
                    .one(db)
                    .await?
                    .ok_or(AppError::NotFound)?;
                params.household = Some(h.pid.to_string());
            } else {
                params.recipient = Some(r.pid.to_string());
            }
            let new = NewPlan::parse(db, &scope, &params, now).await?;
            let plan = service_plans::Model::create(db, &actor, new).await?;
            // From the start of today, so today's visits are on the cards
            // whatever the hour the demo is started.
            plan.materialise(db, start_of_today, horizon).await?;
            made += 1;
        }
    }
    Ok(made)
}

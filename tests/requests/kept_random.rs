//! The kept totals after a random sequence of writes through the API
//! (check-ins, logs of every outcome with random lines, corrections,
//! cancellations, the overdue job) equal a rebuild from the visits: the
//! one counting rule, exercised through the database on both backends.
use crate::support::builders::{completed, kept_is_rebuilt};
use crate::support::{token, with_app};
use axum::http::StatusCode;
use doudi::models::_entities::{contract_recipients, contracts, users, visits};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn log(rng: &mut Rng, outcome: &str) -> Value {
    let mut body = completed();
    body["outcome"] = json!(outcome);
    if outcome == "completed" {
        let minutes = 5 + rng.below(90);
        body["services"] = json!([
            {"service": "daily_care", "minutes": minutes},
            {"service": "home_visit", "minutes": 1 + rng.below(40)},
        ]);
        let fen = 100 + rng.below(20_000);
        body["materials"] = json!([
            {"item": "大米", "category": "food", "quantity": 1 + rng.below(5), "unit": "斤",
             "value": format!("{}.{:02}", fen / 100, fen % 100),
             "funding": if rng.below(2) == 0 { "contract" } else { "donation" },
             "donor": "巴中市慈善总会"},
        ]);
    } else {
        body["services"] = json!([]);
        body["materials"] = json!([]);
        body["notes"] = json!("老人不在家");
    }
    body["referrals"] = json!([]);
    body
}

#[tokio::test]
async fn kept_totals_equal_a_rebuild_after_random_writes() {
    with_app(|server, ctx| async move {
        doudi::demo::seed_story(&ctx.db, chrono::Duration::weeks(8))
            .await
            .expect("demo story");
        // The visits still to come for people a contract covers.
        let mut coming: Vec<visits::Model> = Vec::new();
        for c in contracts::Entity::find().all(&ctx.db).await.expect("q") {
            let covered: Vec<i64> = contract_recipients::Entity::find()
                .filter(contract_recipients::Column::ContractId.eq(c.id))
                .all(&ctx.db)
                .await
                .expect("q")
                .into_iter()
                .map(|r| r.recipient_id)
                .collect();
            coming.extend(
                visits::Entity::find()
                    .filter(visits::Column::OrganizationId.eq(c.organization_id))
                    .filter(visits::Column::RecipientId.is_in(covered))
                    .filter(visits::Column::StartsAt.gt(chrono::Utc::now()))
                    .filter(visits::Column::WorkerId.is_not_null())
                    .all(&ctx.db)
                    .await
                    .expect("q"),
            );
        }
        coming.sort_by_key(|v| v.id);
        coming.dedup_by_key(|v| v.id);
        assert!(coming.len() >= 6, "demo visits ahead for covered people");
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let mut done = 0;
        for seed in [0x9E37_79B9_7F4A_7C15_u64, 42, 2026] {
            let mut rng = Rng(seed);
            let chosen: Vec<&visits::Model> = (0..6)
                .map(|_| &coming[usize::try_from(rng.below(coming.len() as u64)).expect("i")])
                .collect();
            for step in 0..12 {
                let v = chosen[usize::try_from(rng.below(6)).expect("i")];
                let worker = users::Entity::find_by_id(v.worker_id.expect("worker"))
                    .one(&ctx.db)
                    .await
                    .expect("q")
                    .expect("worker");
                let w = token(&ctx, &worker.email).await;
                let outcome = ["completed", "attempted", "refused"]
                    [usize::try_from(rng.below(3)).expect("i")];
                let res = match rng.below(5) {
                    0 => {
                        server
                            .post(&format!("/api/v1/visits/{}/check_in", v.pid))
                            .authorization_bearer(&w)
                            .json(&json!({"location_reason": "no_gps_signal"}))
                            .await
                    }
                    1 | 2 => {
                        server
                            .post(&format!("/api/v1/visits/{}/check_in", v.pid))
                            .authorization_bearer(&w)
                            .json(&json!({"location_reason": "no_gps_signal"}))
                            .await;
                        server
                            .post(&format!("/api/v1/visits/{}/submission", v.pid))
                            .authorization_bearer(&w)
                            .json(&log(&mut rng, outcome))
                            .await
                    }
                    3 => {
                        let mut body = log(&mut rng, outcome);
                        body["reason"] = json!("更正记录");
                        server
                            .post(&format!("/api/v1/visits/{}/amendments", v.pid))
                            .authorization_bearer(&w)
                            .json(&body)
                            .await
                    }
                    _ => {
                        server
                            .post(&format!("/api/v1/visits/{}/cancel", v.pid))
                            .authorization_bearer(&coordinator)
                            .json(&json!({"reason": "老人住院"}))
                            .await
                    }
                };
                // A write the visit's state does not allow is refused,
                // never a server error.
                assert!(
                    res.status_code() < StatusCode::INTERNAL_SERVER_ERROR,
                    "seed {seed} step {step}: {} {}",
                    res.status_code(),
                    res.text()
                );
                done += usize::from(res.status_code().is_success());
            }
            kept_is_rebuilt(&ctx, &format!("random writes, seed {seed}")).await;
        }
        assert!(done >= 12, "only {done} of 36 writes were made");
    })
    .await;
}

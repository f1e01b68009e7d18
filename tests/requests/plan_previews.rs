use crate::support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn preview(server: &axum_test::TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    let res = server
        .post("/api/v1/plan_previews")
        .authorization_bearer(token)
        .json(&body)
        .await;
    (res.status_code(), res.json())
}

fn body(rrule: &str) -> Value {
    json!({
        "tzid": "Asia/Shanghai",
        "dtstart": "2026-03-03T09:00:00",
        "rrule": rrule,
        "exdates": ["2026-03-10T09:00:00"],
        "rdates": [],
        "window_start": "2026-03-01T00:00:00",
        "window_end": "2026-04-01T00:00:00",
    })
}

#[tokio::test]
async fn the_preview_lists_occurrences_in_local_time_without_the_exdates() {
    with_app(|server, ctx| async move {
        for who in [
            "coordinator@doudi.test",
            "official@doudi.test",
            "admin@doudi.test",
        ] {
            let t = token(&ctx, who).await;
            let (status, v) = preview(&server, &t, body("FREQ=WEEKLY;BYDAY=TU,TH")).await;
            assert_eq!(status, StatusCode::OK, "{who}: {v}");
            assert_eq!(
                v["occurrences"],
                json!([
                    "2026-03-03T09:00:00",
                    "2026-03-05T09:00:00",
                    "2026-03-12T09:00:00",
                    "2026-03-17T09:00:00",
                    "2026-03-19T09:00:00",
                    "2026-03-24T09:00:00",
                    "2026-03-26T09:00:00",
                    "2026-03-31T09:00:00"
                ])
            );
        }
        // Window bounds are inclusive.
        let t = token(&ctx, "coordinator@doudi.test").await;
        let mut b = body("FREQ=DAILY;COUNT=3");
        b["window_start"] = json!("2026-03-04T09:00:00");
        b["window_end"] = json!("2026-03-05T09:00:00");
        let (_, v) = preview(&server, &t, b).await;
        assert_eq!(
            v["occurrences"],
            json!(["2026-03-04T09:00:00", "2026-03-05T09:00:00"])
        );
    })
    .await;
}

#[tokio::test]
async fn invalid_rules_and_windows_are_422_with_a_message_naming_the_problem() {
    with_app(|server, ctx| async move {
        let t = token(&ctx, "coordinator@doudi.test").await;
        // The message is translated (English for this token's user, or
        // the default); `code` names it for programs, `field` says where.
        for (rule, code) in [
            ("FREQ=WEEKLY;BYDAY=2TU", "error-rrule-ordinal-byday"),
            ("FREQ=DAILY;INTERVAL=0", "error-rrule-value"),
            (
                "FREQ=DAILY;COUNT=2;UNTIL=20260401T000000Z",
                "error-rrule-count-and-until",
            ),
            ("FREQ=MONTHLY;BYMONTHDAY=0", "error-rrule-value"),
            ("FREQ=MONTHLY;BYSETPOS=2", "error-rrule-setpos"),
            (
                "FREQ=DAILY;UNTIL=20260301",
                "error-rrule-until-before-start",
            ),
            ("garbage", "error-rrule-part"),
        ] {
            let (status, v) = preview(&server, &t, body(rule)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rule}");
            assert_eq!(v["code"], code, "{rule}: {v}");
            assert_eq!(v["field"], "rrule", "{rule}: {v}");
            let msg = v["error"].as_str().expect("error");
            assert!(
                !msg.is_empty() && !msg.contains("RRule") && !msg.contains(rule),
                "{rule}: {msg}"
            );
        }
        let mut b = body("FREQ=HOURLY");
        b["window_end"] = json!("2027-04-01T00:00:00");
        let (status, v) = preview(&server, &t, b).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "error-rrule-too-many", "{v}");
        let mut b = body("FREQ=DAILY");
        b["window_end"] = json!("2026-02-01T00:00:00");
        let (status, v) = preview(&server, &t, b).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "error-rrule-window", "{v}");
        let mut b = body("FREQ=DAILY");
        b["dtstart"] = json!("2026-03-03T09:00:00+08:00");
        let (status, _) = preview(&server, &t, b).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut b = body("FREQ=DAILY");
        b["tzid"] = json!("Asia/Nowhere");
        let (status, v) = preview(&server, &t, b).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "error-tzid", "{v}");
        assert_eq!(v["field"], "tzid", "{v}");
        let res = server
            .post("/api/v1/plan_previews")
            .authorization_bearer(&t)
            .text("not json")
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        // Workers do not plan.
        let w = token(&ctx, "worker@doudi.test").await;
        let (status, _) = preview(&server, &w, body("FREQ=DAILY")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let res = server
            .post("/api/v1/plan_previews")
            .json(&body("FREQ=DAILY"))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

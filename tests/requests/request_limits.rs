//! Bounded input: every list in a request has a maximum, and a visit log
//! over it is refused naming the field, with nothing lost.
use crate::support::builders::{check_in, completed, contract_body, person, planned};
use crate::support::*;
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};

#[tokio::test]
async fn a_visit_log_with_too_many_lines_is_refused_naming_the_field_and_nothing_is_lost() {
    with_app(|server, ctx| async move {
        let list = planned(&server, &ctx).await;
        let w = token(&ctx, "worker@doudi.test").await;
        check_in(&server, &w, &list[0]).await;
        let url = format!("/api/v1/visits/{}/submission", list[0].pid);
        let line = json!({"service": "daily_care", "minutes": 5});
        for (field, n, max) in [
            ("services", 10_000, 50),
            ("services", 51, 50),
            ("materials", 51, 50),
            ("referrals", 11, 10),
        ] {
            let mut body = completed();
            body[field] = match field {
                "services" => json!(vec![line.clone(); n]),
                "materials" => json!(vec![body["materials"][0].clone(); n]),
                _ => json!(vec![json!({"kind": "health_risk", "note": "血压"}); n]),
            };
            let res = server.post(&url).authorization_bearer(&w).json(&body).await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field} × {n}"
            );
            let errors = res.json::<Value>()["errors"].clone();
            let msg = errors[field][0].as_str().unwrap_or_default().to_string();
            assert!(msg.contains(&max.to_string()), "{field}: {errors}");
            // One message for the list, not one per line.
            assert_eq!(errors.as_object().map(|o| o.len()), Some(1), "{errors}");
        }
        // A body over the route's limit: 413 with the reason.
        let mut body = completed();
        body["notes"] = json!("很".repeat(400_000));
        let res = server
            .post(&url)
            .authorization_bearer(&w)
            .add_header("accept-language", "zh-CN")
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.json::<Value>()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("太大"));
        // The check-in stands; at the limit, the visit is logged.
        let mut body = completed();
        body["services"] = json!(vec![line; 50]);
        let res = server.post(&url).authorization_bearer(&w).json(&body).await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let ping = server.get("/_ping").await;
        assert_eq!(ping.status_code(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn every_list_in_a_request_has_a_maximum() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let coordinator = token(&ctx, "coordinator@doudi.test").await;
        let admin = token(&ctx, "admin@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let many = |n: usize| json!(vec![uuid::Uuid::new_v4(); n]);
        // Contract items, coverage.
        let mut body = contract_body(&town, &org);
        body["items"] = json!(vec![body["items"][0].clone(); 101]);
        let res = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&body)
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.json::<Value>()["errors"]["items"].is_array(),
            "{}",
            res.text()
        );
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let res = server
            .post(&format!(
                "/api/v1/contracts/{}/recipients",
                c["pid"].as_str().expect("pid")
            ))
            .authorization_bearer(&official)
            .json(&json!({"recipients": many(5001)}))
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(res.json::<Value>()["errors"]["recipients"].is_array());
        // Plans: services, skipped dates.
        let r = person(&ctx, "单秀英").await;
        let today = doudi::models::today();
        for (field, value) in [
            ("services", json!(vec!["daily_care"; 21])),
            ("exdates", json!(vec![format!("{today}T09:00:00"); 367])),
        ] {
            let mut plan = json!({
                "recipient": r.pid,
                "worker": user(&ctx, "worker@doudi.test").await.pid,
                "services": ["daily_care"],
                "dtstart": format!("{}T09:00:00", today + Duration::days(2)),
                "rrule": "FREQ=DAILY;COUNT=5",
            });
            plan[field] = value;
            let res = server
                .post("/api/v1/service_plans")
                .authorization_bearer(&coordinator)
                .json(&plan)
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}"
            );
            assert!(
                res.json::<Value>()["errors"][field].is_array(),
                "{field}: {}",
                res.text()
            );
        }
        // An official's townships.
        let res = server
            .post("/api/v1/users")
            .authorization_bearer(&admin)
            .json(
                &json!({"name": "多镇干部", "email": "many@doudi.test", "role": "official",
                          "password": "long-enough-1", "townships": many(51)}),
            )
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(
            res.json::<Value>()["errors"]["townships"].is_array(),
            "{}",
            res.text()
        );
    })
    .await;
}

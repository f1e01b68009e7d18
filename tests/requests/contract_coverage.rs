//! Covering people by a draft contract from a pasted column of ID numbers.
use crate::support::builders::{contract_body, person};
use crate::support::*;
use axum::http::StatusCode;
use doudi::models::_entities::recipients;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

#[tokio::test]
async fn a_draft_covers_people_from_a_pasted_column_of_id_numbers() {
    with_app(|server, ctx| async move {
        let official = token(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let org = organization_pid(&ctx, SUNSHINE).await.to_string();
        let c: Value = server
            .post("/api/v1/contracts")
            .authorization_bearer(&official)
            .json(&contract_body(&town, &org))
            .await
            .json();
        let pid = c["pid"].as_str().expect("pid").to_string();
        let vault = doudi::vault::Vault::of(&ctx).expect("vault");
        let id_of =
            |r: &recipients::Model| vault.open(&r.id_sealed).expect("id").as_str().to_string();
        let (a, b) = (person(&ctx, "单秀英").await, person(&ctx, "李长林").await);
        // Another township's resident is not covered by this contract.
        let elsewhere = recipients::Entity::find()
            .filter(recipients::Column::TownshipId.ne(a.township_id))
            .one(&ctx.db)
            .await
            .expect("q")
            .expect("someone elsewhere");
        let column = format!(
            "{}\n{}\n\n{}\n12345\n{}",
            id_of(&a),
            id_of(&b).to_lowercase(),
            id_of(&elsewhere),
            id_of(&a)
        );
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"id_numbers": column.lines().collect::<Vec<_>>()}))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["added"], 2);
        // What was not found comes back masked, never whole.
        let unmatched = body["unmatched"].as_array().cloned().unwrap_or_default();
        assert_eq!(unmatched.len(), 2, "{body}");
        assert!(unmatched.contains(&json!("#4")));
        assert!(!res.text().contains(&id_of(&elsewhere)));
        // The page form does the same and shows the result.
        let c2 = {
            let mut other = contract_body(&town, &org);
            other["code"] = json!("BZ-ZK-2027-009");
            server
                .post("/api/v1/contracts")
                .authorization_bearer(&official)
                .json(&other)
                .await
                .json::<Value>()
        };
        let pid2 = c2["pid"].as_str().expect("pid").to_string();
        let page = server
            .post(&format!("/contracts/{pid2}/recipients/import"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("id_numbers", column.as_str())])
            .await;
        assert_eq!(page.status_code(), StatusCode::OK, "{}", page.text());
        assert!(page.text().contains("#4"));
        let covered: Value = server
            .get(&format!("/api/v1/contracts/{pid2}/recipients"))
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(covered["page"]["total"], 2);
        // Nothing pasted, or someone else's township: refused.
        let res = server
            .post(&format!("/api/v1/contracts/{pid}/recipients"))
            .authorization_bearer(&official)
            .json(&json!({"id_numbers": [" "]}))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = server
            .post(&format!("/contracts/{pid2}/recipients/import"))
            .add_header("cookie", session(&ctx, "official2@doudi.test").await)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("id_numbers", column.as_str())])
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

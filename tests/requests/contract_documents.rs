//! Contract documents: stored, listed and read back in scope.
use crate::support::builders::contract_body;
use crate::support::*;
use axum::http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn contract_documents_are_stored_and_read_back_in_scope() {
    use axum_test::multipart::{MultipartForm, Part};
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
        let url = format!("/api/v1/contracts/{pid}/documents");
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let form = |bytes: Vec<u8>, name: &str, kind: &str| {
            MultipartForm::new()
                .add_text("kind", kind.to_string())
                .add_part("file", Part::bytes(bytes).file_name(name.to_string()))
        };
        // Not a kept type, an unknown kind, nothing: refused.
        for (bytes, name, kind) in [
            (b"MZ\x90\x00".to_vec(), "setup.exe", "contract"),
            (pdf.clone(), "合同.pdf", "secret"),
            (Vec::new(), "empty.pdf", "contract"),
        ] {
            let res = server
                .post(&url)
                .authorization_bearer(&official)
                .multipart(form(bytes, name, kind))
                .await;
            assert_eq!(
                res.status_code(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}"
            );
        }
        // Providers and other townships do not upload.
        for who in ["coordinator@doudi.test", "official2@doudi.test"] {
            let res = server
                .post(&url)
                .authorization_bearer(&token(&ctx, who).await)
                .multipart(form(pdf.clone(), "合同.pdf", "contract"))
                .await;
            assert_eq!(res.status_code(), StatusCode::NOT_FOUND, "{who}");
        }
        let res = server
            .post(&url)
            .authorization_bearer(&official)
            .multipart(form(pdf.clone(), "../曾口镇 合同.pdf", "contract"))
            .await;
        assert_eq!(res.status_code(), StatusCode::CREATED, "{}", res.text());
        let d: Value = res.json();
        assert_eq!(d["file_name"], "曾口镇 合同.pdf");
        assert_eq!(d["content_type"], "application/pdf");
        let list: Value = server
            .get(&url)
            .authorization_bearer(&official)
            .await
            .json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        // Read back by the provider too; not outside the township.
        let doc = format!(
            "/api/v1/contracts/{pid}/documents/{}",
            d["pid"].as_str().expect("pid")
        );
        let got = server
            .get(&doc)
            .authorization_bearer(&token(&ctx, "coordinator@doudi.test").await)
            .await;
        assert_eq!(got.status_code(), StatusCode::OK);
        assert_eq!(got.as_bytes().to_vec(), pdf);
        assert_eq!(got.header("content-type"), "application/pdf");
        let other = server
            .get(&doc)
            .authorization_bearer(&token(&ctx, "official2@doudi.test").await)
            .await;
        assert_eq!(other.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(audit_count(&ctx, "create", "contract_documents").await, 1);
        // The page's documents section lists it.
        let page = server
            .get(&format!("/contracts/{pid}?tab=documents"))
            .add_header("cookie", session(&ctx, "official@doudi.test").await)
            .await;
        assert!(page.text().contains("曾口镇 合同.pdf"));
    })
    .await;
}

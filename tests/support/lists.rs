//! Lists cost the same for a page of one row as for a page of many: the
//! statements of `per_page=1` and `per_page=100` (`x-query-count`).
use super::queries;
use axum_test::{TestResponse, TestServer};
use serde_json::Value;

pub async fn page(server: &TestServer, cookie: &str, path: &str) -> TestResponse {
    let res = server
        .get(path)
        .add_header("cookie", cookie.to_string())
        .await;
    res.assert_status_ok();
    res
}

pub async fn api(server: &TestServer, bearer: &str, path: &str) -> (u32, usize) {
    let res = server.get(path).authorization_bearer(bearer).await;
    res.assert_status_ok();
    let n = res.json::<Value>()["items"]
        .as_array()
        .expect("items")
        .len();
    (queries(&res), n)
}

/// The statements of a page with one row and of the same page with up to
/// 100 rows, checking that the second really has more rows.
pub async fn one_and_many_api(server: &TestServer, bearer: &str, path: &str) -> (u32, u32) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (one, n1) = api(server, bearer, &format!("{path}{sep}per_page=1")).await;
    let (many, n) = api(server, bearer, &format!("{path}{sep}per_page=100")).await;
    assert_eq!(n1, 1, "{path}");
    assert!(n > 1, "{path}: only {n} rows, nothing to compare");
    // Printed for the record (`cargo test queries_ -- --nocapture`).
    eprintln!("queries: GET {path}: {one} for 1 row, {many} for {n} rows");
    (one, many)
}

pub async fn one_and_many_page(server: &TestServer, cookie: &str, path: &str) -> (u32, u32) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let one = page(server, cookie, &format!("{path}{sep}per_page=1")).await;
    let many = page(server, cookie, &format!("{path}{sep}per_page=100")).await;
    assert!(many.text().len() > one.text().len(), "{path}: no more rows");
    let (one, many) = (queries(&one), queries(&many));
    eprintln!("queries: GET {path}: {one} for 1 row, {many} for a fuller page");
    (one, many)
}

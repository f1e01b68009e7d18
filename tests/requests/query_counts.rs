//! The `x-query-count` header the test configuration turns on: it counts
//! the statements of one request, not of others.
use crate::support::{queries, session, with_app};

#[tokio::test]
async fn each_response_says_how_many_statements_its_request_ran() {
    with_app(|server, ctx| async move {
        let ping = server.get("/_ping").await;
        assert_eq!(queries(&ping), 0, "a ping touches no table");
        let cookie = session(&ctx, "admin@doudi.test").await;
        let a = server
            .get("/townships")
            .add_header("cookie", cookie.clone())
            .await;
        a.assert_status_ok();
        let b = server
            .get("/townships")
            .add_header("cookie", cookie.clone())
            .await;
        assert!(queries(&a) > 0);
        assert_eq!(queries(&a), queries(&b), "the same page, the same count");
    })
    .await;
}

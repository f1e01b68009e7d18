//! Issue 15, point 3: registration forms keep what was typed. A township
//! select loads its villages in place (scoped; out of scope is 404), the
//! no-JavaScript fallback keeps every field, a validation error gives every
//! field back as typed, drafts never hold an ID number, and the lists
//! search as you type with "register this person" from an empty result.
use crate::support::{builders::attr, *};
use axum::http::StatusCode;

async fn options(
    server: &axum_test::TestServer,
    cookie: &str,
    query: &str,
) -> (StatusCode, String) {
    let res = server
        .get(&format!("/villages/options{query}"))
        .add_header("cookie", cookie.to_string())
        .await;
    (res.status_code(), res.text())
}

fn option_texts(html: &str) -> Vec<String> {
    // The partial is bare <option>s: parse it inside a select.
    select_text(&format!("<select>{html}</select>"), "option")
}

#[tokio::test]
async fn a_township_select_loads_only_its_villages_in_the_callers_scope() {
    with_app(|server, ctx| async move {
        let coordinator = session(&ctx, "official@doudi.test").await;
        let official = session(&ctx, "official@doudi.test").await;
        let worker = session(&ctx, "worker@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await;
        let other = township_pid(&ctx, "水宁寺镇").await;

        let (status, html) = options(&server, &coordinator, &format!("?township={town}")).await;
        assert_eq!(status, StatusCode::OK);
        let names = option_texts(&html);
        assert_eq!(
            names.len(),
            5,
            "a blank choice and four villages: {names:?}"
        );
        for v in ["石门村", "高峰村", "龙泉村", "曾口社区"] {
            assert!(names.iter().any(|n| n == v), "{v} in {names:?}");
        }
        assert!(!html.contains("黄梁村"), "no village of another township");
        assert!(!html.contains("<html"), "a fragment, not a page");

        // A list filter's blank choice is "all villages"; the chosen one
        // stays selected.
        let shimen = village_pid(&ctx, "石门村").await;
        let (_, html) = options(
            &server,
            &coordinator,
            &format!("?township={town}&blank=all&village={shimen}"),
        )
        .await;
        assert_eq!(option_texts(&html)[0], "全部村（社区）");
        let selected = attr(
            &format!("<select>{html}</select>"),
            "option[selected]",
            "value",
        );
        assert_eq!(selected, vec![shimen.to_string()]);

        // Blank and malformed townships are an empty select, not an error.
        for q in ["", "?township=", "?township=nonsense", "?township=%FF"] {
            let (status, html) = options(&server, &coordinator, q).await;
            assert_eq!(status, StatusCode::OK, "{q}");
            assert_eq!(option_texts(&html), vec!["请先选择乡镇".to_string()], "{q}");
        }

        // Outside the caller's scope, or nowhere: not found.
        let (status, _) = options(&server, &official, &format!("?township={other}")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "official outside their townships"
        );
        let (status, html) = options(&server, &official, &format!("?township={town}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("石门村"));
        let (status, _) = options(&server, &worker, &format!("?township={town}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "workers see no townships");
        let nowhere = uuid::Uuid::new_v4();
        let (status, _) = options(&server, &coordinator, &format!("?township={nowhere}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Signed out: sign in first.
        let res = server
            .get(&format!("/villages/options?township={town}"))
            .await;
        assert_eq!(res.status_code(), StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn the_registration_form_updates_villages_in_place_and_marks_what_is_never_kept() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let res = server
            .get("/recipients/new")
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        // One form: the township is part of it and loads the villages.
        assert_eq!(
            attr(&html, "form[data-keep]", "action"),
            vec!["/recipients".to_string()]
        );
        assert_eq!(
            attr(&html, "form select[name=township]", "hx-get"),
            vec!["/villages/options".to_string()]
        );
        assert_eq!(
            attr(&html, "form select[name=township]", "hx-target"),
            vec!["#village-select".to_string()]
        );
        assert_eq!(
            attr(&html, "select#village-select", "name"),
            vec!["village".to_string()]
        );
        assert!(
            select_text(&html, "form[method=get]").is_empty(),
            "no separate township form"
        );
        // Drafts: the form is kept, the ID number never.
        assert_eq!(
            attr(&html, "form[data-keep]", "data-keep"),
            vec!["recipient".to_string()]
        );
        assert_eq!(
            attr(&html, "input[name=id_number][data-keep-skip]", "name").len(),
            1
        );
        assert!(html.contains("/static/js/keep.js"));
        let js = server.get("/static/js/keep.js").await;
        assert_eq!(js.status_code(), StatusCode::OK);
        let js = js.text();
        assert!(js.contains("data-keep-skip") && js.contains("password"));

        let res = server
            .get("/households/new")
            .add_header("cookie", cookie)
            .await;
        let html = res.text();
        assert_eq!(
            attr(&html, "form select[name=township]", "hx-get"),
            vec!["/villages/options".to_string()]
        );
        assert_eq!(
            attr(&html, "form[data-keep]", "data-keep"),
            vec!["household".to_string()]
        );
    })
    .await;
}

/// Every field of the register form, typed, with an ID number that is
/// wrong so the form comes back.
fn typed(town: &str, village: &str) -> Vec<(&'static str, String)> {
    vec![
        ("township", town.to_string()),
        ("village", village.to_string()),
        ("address", "石门村3组12号".into()),
        ("assistance_status", "low_income".into()),
        ("status_since", "2026-03-01".into()),
        ("household_phone", "13900001111".into()),
        ("name", "欧阳秀英".into()),
        ("id_number", "51190219400101".into()),
        ("relation", "户主".into()),
        ("phone", "13800002222".into()),
        ("disability_level", "2".into()),
        ("disability_type", "physical".into()),
        ("guardian_name", "欧阳明".into()),
        ("guardian_phone", "13700003333".into()),
        ("guardian_relation", "儿子".into()),
        ("care_tags", "lives_alone".into()),
        ("care_tags", "bedridden".into()),
        ("care_needs", "每周两次助浴\n行动不便".into()),
        ("latitude", "31.85".into()),
        ("longitude", "106.75".into()),
        ("consent_by", "欧阳明".into()),
        ("consent_relation", "guardian".into()),
        ("consent_on", "2026-11-30".into()),
    ]
}

fn value_of(html: &str, name: &str) -> Vec<String> {
    attr(html, &format!("input[name={name}]"), "value")
}

fn selected_of(html: &str, name: &str) -> Vec<String> {
    attr(
        html,
        &format!("select[name={name}] option[selected]"),
        "value",
    )
}

fn assert_all_kept(html: &str, town: &str, village: &str) {
    for (name, want) in [
        ("address", "石门村3组12号"),
        ("status_since", "2026-03-01"),
        ("household_phone", "13900001111"),
        ("name", "欧阳秀英"),
        ("id_number", "51190219400101"),
        ("relation", "户主"),
        ("phone", "13800002222"),
        ("guardian_name", "欧阳明"),
        ("guardian_phone", "13700003333"),
        ("guardian_relation", "儿子"),
        ("latitude", "31.85"),
        ("longitude", "106.75"),
        ("consent_by", "欧阳明"),
        ("consent_on", "2026-11-30"),
    ] {
        assert_eq!(value_of(html, name), vec![want.to_string()], "input {name}");
    }
    for (name, want) in [
        ("township", town),
        ("village", village),
        ("assistance_status", "low_income"),
        ("disability_level", "2"),
        ("disability_type", "physical"),
        ("consent_relation", "guardian"),
    ] {
        assert_eq!(
            selected_of(html, name),
            vec![want.to_string()],
            "select {name}"
        );
    }
    let mut tags = attr(html, "input[name=care_tags][checked]", "value");
    tags.sort();
    assert_eq!(
        tags,
        vec!["bedridden".to_string(), "lives_alone".to_string()]
    );
    assert_eq!(
        select_text(html, "textarea[name=care_needs]"),
        vec!["每周两次助浴\n行动不便".to_string()]
    );
}

#[tokio::test]
async fn a_registration_error_gives_every_field_back_as_typed() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let village = village_pid(&ctx, "石门村").await.to_string();
        let before = audit_count(&ctx, "create", "recipients").await;
        let res = server
            .post("/recipients")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&typed(&town, &village))
            .await;
        assert_eq!(res.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(!select_text(&html, ".field-error").is_empty());
        assert_all_kept(&html, &town, &village);
        // The village list is the chosen township's.
        assert!(select_text(&html, "select[name=village] option").contains(&"高峰村".to_string()));
        assert_eq!(audit_count(&ctx, "create", "recipients").await, before);
    })
    .await;
}

#[tokio::test]
async fn listing_villages_without_javascript_keeps_every_field_and_saves_nothing() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "清江镇").await.to_string();
        let village = village_pid(&ctx, "石门村").await.to_string();
        let before = audit_count(&ctx, "create", "recipients").await;
        let html = server
            .get("/recipients/new")
            .add_header("cookie", cookie.clone())
            .await
            .text();
        assert_eq!(
            html.matches("formaction=\"/recipients/new\"").count(),
            1,
            "a fallback button posts the form to list the villages"
        );
        let res = server
            .post("/recipients/new")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&typed(&town, &village))
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        assert_eq!(value_of(&html, "name"), vec!["欧阳秀英".to_string()]);
        assert_eq!(
            value_of(&html, "address"),
            vec!["石门村3组12号".to_string()]
        );
        assert_eq!(selected_of(&html, "township"), vec![town.clone()]);
        let villages = select_text(&html, "select[name=village] option");
        assert!(villages.contains(&"白岩村".to_string()), "{villages:?}");
        assert!(
            !villages.contains(&"石门村".to_string()),
            "the new township's villages"
        );
        assert!(
            select_text(&html, ".field-error").is_empty(),
            "no errors: nothing was checked"
        );
        assert_eq!(
            audit_count(&ctx, "create", "recipients").await,
            before,
            "nothing saved"
        );

        // The same for households, new and edit.
        let res = server
            .post("/households/new")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("township", town.as_str()),
                ("address", "清江镇某街1号"),
                ("phone", "13911112222"),
            ])
            .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let html = res.text();
        assert_eq!(
            value_of(&html, "address"),
            vec!["清江镇某街1号".to_string()]
        );
        assert_eq!(value_of(&html, "phone"), vec!["13911112222".to_string()]);
        assert!(select_text(&html, "select[name=village] option").contains(&"白岩村".to_string()));
        // A worker may not.
        let worker = session(&ctx, "worker@doudi.test").await;
        let res = server
            .post("/recipients/new")
            .add_header("cookie", worker)
            .add_header("sec-fetch-site", "same-origin")
            .form(&[("township", town.as_str())])
            .await;
        assert_eq!(res.status_code(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_household_error_gives_every_field_back_as_typed() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "曾口镇").await.to_string();
        let village = village_pid(&ctx, "高峰村").await.to_string();
        let res = server
            .post("/households")
            .add_header("cookie", cookie.clone())
            .add_header("sec-fetch-site", "same-origin")
            .form(&[
                ("township", town.as_str()),
                ("village", village.as_str()),
                ("address", "高峰村2组5号"),
                ("phone", "not a phone"),
                ("assistance_status", "dibao"),
                ("status_since", "2026-01-01"),
                ("status_until", "2026-12-31"),
            ])
            .await;
        assert_eq!(
            res.status_code(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let html = res.text();
        assert_eq!(value_of(&html, "address"), vec!["高峰村2组5号".to_string()]);
        assert_eq!(value_of(&html, "phone"), vec!["not a phone".to_string()]);
        assert_eq!(
            value_of(&html, "status_since"),
            vec!["2026-01-01".to_string()]
        );
        assert_eq!(
            value_of(&html, "status_until"),
            vec!["2026-12-31".to_string()]
        );
        assert_eq!(selected_of(&html, "township"), vec![town]);
        assert_eq!(selected_of(&html, "village"), vec![village]);
        assert_eq!(
            selected_of(&html, "assistance_status"),
            vec!["dibao".to_string()]
        );
    })
    .await;
}

fn htmx_results(req: axum_test::TestRequest) -> axum_test::TestRequest {
    req.add_header("hx-request", "true")
        .add_header("hx-target", "results")
}

#[tokio::test]
async fn the_lists_search_as_you_type_answering_only_their_results() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let page = server
            .get("/recipients")
            .add_header("cookie", cookie.clone())
            .await;
        let html = page.text();
        assert_eq!(
            attr(&html, "input[name=q]", "hx-trigger"),
            vec!["input changed delay:400ms, search".to_string()]
        );
        assert_eq!(
            attr(&html, "input[name=q]", "hx-push-url"),
            vec!["true".to_string()]
        );
        assert_eq!(attr(&html, "#results", "id").len(), 1);
        assert!(page
            .header("vary")
            .to_str()
            .expect("ascii")
            .contains("HX-Request"));

        let res = htmx_results(
            server
                .get("/recipients?q=zzzz")
                .add_header("cookie", cookie.clone()),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let part = res.text();
        assert!(
            part.trim_start().starts_with("<div id=\"results\""),
            "{part}"
        );
        assert!(!part.contains("<html") && !part.contains("<nav class=\"sections\""));
        // Going back restores the whole page.
        let res = htmx_results(
            server
                .get("/recipients?q=zzzz")
                .add_header("cookie", cookie.clone()),
        )
        .add_header("hx-history-restore-request", "true")
        .await;
        assert!(res.text().contains("<html"));

        let res = htmx_results(
            server
                .get("/households?q=石门")
                .add_header("cookie", cookie.clone()),
        )
        .await;
        assert_eq!(res.status_code(), StatusCode::OK);
        let part = res.text();
        assert!(part.trim_start().starts_with("<div id=\"results\""));
        assert!(!part.contains("<html"));
        let page = server
            .get("/households")
            .add_header("cookie", cookie)
            .await
            .text();
        assert_eq!(
            attr(&page, "input[name=q]", "hx-target"),
            vec!["#results".to_string()]
        );
    })
    .await;
}

#[tokio::test]
async fn an_empty_search_for_a_name_offers_to_register_that_person() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let res = htmx_results(
            server
                .get("/recipients")
                .add_query_param("q", "司马无名")
                .add_header("cookie", cookie.clone()),
        )
        .await;
        let part = res.text();
        let links = attr(&part, "a.register-this", "href");
        assert_eq!(links.len(), 1, "{part}");
        assert!(select_text(&part, "a.register-this")[0].contains("司马无名"));
        let form = server
            .get(&links[0])
            .add_header("cookie", cookie.clone())
            .await;
        assert_eq!(form.status_code(), StatusCode::OK);
        assert_eq!(value_of(&form.text(), "name"), vec!["司马无名".to_string()]);

        // Pinyin and ID ends are not names to register; a found person
        // needs no offer.
        for q in ["simawuming", "1234"] {
            let part = htmx_results(
                server
                    .get("/recipients")
                    .add_query_param("q", q)
                    .add_header("cookie", cookie.clone()),
            )
            .await
            .text();
            assert!(attr(&part, "a.register-this", "href").is_empty(), "{q}");
        }
        let someone = person_named_in_demo(&ctx).await;
        let part = htmx_results(
            server
                .get("/recipients")
                .add_query_param("q", &someone)
                .add_header("cookie", cookie.clone()),
        )
        .await
        .text();
        assert!(attr(&part, "a.register-this", "href").is_empty());

        // A provider's coordinator is offered to propose the person
        // (issue 16: the township registers); a worker has no list.
        let coordinator = session(&ctx, "coordinator@doudi.test").await;
        let part = htmx_results(
            server
                .get("/recipients")
                .add_query_param("q", "司马无名")
                .add_header("cookie", coordinator.clone()),
        )
        .await
        .text();
        assert!(!attr(&part, "a.register-this", "href").is_empty());
        assert!(select_text(&part, "li.muted").contains(&"暂无记录".to_string()));

        // Households: offer a new household at the typed address.
        let part = htmx_results(
            server
                .get("/households")
                .add_query_param("q", "无此地址9组")
                .add_header("cookie", cookie.clone()),
        )
        .await
        .text();
        let links = attr(&part, "a.register-this", "href");
        assert_eq!(links.len(), 1, "{part}");
        let form = server
            .get(&links[0])
            .add_header("cookie", cookie)
            .await
            .text();
        assert_eq!(value_of(&form, "address"), vec!["无此地址9组".to_string()]);
        let part = htmx_results(
            server
                .get("/households")
                .add_query_param("q", "无此地址9组")
                .add_header("cookie", coordinator),
        )
        .await
        .text();
        assert!(attr(&part, "a.register-this", "href").is_empty());
    })
    .await;
}

async fn person_named_in_demo(ctx: &loco_rs::app::AppContext) -> String {
    use doudi::models::_entities::recipients;
    use sea_orm::EntityTrait;
    recipients::Entity::find()
        .one(&ctx.db)
        .await
        .expect("query")
        .expect("a demo recipient")
        .name
}

#[tokio::test]
async fn a_list_filter_drops_a_village_left_over_from_another_township() {
    with_app(|server, ctx| async move {
        let cookie = session(&ctx, "official@doudi.test").await;
        let town = township_pid(&ctx, "清江镇").await;
        let village = village_pid(&ctx, "石门村").await;
        let only_town = server
            .get(&format!("/api/v1/recipients?township={town}"))
            .authorization_bearer(token(&ctx, "official@doudi.test").await)
            .await
            .json::<serde_json::Value>()["page"]["total"]
            .clone();
        let page = server
            .get(&format!("/recipients?township={town}&village={village}"))
            .add_header("cookie", cookie)
            .await
            .text();
        let counted = select_text(&page, "#results > p.muted")
            .first()
            .cloned()
            .unwrap_or_default();
        assert!(
            counted.contains(&only_town.to_string()),
            "{counted} vs {only_town}"
        );
    })
    .await;
}

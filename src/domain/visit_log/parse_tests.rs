//! Every rule and every field error of a visit's log, as tables.
use super::*;
use base64::Engine;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::json;

fn data_url(kind: &str, bytes: &[u8]) -> String {
    format!(
        "data:{kind};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn png() -> String {
    data_url("image/png", b"\x89PNG\r\n\x1a\nsigned")
}

const LONG: usize = MAX_NOTES + 1;

/// A completed visit's log that passes: one service, one material line,
/// confirmed and signed.
fn completed() -> Value {
    json!({
        "outcome": "completed",
        "services": [{"service": "meal", "minutes": 30}],
        "materials": [{
            "item": "大米", "category": "food", "quantity": "2", "unit": "kg",
            "value": "12.50", "funding": "contract",
        }],
        "confirmed_by": "张三",
        "confirmed_relation": "本人",
        "signature": png(),
    })
}

/// `base` with the value at each JSON pointer set (`None`: removed).
fn edit(mut base: Value, edits: &[(&str, Option<Value>)]) -> Value {
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let target = base.pointer_mut(parent).expect("parent");
        match (target, value) {
            (Value::Object(map), Some(v)) => {
                map.insert(key.to_string(), v.clone());
            }
            (Value::Object(map), None) => {
                map.remove(key);
            }
            (Value::Array(items), Some(v)) => {
                let i: usize = key.parse().expect("index");
                if i < items.len() {
                    items[i] = v.clone();
                } else {
                    items.push(v.clone());
                }
            }
            _ => panic!("cannot edit {pointer}"),
        }
    }
    base
}

fn offered(code: &str) -> bool {
    matches!(code, "meal" | "bath")
}

fn parse(v: Value, signed: bool) -> Result<VisitLog, FieldErrors> {
    let input: LogInput = serde_json::from_value(v).expect("input shape");
    VisitLog::parse(&input, &offered, signed, None)
}

fn errors(want: &[(&str, &str)]) -> FieldErrors {
    let mut e = FieldErrors::new();
    for (field, key) in want {
        e.add(field, key);
    }
    e
}

fn s(n: usize) -> Value {
    Value::String("字".repeat(n))
}

fn lines(line: &Value, n: usize) -> Value {
    Value::Array(vec![line.clone(); n])
}

fn service() -> Value {
    completed()["services"][0].clone()
}

fn material() -> Value {
    completed()["materials"][0].clone()
}

#[test]
fn the_base_log_passes_and_reads_back() {
    let log = parse(completed(), false).expect("valid");
    assert_eq!(log.outcome(), Outcome::Completed);
    assert_eq!(log.status(), VisitStatus::Completed);
    assert!(log.delivered());
    assert_eq!(log.services().len(), 1);
    assert_eq!(log.services()[0].service(), "meal");
    assert_eq!(log.services()[0].minutes(), 30);
    let m = &log.materials()[0];
    assert_eq!(
        (
            m.item(),
            m.category(),
            m.quantity_milli(),
            m.unit(),
            m.value_fen()
        ),
        ("大米", MaterialCategory::Food, 2000, "kg", 1250)
    );
    assert_eq!((m.funding(), m.donor()), (Funding::Contract, None));
    assert_eq!(log.confirmed_by(), Some("张三"));
    assert_eq!(log.confirmed_relation(), Some("本人"));
    assert_eq!(log.no_confirmation_reason(), None);
    let sig = log.signature().expect("signature");
    assert_eq!(sig.content_type(), "image/png");
    assert_eq!(sig.kind(), ImageKind::Png);
    assert!(sig.data().starts_with(b"\x89PNG"));
    assert_eq!((log.notes(), log.cancel_reason()), (None, None));
}

/// Each rule of the log as a whole, and each field error of a line: what
/// is changed in the passing log, and exactly the errors that follow.
#[rstest]
// The outcome.
#[case::no_outcome(&[("/outcome", None), ("/services", Some(json!([]))), ("/materials", Some(json!([])))], &[("outcome", "error-outcome")])]
#[case::unknown_outcome(&[("/outcome", Some(json!("accepted"))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))], &[("outcome", "error-outcome")])]
#[case::unknown_outcome_with_lines(&[("/outcome", Some(json!("done")))], &[("outcome", "error-outcome"), ("services", "error-lines-only-completed")])]
// Notes, and a cancellation's reason.
#[case::cancelled_without_notes(&[("/outcome", Some(json!("cancelled"))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))], &[("notes", "error-cancel-reason")])]
#[case::cancelled_with_blank_notes(&[("/outcome", Some(json!("cancelled"))), ("/notes", Some(json!("   "))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))], &[("notes", "error-cancel-reason")])]
#[case::cancelled_with_too_long_notes(&[("/outcome", Some(json!("cancelled"))), ("/notes", Some(s(LONG))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))], &[("notes", "error-too-long"), ("notes", "error-cancel-reason")])]
#[case::notes_too_long(&[("/notes", Some(s(LONG)))], &[("notes", "error-too-long")])]
// Lines only on a completed visit.
#[case::services_on_attempted(&[("/outcome", Some(json!("attempted"))), ("/materials", Some(json!([])))], &[("services", "error-lines-only-completed")])]
#[case::materials_on_refused(&[("/outcome", Some(json!("refused"))), ("/services", Some(json!([])))], &[("services", "error-lines-only-completed")])]
#[case::lines_on_cancelled(&[("/outcome", Some(json!("cancelled"))), ("/notes", Some(json!("病了")))], &[("services", "error-lines-only-completed")])]
// Too many lines: refused as a whole, no line looked at.
#[case::too_many_services(&[("/services", Some(lines(&json!({"service": "x", "minutes": 0}), 51)))], &[("services", "error-list-max-50")])]
#[case::too_many_materials(&[("/materials", Some(lines(&json!({}), 51)))], &[("materials", "error-list-max-50")])]
#[case::too_many_of_both(&[("/services", Some(lines(&service(), 51))), ("/materials", Some(lines(&material(), 51)))], &[("services", "error-list-max-50"), ("materials", "error-list-max-50")])]
#[case::too_many_on_attempted(&[("/outcome", Some(json!("attempted"))), ("/services", Some(lines(&service(), 51)))], &[("services", "error-lines-only-completed"), ("services", "error-list-max-50")])]
// A service line.
#[case::unknown_service(&[("/services/0/service", Some(json!("massage")))], &[("services.0.service", "error-choose-services")])]
#[case::blank_service(&[("/services/0/service", Some(json!("  ")))], &[("services.0.service", "error-choose-services")])]
#[case::missing_service(&[("/services/0/service", None)], &[("services.0.service", "error-choose-services")])]
#[case::zero_minutes(&[("/services/0/minutes", Some(json!(0)))], &[("services.0.minutes", "error-minutes")])]
#[case::too_many_minutes(&[("/services/0/minutes", Some(json!(721)))], &[("services.0.minutes", "error-minutes")])]
#[case::too_many_minutes_as_text(&[("/services/0/minutes", Some(json!("721")))], &[("services.0.minutes", "error-minutes")])]
#[case::negative_minutes(&[("/services/0/minutes", Some(json!(-5)))], &[("services.0.minutes", "error-minutes")])]
#[case::minutes_not_a_number(&[("/services/0/minutes", Some(json!("half an hour")))], &[("services.0.minutes", "error-minutes")])]
#[case::fractional_minutes(&[("/services/0/minutes", Some(json!(30.5)))], &[("services.0.minutes", "error-minutes")])]
#[case::minutes_as_bool(&[("/services/0/minutes", Some(json!(true)))], &[("services.0.minutes", "error-minutes")])]
#[case::missing_minutes(&[("/services/0/minutes", None)], &[("services.0.minutes", "error-minutes")])]
#[case::an_empty_service_line(&[("/services/0", Some(json!({})))], &[("services.0.service", "error-choose-services"), ("services.0.minutes", "error-minutes")])]
#[case::keys_are_per_line(&[("/services/1", Some(json!({"service": "bath", "minutes": 0})))], &[("services.1.minutes", "error-minutes")])]
// A material line.
#[case::empty_item(&[("/materials/0/item", Some(json!(" ")))], &[("materials.0.item", "error-required")])]
#[case::missing_item(&[("/materials/0/item", None)], &[("materials.0.item", "error-required")])]
#[case::item_too_long(&[("/materials/0/item", Some(s(101)))], &[("materials.0.item", "error-too-long")])]
#[case::unknown_category(&[("/materials/0/category", Some(json!("toys")))], &[("materials.0.category", "error-material-category")])]
#[case::missing_category(&[("/materials/0/category", None)], &[("materials.0.category", "error-material-category")])]
#[case::zero_quantity(&[("/materials/0/quantity", Some(json!("0")))], &[("materials.0.quantity", "error-quantity")])]
#[case::negative_quantity(&[("/materials/0/quantity", Some(json!(-1)))], &[("materials.0.quantity", "error-quantity")])]
#[case::quantity_too_precise(&[("/materials/0/quantity", Some(json!("1.2345")))], &[("materials.0.quantity", "error-quantity")])]
#[case::quantity_too_large(&[("/materials/0/quantity", Some(json!("1000001")))], &[("materials.0.quantity", "error-quantity")])]
#[case::quantity_not_a_number(&[("/materials/0/quantity", Some(json!("two")))], &[("materials.0.quantity", "error-quantity")])]
#[case::quantity_as_bool(&[("/materials/0/quantity", Some(json!(false)))], &[("materials.0.quantity", "error-quantity")])]
#[case::missing_quantity(&[("/materials/0/quantity", None)], &[("materials.0.quantity", "error-quantity")])]
#[case::empty_unit(&[("/materials/0/unit", Some(json!("")))], &[("materials.0.unit", "error-required")])]
#[case::unit_too_long(&[("/materials/0/unit", Some(s(21)))], &[("materials.0.unit", "error-too-long")])]
#[case::value_not_money(&[("/materials/0/value", Some(json!("a lot")))], &[("materials.0.value", "error-money")])]
#[case::negative_value(&[("/materials/0/value", Some(json!("-1")))], &[("materials.0.value", "error-money-negative")])]
#[case::value_in_tenths_of_fen(&[("/materials/0/value", Some(json!("1.234")))], &[("materials.0.value", "error-money-precision")])]
#[case::value_too_large(&[("/materials/0/value", Some(json!("100000000.01")))], &[("materials.0.value", "error-money-large")])]
#[case::value_as_bool(&[("/materials/0/value", Some(json!(true)))], &[("materials.0.value", "error-money")])]
#[case::missing_value(&[("/materials/0/value", None)], &[("materials.0.value", "error-money")])]
#[case::unknown_funding(&[("/materials/0/funding", Some(json!("grant")))], &[("materials.0.funding", "error-funding")])]
#[case::missing_funding(&[("/materials/0/funding", None)], &[("materials.0.funding", "error-funding")])]
#[case::donation_without_donor(&[("/materials/0/funding", Some(json!("donation")))], &[("materials.0.donor", "error-donor")])]
#[case::donation_with_blank_donor(&[("/materials/0/funding", Some(json!("donation"))), ("/materials/0/donor", Some(json!("  ")))], &[("materials.0.donor", "error-donor")])]
#[case::donor_too_long(&[("/materials/0/funding", Some(json!("donation"))), ("/materials/0/donor", Some(s(101)))], &[("materials.0.donor", "error-too-long"), ("materials.0.donor", "error-donor")])]
#[case::donor_too_long_for_contract(&[("/materials/0/donor", Some(s(101)))], &[("materials.0.donor", "error-too-long")])]
#[case::an_empty_material_line(&[("/materials/0", Some(json!({})))], &[("materials.0.item", "error-required"), ("materials.0.category", "error-material-category"), ("materials.0.quantity", "error-quantity"), ("materials.0.unit", "error-required"), ("materials.0.value", "error-money"), ("materials.0.funding", "error-funding")])]
#[case::material_keys_are_per_line(&[("/materials/1", Some(json!({"item": "油", "category": "food", "quantity": 1, "unit": "瓶", "value": 30, "funding": "donation"})))], &[("materials.1.donor", "error-donor")])]
// The recipient's confirmation of a completed visit.
#[case::nobody_confirmed(&[("/confirmed_by", None)], &[("confirmation", "error-confirmation")])]
#[case::blank_confirmer(&[("/confirmed_by", Some(json!("  ")))], &[("confirmation", "error-confirmation")])]
#[case::no_relation(&[("/confirmed_relation", None)], &[("confirmation", "error-confirmation")])]
#[case::not_signed(&[("/signature", None)], &[("confirmation", "error-confirmation")])]
#[case::blank_signature(&[("/signature", Some(json!(" ")))], &[("confirmation", "error-confirmation")])]
#[case::confirmer_too_long(&[("/confirmed_by", Some(s(51)))], &[("confirmed_by", "error-too-long"), ("confirmation", "error-confirmation")])]
#[case::relation_too_long(&[("/confirmed_relation", Some(s(21)))], &[("confirmed_relation", "error-too-long"), ("confirmation", "error-confirmation")])]
#[case::unknown_no_confirmation_reason(&[("/confirmed_by", None), ("/no_confirmation_reason", Some(json!("busy")))], &[("no_confirmation_reason", "error-location-reason"), ("confirmation", "error-confirmation")])]
#[case::unknown_reason_beside_a_confirmation(&[("/no_confirmation_reason", Some(json!("busy")))], &[("no_confirmation_reason", "error-location-reason")])]
// Signatures.
#[case::signature_not_a_data_url(&[("/signature", Some(json!("a drawing")))], &[("signature", "error-signature"), ("confirmation", "error-confirmation")])]
#[case::signature_of_a_wrong_kind(&[("/signature", Some(json!(data_url("image/gif", b"GIF89a"))))], &[("signature", "error-signature"), ("confirmation", "error-confirmation")])]
#[case::signature_not_what_it_says(&[("/signature", Some(json!(data_url("image/png", &[0xFF, 0xD8, 0xFF]))))], &[("signature", "error-signature"), ("confirmation", "error-confirmation")])]
#[case::signature_bad_on_an_attempted_visit(&[("/outcome", Some(json!("attempted"))), ("/services", Some(json!([]))), ("/materials", Some(json!([]))), ("/signature", Some(json!("x")))], &[("signature", "error-signature")])]
fn each_rule_and_field_error(
    #[case] edits: &[(&str, Option<Value>)],
    #[case] want: &[(&str, &str)],
) {
    let input = edit(completed(), edits);
    assert_eq!(parse(input, false), Err(errors(want)));
}

/// Logs that pass, however they are written.
#[rstest]
#[case::outcome_with_spaces(&[("/outcome", Some(json!(" completed ")))])]
#[case::fifty_services(&[("/services", Some(lines(&service(), 50)))])]
#[case::fifty_materials(&[("/materials", Some(lines(&material(), 50)))])]
#[case::no_materials(&[("/materials", Some(json!([])))])]
#[case::one_minute(&[("/services/0/minutes", Some(json!(1)))])]
#[case::twelve_hours(&[("/services/0/minutes", Some(json!(720)))])]
#[case::minutes_as_text(&[("/services/0/minutes", Some(json!(" 45 ")))])]
#[case::service_with_spaces(&[("/services/0/service", Some(json!(" bath ")))])]
#[case::quantity_as_number(&[("/materials/0/quantity", Some(json!(3)))])]
#[case::quantity_in_thousandths(&[("/materials/0/quantity", Some(json!("0.125")))])]
#[case::quantity_full_width(&[("/materials/0/quantity", Some(json!("２")))])]
#[case::value_as_number(&[("/materials/0/value", Some(json!(12.5)))])]
#[case::value_with_yuan_sign(&[("/materials/0/value", Some(json!("¥1,234.50")))])]
#[case::value_free(&[("/materials/0/value", Some(json!("0")))])]
#[case::donation_with_donor(&[("/materials/0/funding", Some(json!("donation"))), ("/materials/0/donor", Some(json!("巴中市慈善总会")))])]
#[case::funding_with_spaces(&[("/materials/0/funding", Some(json!(" contract ")))])]
#[case::a_reason_instead_of_a_confirmation(&[("/confirmed_by", None), ("/confirmed_relation", None), ("/signature", None), ("/no_confirmation_reason", Some(json!("cannot_write")))])]
#[case::a_jpeg_signature(&[("/signature", Some(json!(data_url("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]))))])]
#[case::a_webp_signature(&[("/signature", Some(json!(data_url("image/webp", b"RIFF\0\0\0\0WEBPVP8 "))))])]
#[case::attempted(&[("/outcome", Some(json!("attempted"))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))])]
#[case::refused_with_notes(&[("/outcome", Some(json!("refused"))), ("/notes", Some(json!("不需要"))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))])]
#[case::cancelled_with_a_reason(&[("/outcome", Some(json!("cancelled"))), ("/notes", Some(json!("住院"))), ("/services", Some(json!([]))), ("/materials", Some(json!([])))])]
#[case::notes_at_the_limit(&[("/notes", Some(s(MAX_NOTES)))])]
fn logs_that_pass(#[case] edits: &[(&str, Option<Value>)]) {
    let input = edit(completed(), edits);
    let log = parse(input, false);
    assert!(log.is_ok(), "{log:?}");
}

#[test]
fn a_correction_need_not_sign_again_when_a_signature_is_on_file() {
    let unsigned = edit(completed(), &[("/signature", None)]);
    assert!(parse(unsigned.clone(), true).is_ok());
    assert_eq!(
        parse(unsigned, false),
        Err(errors(&[("confirmation", "error-confirmation")]))
    );
    // Still a confirmer and a relation.
    let nobody = edit(
        completed(),
        &[("/signature", None), ("/confirmed_by", None)],
    );
    assert_eq!(
        parse(nobody, true),
        Err(errors(&[("confirmation", "error-confirmation")]))
    );
    // A bad new signature is refused even then.
    let bad = edit(completed(), &[("/signature", Some(json!("x")))]);
    assert_eq!(
        parse(bad, true),
        Err(errors(&[("signature", "error-signature")]))
    );
}

#[test]
fn a_donor_is_kept_for_a_donation_and_dropped_for_contract_funding() {
    let donated = edit(
        completed(),
        &[
            ("/materials/0/funding", Some(json!("donation"))),
            ("/materials/0/donor", Some(json!(" 慈善总会 "))),
        ],
    );
    let log = parse(donated, false).expect("valid");
    assert_eq!(log.materials()[0].funding(), Funding::Donation);
    assert_eq!(log.materials()[0].donor(), Some("慈善总会"));
    let paid = edit(
        completed(),
        &[("/materials/0/donor", Some(json!("慈善总会")))],
    );
    let log = parse(paid, false).expect("valid");
    assert_eq!(log.materials()[0].funding(), Funding::Contract);
    assert_eq!(log.materials()[0].donor(), None);
}

#[test]
fn only_a_completed_visit_keeps_a_confirmation_and_a_signature() {
    let attempted = edit(
        completed(),
        &[
            ("/outcome", Some(json!("attempted"))),
            ("/services", Some(json!([]))),
            ("/materials", Some(json!([]))),
            ("/no_confirmation_reason", Some(json!("cannot_write"))),
            ("/notes", Some(json!("没人在家"))),
        ],
    );
    let log = parse(attempted, false).expect("valid");
    assert_eq!(log.status(), VisitStatus::Attempted);
    assert!(!log.delivered());
    assert_eq!(log.confirmed_by(), None);
    assert_eq!(log.confirmed_relation(), None);
    assert_eq!(log.no_confirmation_reason(), None);
    assert_eq!(log.signature(), None);
    assert_eq!(log.notes(), Some("没人在家"));
    assert_eq!(
        log.cancel_reason(),
        None,
        "only a cancellation has a reason"
    );
    let cancelled = edit(
        attempted_base(),
        &[
            ("/outcome", Some(json!("cancelled"))),
            ("/notes", Some(json!(" 住院 "))),
        ],
    );
    let log = parse(cancelled, false).expect("valid");
    assert_eq!(log.cancel_reason(), Some("住院"));
    assert_eq!(log.status(), VisitStatus::Cancelled);
}

fn attempted_base() -> Value {
    json!({"outcome": "attempted"})
}

#[test]
fn a_completed_log_with_a_reason_keeps_the_reason() {
    let input = edit(
        completed(),
        &[
            ("/signature", None),
            ("/no_confirmation_reason", Some(json!("device_problem"))),
        ],
    );
    let log = parse(input, false).expect("valid");
    assert_eq!(
        log.no_confirmation_reason(),
        Some(NoConfirmationReason::DeviceProblem)
    );
    assert_eq!(log.confirmed_by(), Some("张三"));
    assert_eq!(log.signature(), None);
}

#[test]
fn every_outcome_names_the_status_it_leads_to() {
    for o in Outcome::ALL {
        assert_eq!(o.status().as_str(), o.as_str());
        assert!(o.status().has_record());
    }
}

/// Which outcome may end a visit in which status, at the door.
#[rstest]
#[case(Outcome::Completed, VisitStatus::InProgress, true)]
#[case(Outcome::Attempted, VisitStatus::InProgress, true)]
#[case(Outcome::Refused, VisitStatus::InProgress, true)]
#[case(Outcome::Cancelled, VisitStatus::InProgress, true)]
#[case(Outcome::Cancelled, VisitStatus::Scheduled, true)]
#[case(Outcome::Completed, VisitStatus::Scheduled, false)]
#[case(Outcome::Refused, VisitStatus::Scheduled, false)]
#[case(Outcome::Completed, VisitStatus::Missed, false)]
#[case(Outcome::Cancelled, VisitStatus::Missed, false)]
#[case(Outcome::Completed, VisitStatus::Completed, false)]
#[case(Outcome::Cancelled, VisitStatus::Cancelled, false)]
#[case(Outcome::Attempted, VisitStatus::Refused, false)]
fn which_outcome_may_end_which_visit(
    #[case] o: Outcome,
    #[case] from: VisitStatus,
    #[case] may: bool,
) {
    assert_eq!(o.may_end(from), may);
    // Whatever may end it is a change the lifecycle allows.
    assert!(!may || from.may_become(o.status()), "{from} -> {o:?}");
}

/// Each way a signature is refused.
#[rstest]
#[case::no_comma("data:image/png;base64", SignatureError::NotDataUrl)]
#[case::not_data("image/png;base64,iVBORw0KGgo=", SignatureError::NotDataUrl)]
#[case::not_base64_url("data:image/png,iVBORw0KGgo=", SignatureError::NotDataUrl)]
#[case::gif(&data_url("image/gif", b"GIF89a"), SignatureError::Kind)]
#[case::svg(&data_url("image/svg+xml", b"<svg/>"), SignatureError::Kind)]
#[case::kind_with_spaces(&data_url(" image/png", b"\x89PNG"), SignatureError::Kind)]
#[case::bad_base64("data:image/png;base64,!!!", SignatureError::Encoding)]
#[case::png_that_is_a_jpeg(&data_url("image/png", &[0xFF, 0xD8, 0xFF]), SignatureError::Content)]
#[case::jpeg_that_is_a_png(&data_url("image/jpeg", b"\x89PNG"), SignatureError::Content)]
#[case::webp_too_short(&data_url("image/webp", b"RIFF"), SignatureError::Content)]
#[case::empty("data:image/png;base64,", SignatureError::Content)]
#[case::too_big(&data_url("image/png", &[b"\x89PNG".as_slice(), &vec![0; MAX_SIGNATURE_BYTES - 3]].concat()), SignatureError::Size)]
fn signatures_refused(#[case] raw: &str, #[case] want: SignatureError) {
    assert_eq!(Signature::parse(raw), Err(want));
    assert_eq!(want.message_key(), "error-signature");
}

#[test]
fn a_signature_of_the_largest_size_passes() {
    let bytes = [b"\x89PNG".as_slice(), &vec![0; MAX_SIGNATURE_BYTES - 4]].concat();
    let sig = Signature::parse(&format!("  {}  ", data_url("image/png", &bytes))).expect("ok");
    assert_eq!(sig.data().len(), MAX_SIGNATURE_BYTES);
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        prop::sample::select(vec![
            "completed",
            "attempted",
            "refused",
            "cancelled",
            "meal",
            "bath",
            "food",
            "cash",
            "contract",
            "donation",
            "cannot_write",
            " 2.5 ",
            "１２",
            "-1",
            "0",
            "720",
            "721",
        ])
        .prop_map(|s| Some(s.to_string())),
        any::<String>().prop_map(Some),
        (0usize..2100).prop_map(|n| Some("字".repeat(n))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(|t| t.map_or(Value::Null, Value::String)),
    ]
}

fn signature() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        text(),
        Just(Some(png())),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Some(data_url("image/png", &b))),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Some(data_url("image/webp", &b))),
    ]
}

prop_compose! {
    fn service_input()(service in text(), minutes in value()) -> ServiceInput {
        ServiceInput { service, minutes }
    }
}

prop_compose! {
    fn material_input()(
        item in text(), category in text(), quantity in value(), unit in text(),
        value in value(), funding in text(), donor in text(),
    ) -> MaterialInput {
        MaterialInput { item, category, quantity, unit, value, funding, donor }
    }
}

prop_compose! {
    fn log_input()(
        outcome in text(),
        services in prop::collection::vec(service_input(), 0..55),
        materials in prop::collection::vec(material_input(), 0..55),
        notes in text(),
        confirmed_by in text(),
        confirmed_relation in text(),
        signature in signature(),
        no_confirmation_reason in text(),
    ) -> LogInput {
        LogInput {
            outcome, services, materials, notes, confirmed_by, confirmed_relation,
            signature, no_confirmation_reason, minutes_reason: None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever a phone sends, parsing answers (no panic), and what passes
    /// holds the rules.
    #[test]
    fn any_log_input_parses_or_errs_without_panicking(input in log_input(), signed in any::<bool>()) {
        match VisitLog::parse(&input, &offered, signed, None) {
            Err(e) => prop_assert!(!e.is_empty()),
            Ok(log) => {
                prop_assert!(log.services().len() <= 50 && log.materials().len() <= 50);
                prop_assert!(log.delivered() || (log.services().is_empty()
                    && log.materials().is_empty()
                    && log.confirmed_by().is_none()
                    && log.signature().is_none()));
                prop_assert!(log.outcome() != Outcome::Cancelled || log.cancel_reason().is_some());
                for s in log.services() {
                    prop_assert!(offered(s.service()) && (1..=MAX_MINUTES).contains(&s.minutes()));
                }
                for m in log.materials() {
                    prop_assert_eq!(m.donor().is_some(), m.funding() == Funding::Donation);
                    prop_assert!(m.quantity_milli() > 0 && m.value_fen() >= 0);
                }
                if log.delivered() && log.no_confirmation_reason().is_none() {
                    prop_assert!(log.confirmed_by().is_some() && log.confirmed_relation().is_some());
                    prop_assert!(signed || log.signature().is_some());
                }
            }
        }
    }
}

/// The referrals sent with a check-out.
#[rstest]
#[case::none(json!([]), &[])]
#[case::one(json!([{"kind": "health_risk", "note": "血压偏高"}]), &[])]
#[case::ten(lines(&json!({"kind": "housing", "note": "漏雨"}), 10), &[])]
#[case::eleven(lines(&json!({"kind": "housing", "note": "漏雨"}), 11), &[("referrals", "error-list-max-10")])]
#[case::eleven_bad_ones(lines(&json!({}), 11), &[("referrals", "error-list-max-10")])]
#[case::unknown_kind(json!([{"kind": "gossip", "note": "x"}]), &[("referrals.0.kind", "error-referral-kind")])]
#[case::missing_kind(json!([{"note": "x"}]), &[("referrals.0.kind", "error-referral-kind")])]
#[case::missing_note(json!([{"kind": "new_need"}]), &[("referrals.0.note", "error-required")])]
#[case::blank_note(json!([{"kind": "new_need", "note": "  "}]), &[("referrals.0.note", "error-required")])]
#[case::note_too_long(json!([{"kind": "new_need", "note": s(1001)}]), &[("referrals.0.note", "error-too-long")])]
#[case::keys_are_per_line(json!([{"kind": "new_need", "note": "x"}, {"kind": "x", "note": ""}]), &[("referrals.1.kind", "error-referral-kind"), ("referrals.1.note", "error-required")])]
fn referrals(#[case] sent: Value, #[case] want: &[(&str, &str)]) {
    let inputs: Vec<ReferralInput> = serde_json::from_value(sent.clone()).expect("shape");
    match Referral::parse_list(&inputs) {
        Ok(list) => {
            assert!(want.is_empty(), "{want:?}");
            assert_eq!(list.len(), inputs.len());
            for (r, raw) in list.iter().zip(sent.as_array().expect("list")) {
                assert_eq!(r.kind().as_str(), raw["kind"]);
                assert_eq!(r.note(), raw["note"]);
            }
        }
        Err(e) => assert_eq!(e, errors(want)),
    }
}

// Minutes that fit the visit's time (issue 15, "a 21-second visit was
// accepted with 60 service minutes").

fn minutes_log(minutes: &[i64], reason: Option<&str>) -> LogInput {
    let mut v = completed();
    v["services"] = Value::Array(
        minutes
            .iter()
            .map(|m| json!({"service": "meal", "minutes": m}))
            .collect(),
    );
    if let Some(r) = reason {
        v["minutes_reason"] = json!(r);
    }
    serde_json::from_value(v).expect("input shape")
}

/// Service minutes against the visit's length: within it (and five
/// minutes over) they pass; more needs a reason, which is then kept.
#[rstest]
//                       minutes       lasted (s)  reason               errors                                         kept
#[case::fits(&[30], Some(1800), None, &[], None)]
#[case::fits_exactly_with_tolerance(&[35], Some(1800), None, &[], None)]
#[case::one_second_too_many(&[35], Some(1799), None, &[("minutes_reason", "error-minutes-exceed")], None)]
#[case::a_21_second_visit_with_60_minutes(&[30, 30], Some(21), None, &[("minutes_reason", "error-minutes-exceed")], None)]
#[case::with_a_reason(&[30, 30], Some(21), Some("签到后手机没电，离开时补签"), &[], Some("签到后手机没电，离开时补签"))]
#[case::blank_reason_is_none(&[60], Some(21), Some("   "), &[("minutes_reason", "error-minutes-exceed")], None)]
#[case::reason_not_needed_is_dropped(&[30], Some(3600), Some("多余"), &[], None)]
#[case::time_unknown(&[60], None, None, &[], None)]
#[case::five_minutes_of_nothing(&[5], Some(0), None, &[], None)]
fn service_minutes_fit_the_visit_or_have_a_reason(
    #[case] minutes: &[i64],
    #[case] lasted: Option<i64>,
    #[case] reason: Option<&str>,
    #[case] want: &[(&str, &str)],
    #[case] kept: Option<&str>,
) {
    let input = minutes_log(minutes, reason);
    let got = VisitLog::parse(&input, &offered, false, lasted.map(Duration::seconds));
    match got {
        Ok(log) => {
            assert!(want.is_empty(), "{want:?}");
            assert_eq!(log.minutes_reason(), kept);
        }
        Err(e) => assert_eq!(e, errors(want)),
    }
}

#[test]
fn a_minutes_reason_has_a_length() {
    let long = "字".repeat(MAX_MINUTES_REASON + 1);
    let input = minutes_log(&[60], Some(&long));
    let got = VisitLog::parse(&input, &offered, false, Some(Duration::seconds(21)));
    assert_eq!(
        got.err(),
        Some(errors(&[
            ("minutes_reason", "error-too-long"),
            ("minutes_reason", "error-minutes-exceed")
        ]))
    );
}

#[test]
fn only_a_completed_visit_is_checked_for_minutes() {
    let mut v = json!({"outcome": "attempted", "notes": "没人在家"});
    let input: LogInput = serde_json::from_value(v.clone()).expect("shape");
    let log = VisitLog::parse(&input, &offered, false, Some(Duration::seconds(5))).expect("valid");
    assert_eq!(log.minutes_reason(), None);
    v["minutes_reason"] = json!("x");
    let input: LogInput = serde_json::from_value(v).expect("shape");
    let log = VisitLog::parse(&input, &offered, false, Some(Duration::seconds(5))).expect("valid");
    assert_eq!(
        log.minutes_reason(),
        None,
        "kept only where it explains something"
    );
}

fn at(minute: i64) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    Some(Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap() + Duration::minutes(minute))
}

/// The span the rule checks: the longer of the server's and the phone's,
/// whichever are known. A check-in and check-out queued offline reach the
/// server together (seconds apart); the phone's own span counts.
#[rstest]
//                     server in/out        device in/out        want (min)
#[case::online(at(0), at(40), at(0), at(40), Some(40))]
#[case::queued_offline_sent_together(at(120), at(120), at(0), at(45), Some(45))]
#[case::submission_sent_late(at(0), at(200), at(0), at(45), Some(200))]
#[case::no_device_times(at(0), at(30), None, None, Some(30))]
#[case::device_checkout_only(at(0), at(30), None, at(90), Some(30))]
#[case::phone_clock_backwards(at(0), at(30), at(50), at(10), Some(30))]
#[case::never_checked_in(None, at(30), None, None, None)]
fn how_long_a_visit_lasted(
    #[case] server_in: Option<DateTime<Utc>>,
    #[case] server_out: Option<DateTime<Utc>>,
    #[case] device_in: Option<DateTime<Utc>>,
    #[case] device_out: Option<DateTime<Utc>>,
    #[case] want: Option<i64>,
) {
    let got = elapsed((server_in, server_out), (device_in, device_out));
    assert_eq!(got.map(|d| d.num_minutes()), want);
}

proptest! {
    /// Whatever the phone counted, the server never counts less: a log
    /// the phone let through without a reason is never refused for it.
    #[test]
    fn the_server_never_refuses_what_the_phone_passed(
        device_secs in 0i64..20_000, late in 0i64..100_000, gap in 0i64..100_000, minutes in 1i64..720,
    ) {
        use chrono::TimeZone;
        let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
        let device = (Some(t0), Some(t0 + Duration::seconds(device_secs)));
        // The server got the check-in `late` seconds after, the check-out
        // `gap` seconds after that.
        let s_in = t0 + Duration::seconds(late);
        let server = (Some(s_in), Some(s_in + Duration::seconds(gap)));
        let phone_passed = minutes_fit(minutes, Duration::seconds(device_secs));
        let server_span = elapsed(server, device).expect("span");
        prop_assert!(!phone_passed || minutes_fit(minutes, server_span));
    }
}

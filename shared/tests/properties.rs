//! Property tests of what a hostile client controls: the survey and save parsers never panic on any input, and a
//! save that passes `check_storable` holds nothing PostgreSQL would refuse.

use proptest::prelude::*;
use quire_shared::storable::{CLIENT_TIME_EARLIEST, CLIENT_TIME_LATEST};
use quire_shared::{check_storable, clamp_client_time, AnswerValue, PageAnswers, PageSave, ValidSurvey};
use time::OffsetDateTime;

const EXAMPLE: &str = include_str!("../fixtures/school-climate.json");

/// Any JSON value, with strings that may hold U+0000, control characters and non-ASCII.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Times across (and beyond) what the `time` crate holds, at any offset it allows.
fn any_time() -> impl Strategy<Value = OffsetDateTime> {
    let min = OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT).unix_timestamp();
    let max = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT).unix_timestamp();
    (min..max, -86_399i32..=86_399).prop_map(|(ts, offset)| {
        let utc = OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let offset = time::UtcOffset::from_whole_seconds(offset).unwrap_or(time::UtcOffset::UTC);
        // Re-expressing a time near the ends of the range at another offset can overflow: keep UTC then.
        utc.checked_to_offset(offset).unwrap_or(utc)
    })
}

/// Mostly plain strings, often with U+0000 somewhere, sometimes anything.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z_0-9]{0,8}",
        2 => "[a-z]{0,3}\x00[a-z]{0,3}",
        1 => ".{0,8}",
    ]
}

/// Revisions at and around the accepted range's ends, and anywhere.
fn revision() -> impl Strategy<Value = u64> {
    let max = quire_shared::MAX_REVISION;
    prop_oneof![0u64..3, 1u64..1000, (max - 1)..=(max + 1), any::<u64>()]
}

/// Times inside the window, at and around its ends, and anywhere `time` can hold.
fn a_time() -> impl Strategy<Value = OffsetDateTime> {
    let (lo, hi) = (CLIENT_TIME_EARLIEST.unix_timestamp(), CLIENT_TIME_LATEST.unix_timestamp());
    let at = |ts: i64| OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    prop_oneof![(lo..hi).prop_map(at), (lo - 5..lo + 5).prop_map(at), (hi - 5..hi + 5).prop_map(at), any_time(),]
}

fn answer() -> impl Strategy<Value = AnswerValue> {
    prop_oneof![
        text().prop_map(AnswerValue::Choice),
        prop::collection::vec(text(), 0..4).prop_map(AnswerValue::Choices),
        prop::collection::btree_map(text(), text(), 0..4).prop_map(AnswerValue::Matrix),
        text().prop_map(AnswerValue::Text),
        any::<f64>().prop_map(AnswerValue::Number),
    ]
}

fn page_save() -> impl Strategy<Value = PageSave> {
    (text(), revision(), prop::collection::btree_map(text(), answer(), 0..5), a_time(), any::<bool>()).prop_map(
        |(page_id, revision, answers, client_time, finishes)| PageSave {
            page_id,
            revision,
            answers: answers.into_iter().collect::<PageAnswers>(),
            client_time,
            finishes,
            draft: false,
        },
    )
}

fn strings(save: &PageSave) -> Vec<&str> {
    let mut out = vec![save.page_id.as_str()];
    for (k, v) in &save.answers {
        out.push(k);
        match v {
            AnswerValue::Choice(s) | AnswerValue::Text(s) => out.push(s),
            AnswerValue::Choices(cs) => out.extend(cs.iter().map(String::as_str)),
            AnswerValue::Matrix(m) => out.extend(m.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()])),
            AnswerValue::Number(_) => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_save_is_storable_exactly_when_postgresql_can_hold_it(save in page_save()) {
        let t = save.client_time.unix_timestamp();
        let holdable = strings(&save).iter().all(|s| !s.contains('\0'))
            && t >= CLIENT_TIME_EARLIEST.unix_timestamp()
            && t < CLIENT_TIME_LATEST.unix_timestamp()
            && (1..=quire_shared::MAX_REVISION).contains(&save.revision);
        prop_assert_eq!(check_storable(&save).is_ok(), holdable, "{:?}", save);
    }

    #[test]
    fn a_clamped_device_clock_is_always_accepted(t in any_time()) {
        let clamped = clamp_client_time(t);
        let save = PageSave { page_id: "p".into(), revision: 1, answers: PageAnswers::new(), client_time: clamped, finishes: false, draft: false };
        prop_assert!(check_storable(&save).is_ok(), "{t} → {clamped}");
    }

    #[test]
    fn the_save_parser_never_panics_on_any_json(value in json_value()) {
        let text = value.to_string();
        if let Ok(save) = serde_json::from_str::<PageSave>(&text) {
            let _ = check_storable(&save);
        }
    }

    #[test]
    fn the_survey_parser_never_panics_on_any_text(text in ".{0,200}") {
        let _ = ValidSurvey::parse(&text);
    }

    #[test]
    fn the_survey_parser_never_panics_on_a_damaged_survey(cut in 0usize..EXAMPLE.len(), len in 0usize..64, insert in ".{0,8}") {
        let mut text = EXAMPLE.to_owned();
        let start = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        text.replace_range(start..end, &insert);
        let _ = ValidSurvey::parse(&text);
    }

    #[test]
    fn survey_values_are_rejected_or_storable(value in json_value()) {
        // Any JSON in the place of the first question's text: either refused, or free of U+0000.
        let mut doc: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
        doc["pages"][0]["questions"][0]["text"] = value;
        if let Ok(survey) = ValidSurvey::parse(&doc.to_string()) {
            prop_assert!(!survey.canonical_json().contains("\\u0000"));
        }
    }
}

//! One save after checking (`Checked`), and the check of a whole batch: each save parsed on its own, made
//! storable, repeats within the batch found, answers checked with the same rules as the app.

use std::collections::HashMap;

use quire_shared::{check_storable, AnswerError, PageSave, ValidSurvey};

/// One save after validation.
#[derive(Debug, Clone)]
pub enum Checked {
    Valid(PageSave),
    /// Same revision and content as an earlier save of this batch.
    Repeat {
        page_id: String,
        revision: u64,
    },
    Invalid {
        raw: serde_json::Value,
        page_id: Option<String>,
        revision: Option<u64>,
        errors: Vec<AnswerError>,
    },
}

pub fn check_batch(survey: &ValidSurvey, raw: Vec<Box<serde_json::value::RawValue>>) -> Vec<Checked> {
    let mut out: Vec<Checked> = Vec::with_capacity(raw.len());
    let mut by_revision: HashMap<u64, usize> = HashMap::new();
    for text in raw {
        // Parsed straight from the raw text; a tree (`Value`) is built only for a save that goes to quarantine.
        // A save that cannot even become a tree (a number like 1e400) is kept as its text, so that quarantine holds
        // what was sent (and two different ones do not collapse into one `null`).
        let value = || {
            serde_json::from_str::<serde_json::Value>(text.get())
                .unwrap_or_else(|_| serde_json::Value::String(text.get().to_owned()))
        };
        let invalid = |raw: serde_json::Value, errors: Vec<AnswerError>| {
            let page_id = raw.get("page_id").and_then(|v| v.as_str()).map(str::to_owned);
            let revision = raw.get("revision").and_then(|v| v.as_u64());
            Checked::Invalid { raw, page_id, revision, errors }
        };
        // Plain parsing first; the path of a bad field (an allocation per key) is traced only for a save that failed.
        let parsed = serde_json::from_str::<PageSave>(text.get())
            .or_else(|_| serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text.get())));
        let save: PageSave = match parsed {
            Ok(s) => s,
            Err(e) => {
                let field = e.path().to_string();
                let error =
                    AnswerError::new(if field == "." { "save".to_owned() } else { field }, e.into_inner().to_string());
                out.push(invalid(value(), vec![error]));
                continue;
            }
        };
        // Strings PostgreSQL cannot hold, times the driver cannot encode, revisions out of range: refused here, on
        // their own, so they never reach (and fail) a transaction shared with other respondents.
        if let Err(errors) = check_storable(&save) {
            out.push(invalid(value(), errors));
            continue;
        }
        if let Some(&first) = by_revision.get(&save.revision) {
            if same_content(&out[first], &save) {
                out.push(Checked::Repeat { page_id: save.page_id, revision: save.revision });
            } else {
                let message = format!("revision {} is used twice in this batch with different content", save.revision);
                out.push(invalid(value(), vec![AnswerError::new("revision", message)]));
            }
            continue;
        }
        by_revision.insert(save.revision, out.len());
        out.push(Checked::Valid(save));
    }

    // Answer checks, in revision order, each against the saves of the batch that came before it.
    let valid: Vec<usize> = (0..out.len()).filter(|&i| matches!(out[i], Checked::Valid(_))).collect();
    let saves: Vec<&PageSave> = valid
        .iter()
        .filter_map(|&i| match &out[i] {
            Checked::Valid(s) => Some(s),
            _ => None,
        })
        .collect();
    let failures: Vec<(usize, Vec<AnswerError>)> = quire_shared::batch::check_saves(survey, &saves)
        .into_iter()
        .zip(&valid)
        .filter_map(|(r, &i)| r.err().map(|e| (i, e)))
        .collect();
    for (i, errors) in failures {
        if let Checked::Valid(save) = &out[i] {
            let raw = serde_json::to_value(save).unwrap_or_default();
            let (page_id, revision) = (Some(save.page_id.clone()), Some(save.revision));
            out[i] = Checked::Invalid { raw, page_id, revision, errors };
        }
    }
    out
}

pub(crate) fn same_content(first: &Checked, save: &PageSave) -> bool {
    match first {
        Checked::Valid(f) => f.page_id == save.page_id && f.answers == save.answers,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use quire_shared::sample::answer_page;
    use serde_json::{json, Value};

    use super::*;

    fn survey() -> ValidSurvey {
        ValidSurvey::parse(include_str!("../../../shared/fixtures/school-climate.json")).unwrap()
    }

    /// A value a hostile client might put anywhere: extremes, wrong types, U+0000, far-off times.
    fn hostile() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("9999-12-31T23:59:59-23:59")),
            Just(json!("0000-01-01T00:00:00+23:59")),
            Just(json!({"text": "\u{0}"})),
            Just(json!({"matrix": {"\u{0}": "1"}})),
            Just(json!([1, [2, [3]]])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Valid saves with one field replaced by something hostile: the batch check never panics, and whatever it
        /// lets through to a group is storable.
        #[test]
        fn any_sync_batch_is_checked_without_panic_and_only_storable_saves_pass(
            edits in prop::collection::vec((0usize..8, hostile()), 1..6),
        ) {
            let survey = survey();
            let pages = &survey.survey().pages;
            let mut raw = Vec::new();
            for (i, (field, value)) in edits.into_iter().enumerate() {
                let page = &pages[i % pages.len()];
                let mut save = json!({"page_id": page.id, "revision": i as u64 + 1,
                    "answers": answer_page(page, i as u64), "client_time": "2026-11-29T10:00:00Z"});
                let key = ["page_id", "revision", "answers", "client_time", "finishes", "draft", "extra", "answers"][field];
                if field == 7 {
                    save["answers"]["q\u{0}"] = value;
                } else {
                    save[key] = value;
                }
                let text = serde_json::value::RawValue::from_string(save.to_string());
                prop_assert!(text.is_ok());
                raw.extend(text.ok());
            }
            // What reaches a group holds nothing PostgreSQL refuses (checked here directly, not with the function
            // under test): no U+0000 anywhere, a time the driver can encode.
            for checked in check_batch(&survey, raw) {
                if let Checked::Valid(save) = checked {
                    let text = serde_json::to_string(&save).unwrap_or_default();
                    prop_assert!(!text.contains("\\u0000"), "{text}");
                    let t = save.client_time.unix_timestamp();
                    prop_assert!((946_684_800..4_102_444_800).contains(&t), "{t}");
                }
            }
        }
    }
}

//! Runs in headless Chromium: the shared model and validation behave in wasm32 as they do natively.

// Clippy does not see `#[wasm_bindgen_test]` functions as tests, so `allow-unwrap-in-tests` does not reach them.
#![allow(clippy::unwrap_used)]

use quire_shared::{validate_page_answers, NothingKnown, PageAnswers, ValidSurvey};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EXAMPLE: &str = include_str!("../../shared/fixtures/school-climate.json");

#[wasm_bindgen_test]
fn example_survey_validates_in_the_browser() {
    let survey = ValidSurvey::parse(EXAMPLE).unwrap();
    assert_eq!(survey.survey().pages.len(), 60);
    // The same content hash as the native build computes (checked against the server in the e2e tests).
    assert_eq!(survey.version().len(), 32);
}

#[wasm_bindgen_test]
fn answer_validation_runs_in_the_browser() {
    let survey = ValidSurvey::parse(EXAMPLE).unwrap();
    // The role is the roster's (`from_roster`): a page without it is not missing it.
    let missing: PageAnswers = PageAnswers::new();
    assert_eq!(validate_page_answers(&survey, "about", &missing, &NothingKnown, true), Ok(()));
    let bad: PageAnswers = serde_json::from_str(r#"{"years_at_school":{"number":99}}"#).unwrap();
    let errors = validate_page_answers(&survey, "about", &bad, &NothingKnown, true).err().unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "answers.years_at_school");
    let good: PageAnswers = serde_json::from_str(r#"{"role":{"choice":"student"}}"#).unwrap_or_default();
    assert_eq!(validate_page_answers(&survey, "about", &good, &NothingKnown, true), Ok(()));
}

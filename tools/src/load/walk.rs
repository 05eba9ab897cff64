//! A respondent's walk through the survey: the pages a student is shown, in order, with their answers encoded once
//! for sending.

use quire_shared::{AnswerValue, PageAnswers, ValidSurvey};
use serde_json::value::RawValue;

/// A page of a respondent's path with its answers already encoded: a page's answers are the same bytes whenever
/// they are sent, and the generator shares the machine with what it measures, so it encodes them once, before the
/// clock starts, instead of rebuilding and re-encoding a `PageAnswers` for every request.
pub(crate) struct PathPage {
    pub(crate) page_id: String,
    pub(crate) answers: Box<RawValue>,
    /// Answer items, as the old system counted rows (`answer_items`).
    pub(crate) items: u64,
}

impl PathPage {
    pub(crate) fn new(page_id: String, answers: &PageAnswers) -> Self {
        let items = answer_items(answers);
        let answers = serde_json::value::to_raw_value(answers).unwrap_or_else(|_| RawValue::NULL.to_owned());
        PathPage { page_id, answers, items }
    }
}

/// A student's way through the survey, encoded for sending.
pub(crate) fn student_path(survey: &ValidSurvey, seed: u64) -> Vec<PathPage> {
    student_answers(survey, seed).into_iter().map(|(page, answers)| PathPage::new(page, &answers)).collect()
}

/// A student's way through the survey: pages shown given the answers so far, in order, each with the answers the
/// app would send (the active ones, by the app's own rule: `quire_shared::visibility`).
pub(crate) fn student_answers(survey: &ValidSurvey, seed: u64) -> Vec<(String, PageAnswers)> {
    use quire_shared::visibility::{active_answers, next_page, page_answers, page_visible, AllAnswers};
    let mut held = AllAnswers::new();
    let mut path = Vec::new();
    let mut index = (0..survey.survey().pages.len()).find(|&i| page_visible(survey, i, &held));
    while let Some(i) = index {
        let page = &survey.survey().pages[i];
        let mut answers = quire_shared::sample::answer_page(page, seed ^ (path.len() as u64) << 20);
        if page.id == "about" {
            answers.insert("role".into(), AnswerValue::Choice("student".into()));
        }
        held.insert(page.id.clone(), answers);
        let active = active_answers(survey, &held);
        path.push((page.id.clone(), page_answers(&active, &page.id)));
        index = next_page(survey, i, &active);
    }
    path
}

/// Answers as the old system counted them, one row per item: each statement of a Likert matrix is one.
pub(crate) fn answer_items(answers: &PageAnswers) -> u64 {
    answers.values().map(|v| if let AnswerValue::Matrix(m) = v { m.len() as u64 } else { 1 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_student_path_follows_skip_logic() {
        let survey = ValidSurvey::parse(include_str!("../../../shared/fixtures/school-climate.json")).unwrap();
        let path = student_answers(&survey, 3);
        assert_eq!(path[0].0, "about");
        assert!(path.iter().all(|(p, _)| !p.starts_with("teacher_") && !p.starts_with("parent_")));
        assert!(path.iter().filter(|(p, _)| p.starts_with("student_")).count() == 30);
        assert!(path.len() >= 32);
    }
}

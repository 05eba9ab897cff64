//! Which pages and questions a respondent sees, given every answer on this browser: the skip logic of `shared/`
//! evaluated with complete knowledge (the client always gets a yes or a no, never "unknown").

use std::collections::HashMap;

use quire_shared::{AnswerSource, Lookup, PageAnswers, Question, ValidSurvey};

/// All of one respondent's answers, by page id.
pub type AllAnswers = HashMap<String, PageAnswers>;

/// An answer source that knows everything: an answer not given is missing, not unknown.
pub struct Known<'a> {
    pub survey: &'a ValidSurvey,
    pub answers: &'a AllAnswers,
}

impl AnswerSource for Known<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        self.survey
            .page_of(question)
            .and_then(|page| self.answers.get(page))
            .and_then(|a| a.get(question))
            .map_or(Lookup::Missing, Lookup::Value)
    }
}

pub fn page_visible(survey: &ValidSurvey, index: usize, answers: &AllAnswers) -> bool {
    let known = Known { survey, answers };
    survey.survey().pages.get(index).is_some_and(|p| p.visible_if.as_ref().is_none_or(|c| c.eval(&known) == Some(true)))
}

pub fn question_visible(survey: &ValidSurvey, question: &Question, answers: &AllAnswers) -> bool {
    let known = Known { survey, answers };
    question.visible_if.as_ref().is_none_or(|c| c.eval(&known) == Some(true))
}

/// The next page to show after `from`, skipping hidden ones; `None` after the last.
pub fn next_page(survey: &ValidSurvey, from: usize, answers: &AllAnswers) -> Option<usize> {
    (from + 1..survey.survey().pages.len()).find(|&i| page_visible(survey, i, answers))
}

pub fn previous_page(survey: &ValidSurvey, from: usize, answers: &AllAnswers) -> Option<usize> {
    (0..from).rev().find(|&i| page_visible(survey, i, answers))
}

/// A page's answers as they are sent: only questions the respondent can see (an answer given before a skip rule hid
/// its question is dropped, so the data says what the respondent was shown), and no empty answers.
pub fn answers_to_send(survey: &ValidSurvey, index: usize, answers: &AllAnswers) -> PageAnswers {
    let Some(page) = survey.survey().pages.get(index) else { return PageAnswers::new() };
    let Some(given) = answers.get(&page.id) else { return PageAnswers::new() };
    page.questions
        .iter()
        .filter(|q| question_visible(survey, q, answers))
        .filter_map(|q| given.get(&q.id).filter(|v| !v.is_empty()).map(|v| (q.id.clone(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_shared::AnswerValue;

    const EXAMPLE: &str = include_str!("../../shared/fixtures/school-climate.json");

    fn survey() -> ValidSurvey {
        ValidSurvey::parse(EXAMPLE).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn with(answers: &mut AllAnswers, page: &str, q: &str, v: AnswerValue) {
        answers.entry(page.to_owned()).or_default().insert(q.to_owned(), v);
    }

    #[test]
    fn skip_logic_follows_the_answers() {
        let s = survey();
        let mut a = AllAnswers::new();
        // Before the role is known, the role-specific pages are hidden: only `about` and pages without conditions.
        let about = s.page_index("about").unwrap_or(usize::MAX);
        with(&mut a, "about", "role", AnswerValue::Choice("teacher".into()));
        let next = next_page(&s, about, &a).map(|i| s.survey().pages[i].id.clone());
        assert_eq!(next.as_deref(), Some("teacher_01"));
        with(&mut a, "about", "role", AnswerValue::Choice("student".into()));
        let next = next_page(&s, about, &a).map(|i| s.survey().pages[i].id.clone());
        assert_eq!(next.as_deref(), Some("student_01"));
        // From the last student page the teacher and parent pages are skipped.
        let last_student = s.page_index("student_30").unwrap_or(usize::MAX);
        let after: Vec<_> = std::iter::successors(next_page(&s, last_student, &a), |&i| next_page(&s, i, &a))
            .map(|i| s.survey().pages[i].id.as_str())
            .collect();
        assert!(after.iter().all(|p| !p.starts_with("teacher_") && !p.starts_with("parent_")), "{after:?}");
        assert_eq!(after.last().copied(), Some("closing"));
        assert_eq!(previous_page(&s, s.page_index("student_01").unwrap_or(0), &a), Some(about));
        assert_eq!(previous_page(&s, about, &a), None);
        assert_eq!(next_page(&s, s.survey().pages.len() - 1, &a), None);
    }

    #[test]
    fn hidden_and_empty_answers_are_not_sent() {
        let s = survey();
        let mut a = AllAnswers::new();
        with(&mut a, "about", "role", AnswerValue::Choice("student".into()));
        with(&mut a, "about", "ghost", AnswerValue::Text("not a question of this page".into()));
        let sent = answers_to_send(&s, s.page_index("about").unwrap_or(0), &a);
        assert_eq!(sent.keys().collect::<Vec<_>>(), ["role"]);
        with(&mut a, "about", "role", AnswerValue::Choice(String::new()));
        assert!(answers_to_send(&s, 0, &a).is_empty());
    }
}

//! Which pages and questions a respondent sees, and which of their answers count: one rule for the respondent app
//! and the server.
//!
//! **Hidden answers are kept but inactive.** An answer to a question that skip logic hides, or on a page it hides, stays
//! on the respondent's device (if they change their mind it comes back) but does not count: conditions, "required",
//! progress and completion read only the *active* answers; the app does not send it (it saves the page again without
//! it), the server's current answers do not hold it and exports leave it out. An answer the question cannot take (a
//! number out of range while it is being typed) is not active either.
//!
//! Active answers are found in survey order: conditions can only read earlier questions (`validate`), so each page
//! and question is decided from answers already settled.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::answer::{self, check_value, AnswerError};
use crate::app_text::Problem;
use crate::condition::{AnswerSource, Lookup};
use crate::odk::{self, Form};
use crate::roster::{self, Roster};
use crate::survey::{Question, QuestionKind};
use crate::valid::ValidSurvey;
use crate::value::{AnswerValue, PageAnswers};

/// All of one respondent's answers, by page id.
pub type AllAnswers = HashMap<String, PageAnswers>;

/// An answer source that knows everything: an answer not given is missing, not unknown.
pub struct Known<'a> {
    pub survey: &'a ValidSurvey,
    pub answers: &'a AllAnswers,
}

impl AnswerSource for Known<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        by_page(self.survey, self.answers, question)
    }
}

fn by_page<'a>(survey: &ValidSurvey, answers: &'a AllAnswers, question: &str) -> Lookup<'a> {
    survey
        .page_of(question)
        .and_then(|page| answers.get(page))
        .and_then(|a| a.get(question))
        .map_or(Lookup::Missing, Lookup::Value)
}

/// Active answers by question id, borrowed from what is held: what `active_answers` copies, for readers of many
/// respondents (exports) that need not own them. Question ids are unique in a survey, so this source answers
/// conditions exactly as `Known` does.
/// A calculation's value is computed here, so it is owned.
pub struct ActiveByQuestion<'a>(pub HashMap<&'a str, Cow<'a, AnswerValue>>);

impl AnswerSource for ActiveByQuestion<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        self.0.get(question).map_or(Lookup::Missing, |v| Lookup::Value(v))
    }
}

/// Where the module's rule puts the answers it keeps, while conditions read them back.
trait Settled<'a>: AnswerSource {
    fn keep(&mut self, page: &'a str, question: &'a str, value: Cow<'a, AnswerValue>);
}

impl<'a> Settled<'a> for ActiveByQuestion<'a> {
    fn keep(&mut self, _: &'a str, question: &'a str, value: Cow<'a, AnswerValue>) {
        self.0.insert(question, value);
    }
}

/// The owned form, by page: conditions read it through `Known`.
struct Owned<'s> {
    survey: &'s ValidSurvey,
    answers: AllAnswers,
}

impl AnswerSource for Owned<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        by_page(self.survey, &self.answers, question)
    }
}

impl<'a> Settled<'a> for Owned<'_> {
    fn keep(&mut self, page: &'a str, question: &'a str, value: Cow<'a, AnswerValue>) {
        self.answers.entry(page.to_owned()).or_default().insert(question.to_owned(), value.into_owned());
    }
}

/// The module's rule, once: pages and questions in survey order, each decided from the answers already kept. A
/// calculation on a shown page is computed from them (`calculated`).
fn settle<'a, S: Settled<'a>>(survey: &'a ValidSurvey, held: &'a AllAnswers, mut out: S) -> S {
    for (index, page) in survey.survey().pages.iter().enumerate() {
        let given = held.get(&page.id);
        let has_calculation = || page.questions.iter().any(|q| matches!(q.kind, QuestionKind::Calculate { .. }));
        if (given.is_none() && !has_calculation()) || odk::page_shown(survey, index, &out) != Some(true) {
            continue;
        }
        for q in &page.questions {
            let value = given.and_then(|g| g.get(&q.id)).filter(|v| !v.is_empty());
            if odk::question_shown(survey, q, &out) != Some(true) {
                continue;
            }
            if matches!(q.kind, QuestionKind::Calculate { .. }) {
                if let Some(v) = calculated(survey, q, value, &out) {
                    out.keep(&page.id, &q.id, v);
                }
            } else if let Some(value) = value.filter(|v| accepts(&q.kind, v) && allowed(survey, q, v, &out)) {
                out.keep(&page.id, &q.id, Cow::Borrowed(value));
            }
        }
    }
    out
}

/// A calculation's value given the answers settled before it: computed, except that a value held for one that
/// reads the clock is kept (it was computed when the respondent answered; now would give another). Nothing when
/// empty or undecided.
pub fn calculated<'a>(
    survey: &ValidSurvey,
    q: &Question,
    held: Option<&'a AnswerValue>,
    before: &dyn AnswerSource,
) -> Option<Cow<'a, AnswerValue>> {
    let logic = survey.logic().question(&q.id)?;
    if logic.clock {
        if let Some(v) = held {
            return Some(Cow::Borrowed(v));
        }
    }
    let text = logic.calculation.as_ref()?.eval_string(&Form::new(survey, before))?;
    (!text.is_empty()).then_some(Cow::Owned(AnswerValue::Text(text)))
}

/// The answers that count (see the module's rule), borrowed.
pub fn active_by_question<'a>(survey: &'a ValidSurvey, held: &'a AllAnswers) -> ActiveByQuestion<'a> {
    settle(survey, held, ActiveByQuestion(HashMap::new()))
}

/// The answers that count (see the module's rule), from everything held.
pub fn active_answers(survey: &ValidSurvey, held: &AllAnswers) -> AllAnswers {
    settle(survey, held, Owned { survey, answers: AllAnswers::new() }).answers
}

/// What the survey's expressions allow of an answer, given the answers before it: not one its constraint refuses (an
/// age being typed), nor a choice its filter now leaves out (a town of the region no longer chosen). Such an answer
/// is held but does not count, as a number out of range does not; the page's problems name it.
fn allowed(survey: &ValidSurvey, q: &Question, value: &AnswerValue, before: &dyn AnswerSource) -> bool {
    survey.logic().question(&q.id).is_none()
        || (answer::constraint_problem(survey, q, value, before, "").is_none()
            && answer::filtered_out(survey, q, value, before).is_empty())
}

fn accepts(kind: &QuestionKind, value: &AnswerValue) -> bool {
    let mut errors = Vec::new();
    check_value(kind, value, "", &mut errors);
    errors.is_empty()
}

/// The answers that count for a respondent whose roster row is `roster`: what they gave, and what the roster answers
/// for them (`roster.rs`), by the module's rule. The roster's answers are not among `held`, and a save never sends
/// them (`pages_to_save`).
pub fn active_with_roster(survey: &ValidSurvey, held: &AllAnswers, roster: &Roster) -> AllAnswers {
    if roster.is_empty() {
        return active_answers(survey, held);
    }
    let mut with_roster = held.clone();
    roster::fill(survey, &mut with_roster, roster);
    active_answers(survey, &with_roster)
}

/// A page's active answers (empty when it has none).
pub fn page_answers(active: &AllAnswers, page_id: &str) -> PageAnswers {
    active.get(page_id).cloned().unwrap_or_default()
}

pub fn page_visible(survey: &ValidSurvey, index: usize, active: &AllAnswers) -> bool {
    odk::page_shown(survey, index, &Known { survey, answers: active }) == Some(true)
}

/// Whether a question of a visible page is shown.
pub fn question_visible(survey: &ValidSurvey, question: &Question, active: &AllAnswers) -> bool {
    odk::question_shown(survey, question, &Known { survey, answers: active }) == Some(true)
}

fn is_calculation(survey: &ValidSurvey, question: &str) -> bool {
    survey.question(question).is_some_and(|q| matches!(q.kind, QuestionKind::Calculate { .. }))
}

/// The next page to show after `from`, skipping hidden ones; `None` after the last.
pub fn next_page(survey: &ValidSurvey, from: usize, active: &AllAnswers) -> Option<usize> {
    (from + 1..survey.survey().pages.len()).find(|&i| page_visible(survey, i, active))
}

pub fn previous_page(survey: &ValidSurvey, from: usize, active: &AllAnswers) -> Option<usize> {
    (0..from).rev().find(|&i| page_visible(survey, i, active))
}

/// Indexes of the pages the respondent sees, given the answers so far.
pub fn visible_pages(survey: &ValidSurvey, active: &AllAnswers) -> Vec<usize> {
    (0..survey.survey().pages.len()).filter(|&i| page_visible(survey, i, active)).collect()
}

/// The problems that keep a respondent on page `index`: each answer given to a *visible* question that the question
/// cannot take, and (with `required`) each visible required question without an active answer. Never an error about
/// a question the respondent cannot see. `held` is what the respondent gave; `active` = `active_answers(held)`.
pub fn page_problems(
    survey: &ValidSurvey,
    index: usize,
    held: &AllAnswers,
    active: &AllAnswers,
    required: bool,
) -> Vec<AnswerError> {
    let Some(page) = survey.survey().pages.get(index) else { return Vec::new() };
    let given = held.get(&page.id);
    let mine = active.get(&page.id);
    let mut errors = Vec::new();
    let known = Known { survey, answers: active };
    for q in page.questions.iter().filter(|q| question_visible(survey, q, active)) {
        let field = format!("answers.{}", q.id);
        let before = errors.len();
        if let Some(value) = given.and_then(|g| g.get(&q.id)).filter(|v| !v.is_empty()) {
            check_value(&q.kind, value, &field, &mut errors);
            if errors.len() == before {
                errors.extend(answer::constraint_problem(survey, q, value, &known, &field));
                for code in answer::filtered_out(survey, q, value, &known) {
                    errors.push(AnswerError::of(field.clone(), Problem::NotAChoice { code: code.to_owned() }));
                }
            }
        }
        if errors.len() > before || !required || answer::is_required(survey, q, &known) != Some(true) {
            continue;
        }
        match (mine.and_then(|m| m.get(&q.id)), &q.kind) {
            (None, _) => errors.push(answer::missing_problem(survey, q, field)),
            (Some(AnswerValue::Matrix(m)), QuestionKind::Likert { statements, .. }) => {
                for s in statements.iter().filter(|s| !m.contains_key(&s.id)) {
                    errors.push(AnswerError::of(format!("{field}.{}", s.id), Problem::RowRequired));
                }
            }
            _ => {}
        }
    }
    errors
}

/// The pages that keep a survey from being complete: each page the respondent sees (given `active`) that has no final
/// save (`is_final(page)`: its latest save was made with Next, not as a draft) or lacks a required answer.
pub fn incomplete_pages(survey: &ValidSurvey, active: &AllAnswers, is_final: impl Fn(&str) -> bool) -> Vec<String> {
    visible_pages(survey, active)
        .into_iter()
        .filter(|&i| {
            let id = &survey.survey().pages[i].id;
            !is_final(id) || !page_problems(survey, i, active, active, true).is_empty()
        })
        .map(|i| survey.survey().pages[i].id.clone())
        .collect()
}

/// What was last saved of a page on this device: its answers and whether it was a draft.
pub type LastSaved = HashMap<String, (PageAnswers, bool)>;

/// The saves a change calls for, as (page index, answers, draft): page `index` (as a draft, or final when the
/// respondent leaves it with Next) unless it is saved like that already, and every other page whose active answers
/// now differ from its last save — a page that skip logic hid is saved with no answers, and a page that is no longer
/// complete goes as a draft. So the server's current answers are always the active ones, and every save passes the
/// server's checks (`batch::check_saves`; the property tests hold the two against each other).
pub fn pages_to_save(
    survey: &ValidSurvey,
    held: &AllAnswers,
    active: &AllAnswers,
    last: &LastSaved,
    index: usize,
    draft: bool,
) -> Vec<(usize, PageAnswers, bool)> {
    let mut out = Vec::new();
    for (i, page) in survey.survey().pages.iter().enumerate() {
        let mut answers = page_answers(active, &page.id);
        // A save carries what the respondent gave, and what the app calculated: not what the roster answers for
        // them (`roster.rs`).
        let given = held.get(&page.id);
        answers.retain(|q, _| given.is_some_and(|g| g.contains_key(q)) || is_calculation(survey, q));
        let before = last.get(&page.id);
        if i == index {
            let due = match before {
                Some((a, was_draft)) => *a != answers || (*was_draft && !draft),
                // A page only looked at is not saved until it is left with Next.
                None => !draft || !answers.is_empty(),
            };
            if due {
                out.push((i, answers, draft));
            }
            continue;
        }
        let changed = match before {
            Some((a, _)) => *a != answers,
            // Held but never saved (typed just before the app was closed): saved as a draft.
            None => held.contains_key(&page.id) && !answers.is_empty(),
        };
        if changed {
            let complete =
                !page_visible(survey, i, active) || page_problems(survey, i, active, active, true).is_empty();
            let was_draft = before.is_none_or(|(_, d)| *d);
            out.push((i, answers, was_draft || !complete));
        }
    }
    out
}

/// What the server checks when a save finishes the survey: `pages` holds the latest save of every page (its answers,
/// and whether it was final), the database's and the batch's together, and `roster` the respondent's roster row,
/// which answers the questions that name its columns (`roster.rs`). An error per incomplete page.
pub fn completion_errors(
    survey: &ValidSurvey,
    pages: &HashMap<String, (PageAnswers, bool)>,
    roster: &Roster,
) -> Vec<AnswerError> {
    let held: AllAnswers = pages.iter().map(|(p, (a, _))| (p.clone(), a.clone())).collect();
    let active = active_with_roster(survey, &held, roster);
    incomplete_errors(&incomplete_pages(survey, &active, |p| pages.get(p).is_some_and(|(_, fin)| *fin)))
}

/// The error a finishing save gets when pages are incomplete: one per page, `pages.<id>`, so that the app can take
/// the respondent to the first.
pub fn incomplete_errors(pages: &[String]) -> Vec<AnswerError> {
    pages
        .iter()
        .map(|p| {
            AnswerError::new(format!("pages.{p}"), format!("page `{p}` is not complete: the survey cannot finish"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SKIP: &str = include_str!("../fixtures/skip-logic.json");

    fn survey() -> ValidSurvey {
        ValidSurvey::parse(SKIP).unwrap()
    }

    fn held(pairs: &[(&str, &str, AnswerValue)]) -> AllAnswers {
        let mut all = AllAnswers::new();
        for (p, q, v) in pairs {
            all.entry((*p).to_owned()).or_default().insert((*q).to_owned(), v.clone());
        }
        all
    }

    fn choice(c: &str) -> AnswerValue {
        AnswerValue::Choice(c.into())
    }

    fn ids(s: &ValidSurvey, pages: Vec<usize>) -> Vec<&str> {
        pages.into_iter().map(|i| s.survey().pages[i].id.as_str()).collect()
    }

    #[test]
    fn an_answer_hidden_by_a_change_stops_counting_and_comes_back_with_the_change() {
        let s = survey();
        let mut a = held(&[
            ("start", "role", choice("s")),
            ("s_school", "safe", choice("n")),
            ("s_unsafe", "told", choice("y")),
            ("s_told", "who", choice("friend")),
        ]);
        let active = active_answers(&s, &a);
        assert_eq!(ids(&s, visible_pages(&s, &active)), ["start", "s_school", "s_unsafe", "s_told", "end"]);
        // Feeling safe after all: `told` is on a page now hidden, so the page it opened closes too (nested).
        a.entry("s_school".into()).or_default().insert("safe".into(), choice("y"));
        let active = active_answers(&s, &a);
        assert_eq!(ids(&s, visible_pages(&s, &active)), ["start", "s_school", "end"]);
        assert!(!active.contains_key("s_unsafe") && !active.contains_key("s_told"), "{active:?}");
        assert_eq!(a["s_told"]["who"], choice("friend"), "still held on the device");
        // And back: everything returns.
        a.entry("s_school".into()).or_default().insert("safe".into(), choice("n"));
        assert_eq!(active_answers(&s, &a)["s_told"]["who"], choice("friend"));
    }

    #[test]
    fn problems_only_for_visible_questions_and_values_that_do_not_fit_are_inactive() {
        let s = survey();
        let start = s.page_index("start").unwrap_or(0);
        // `likes_other` is required when `likes` includes `other`; with `likes` unticked it is hidden, and a
        // required error about it would keep the respondent on a page where nothing is marked.
        let mut a = held(&[("start", "role", choice("t")), ("start", "likes_other", AnswerValue::Text("x".into()))]);
        let active = active_answers(&s, &a);
        assert!(page_problems(&s, start, &a, &active, true).is_empty());
        assert!(!active["start"].contains_key("likes_other"));
        a.entry("start".into()).or_default().insert("likes".into(), AnswerValue::Choices(vec!["other".into()]));
        a.entry("start".into()).or_default().remove("likes_other");
        let active = active_answers(&s, &a);
        let fields: Vec<_> = page_problems(&s, start, &a, &active, true).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["answers.likes_other"]);
        // Three ticks where two are allowed: an error on the question, and not an active answer meanwhile.
        let three = AnswerValue::Choices(vec!["a".into(), "b".into(), "other".into()]);
        a.entry("start".into()).or_default().insert("likes".into(), three);
        let active = active_answers(&s, &a);
        assert!(!active["start"].contains_key("likes"));
        let fields: Vec<_> = page_problems(&s, start, &a, &active, true).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["answers.likes"]);
    }

    #[test]
    fn incomplete_pages_name_what_is_missing() {
        let s = survey();
        let a = held(&[("start", "role", choice("p")), ("end", "overall", choice("3"))]);
        let active = active_answers(&s, &a);
        assert_eq!(incomplete_pages(&s, &active, |_| true), ["p_home"]);
        assert_eq!(incomplete_pages(&s, &active, |p| p != "start"), ["start", "p_home"]);
    }
}

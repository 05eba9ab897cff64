//! Answer values and their validation against a survey. The client runs `validate_page_answers` before it lets a
//! respondent leave a page; the server runs it again on every page-save it receives.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::app_text::Problem;
use crate::condition::{AnswerSource, Lookup};
use crate::odk::{self, Form};
use crate::survey::{Choice, Question, QuestionKind};
use crate::valid::ValidSurvey;
use crate::value::{AnswerValue, PageAnswers};

/// A problem with one answer: `field` is the path inside the page-save (`answers.q12`, `answers.q12.s3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerError {
    pub field: String,
    /// In English.
    pub message: String,
    /// What a respondent could have done, for the app to say in their language (`app_text`); none for what only a
    /// broken or hostile client sends. Not on the wire: the app finds these problems itself with the same checks
    /// (and deserializing the enum cost the respondent bundle 7 KB).
    #[serde(skip)]
    pub problem: Option<Problem>,
}

impl AnswerError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        AnswerError { field: field.into(), message: message.into(), problem: None }
    }

    pub fn of(field: impl Into<String>, problem: Problem) -> Self {
        AnswerError { field: field.into(), message: problem.text("en"), problem: Some(problem) }
    }

    /// The message in `lang`, where there is a translation.
    pub fn text(&self, lang: &str) -> String {
        self.problem.as_ref().map_or_else(|| self.message.clone(), |p| p.text(lang))
    }
}

/// This page's answers are known exactly; everything else comes from `earlier`.
struct PageContext<'a> {
    survey: &'a ValidSurvey,
    page_id: &'a str,
    answers: &'a PageAnswers,
    earlier: &'a dyn AnswerSource,
}

impl AnswerSource for PageContext<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        if self.survey.page_of(question) == Some(self.page_id) {
            match self.answers.get(question) {
                Some(v) => Lookup::Value(v),
                None => not_given(self.survey, question),
            }
        } else {
            self.earlier.lookup(question)
        }
    }
}

/// What a page's saves say about a question they do not answer: it is missing, unless the roster may answer it,
/// which the server's checks of a batch do not know (`roster.rs`).
pub fn not_given(survey: &ValidSurvey, question: &str) -> Lookup<'static> {
    match survey.question(question) {
        Some(q) if q.from_roster.is_some() => Lookup::Unknown,
        _ => Lookup::Missing,
    }
}

/// Checks the answers of one page: each names a question of this page and has the right type, codes, range and
/// length. With `check_required`, every required question that is visible (provably so, given `earlier`) must be
/// answered; pass `false` for drafts of a page the respondent has not left yet.
pub fn validate_page_answers(
    survey: &ValidSurvey,
    page_id: &str,
    answers: &PageAnswers,
    earlier: &dyn AnswerSource,
    check_required: bool,
) -> Result<(), Vec<AnswerError>> {
    let Some(page) = survey.page(page_id) else {
        return Err(vec![AnswerError::new("page_id", format!("no page `{page_id}` in this survey"))]);
    };
    let mut errors = Vec::new();
    let ctx = PageContext { survey, page_id, answers, earlier };
    for (qid, value) in answers {
        let field = format!("answers.{qid}");
        match survey.question(qid) {
            Some(q) if survey.page_of(qid) == Some(page_id) => {
                let before = errors.len();
                check_value(&q.kind, value, &field, &mut errors);
                if errors.len() == before {
                    check_logic(survey, q, value, &ctx, &field, &mut errors);
                }
            }
            Some(_) => errors.push(AnswerError::new(field, format!("question `{qid}` is not on page `{page_id}`"))),
            None => errors.push(AnswerError::new(field, format!("no question `{qid}` in this survey"))),
        }
    }
    if check_required {
        let index = survey.page_index(page_id).unwrap_or(usize::MAX);
        let page_visible = odk::page_shown(survey, index, &ctx);
        // A question the roster may answer is never missing here: the roster's answers are not sent (`roster.rs`).
        for q in page.questions.iter().filter(|q| q.from_roster.is_none()) {
            let visible = page_visible == Some(true) && odk::question_shown(survey, q, &ctx) == Some(true);
            if !visible || is_required(survey, q, &ctx) != Some(true) {
                continue;
            }
            let field = format!("answers.{}", q.id);
            match (answers.get(&q.id), &q.kind) {
                (None, _) => errors.push(missing_problem(survey, q, field)),
                (Some(v), _) if v.is_empty() => errors.push(missing_problem(survey, q, field)),
                (Some(AnswerValue::Matrix(m)), QuestionKind::Likert { statements, .. }) => {
                    for s in statements.iter().filter(|s| !m.contains_key(&s.id)) {
                        errors.push(AnswerError::of(format!("{field}.{}", s.id), Problem::RowRequired));
                    }
                }
                _ => {}
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// What the survey's expressions say of an answer the question can take: its constraint, its choice filter, and for
/// a calculation, that it is what the app computes from the same answers (when this side knows them all and the
/// value does not depend on the clock).
fn check_logic(
    survey: &ValidSurvey,
    q: &Question,
    value: &AnswerValue,
    source: &dyn AnswerSource,
    field: &str,
    errors: &mut Vec<AnswerError>,
) {
    errors.extend(constraint_problem(survey, q, value, source, field));
    for code in filtered_out(survey, q, value, source) {
        errors.push(AnswerError::of(field, Problem::NotAChoice { code: code.to_owned() }));
    }
    let Some(logic) = survey.logic().question(&q.id).filter(|l| !l.clock) else { return };
    let expected = logic.calculation.as_ref().and_then(|c| c.eval_string(&Form::new(survey, source)));
    if let (Some(expected), AnswerValue::Text(given)) = (expected, value) {
        if expected != *given {
            errors.push(AnswerError::new(field, format!("calculated as `{expected}` from the answers, not `{given}`")));
        }
    }
}

/// The problem with an answer its question's constraint provably refuses (`.` is the answer, `source` the others).
pub fn constraint_problem(
    survey: &ValidSurvey,
    q: &Question,
    value: &AnswerValue,
    source: &dyn AnswerSource,
    field: &str,
) -> Option<AnswerError> {
    let constraint = survey.logic().question(&q.id)?.constraint.as_ref()?;
    let form = Form { current: Some(odk::text_of(value)), own: Some(&q.id), ..Form::new(survey, source) };
    (constraint.eval_bool(&form) == Some(false)).then(|| {
        let default_language = survey.survey().default_language.clone();
        AnswerError::of(field, Problem::Constraint { message: q.constraint_message.clone(), default_language })
    })
}

/// Whether a question must be answered (`Some(true)`), given `source`: `required`, or its `required_if` holds. A
/// note or a calculation never is. `None`: undecided.
pub fn is_required(survey: &ValidSurvey, q: &Question, source: &dyn AnswerSource) -> Option<bool> {
    if !q.kind.is_answered() {
        return Some(false);
    }
    if q.required {
        return Some(true);
    }
    match survey.logic().question(&q.id).and_then(|l| l.required_if.as_ref()) {
        Some(e) => e.eval_bool(&Form::new(survey, source)),
        None => Some(false),
    }
}

/// The problem of a required answer that is missing: in the survey's words, if it has some.
pub fn missing_problem(survey: &ValidSurvey, q: &Question, field: String) -> AnswerError {
    match &q.required_message {
        Some(message) => {
            let default_language = survey.survey().default_language.clone();
            AnswerError::of(field, Problem::RequiredSaying { message: message.clone(), default_language })
        }
        None => AnswerError::of(field, Problem::Required),
    }
}

/// Codes of a choice answer that the question's choice filter provably leaves out, given `source`.
pub fn filtered_out<'a>(
    survey: &ValidSurvey,
    q: &Question,
    value: &'a AnswerValue,
    source: &dyn AnswerSource,
) -> Vec<&'a str> {
    let filtered = survey.logic().question(&q.id).is_some_and(|l| l.choice_filter.is_some());
    let (true, Some(choices)) = (filtered, q.kind.codes()) else { return Vec::new() };
    let codes: Vec<&str> = match value {
        AnswerValue::Choice(c) => vec![c.as_str()],
        AnswerValue::Choices(cs) => cs.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    codes
        .into_iter()
        .filter(|code| {
            let choice = choices.iter().find(|c| c.code == *code);
            choice.is_some_and(|c| !odk::choice_offered(survey, q, c, source))
        })
        .collect()
}

/// A question's `default` as the answer it starts with, if the question can take it.
pub fn default_answer(q: &Question) -> Option<AnswerValue> {
    let given = q.default.as_deref()?.trim();
    let value = match &q.kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::Dropdown { .. } => AnswerValue::Choice(given.to_owned()),
        QuestionKind::MultipleChoice { .. } => {
            AnswerValue::Choices(given.split_whitespace().map(str::to_owned).collect())
        }
        QuestionKind::Number { .. } => AnswerValue::Number(given.parse().ok()?),
        QuestionKind::FreeText { .. } | QuestionKind::Date => AnswerValue::Text(given.to_owned()),
        QuestionKind::Likert { .. } | QuestionKind::Note | QuestionKind::Calculate { .. } => return None,
    };
    let mut errors = Vec::new();
    check_value(&q.kind, &value, "", &mut errors);
    (errors.is_empty() && !value.is_empty()).then_some(value)
}

/// Whether `value` is a possible answer to a question of this kind (type, codes, range, length); problems go to
/// `errors`, named by `field`.
pub(crate) fn check_value(kind: &QuestionKind, value: &AnswerValue, field: &str, errors: &mut Vec<AnswerError>) {
    let mut err = |f: String, p: Problem| errors.push(AnswerError::of(f, p));
    let known = |choices: &[Choice], code: &str| choices.iter().any(|c| c.code == code);
    match (kind, value) {
        (QuestionKind::SingleChoice { choices } | QuestionKind::Dropdown { choices }, AnswerValue::Choice(c)) => {
            if !c.is_empty() && !known(choices, c) {
                err(field.into(), Problem::NotAChoice { code: c.clone() });
            }
        }
        (QuestionKind::MultipleChoice { choices, min_selected, max_selected }, AnswerValue::Choices(cs)) => {
            let mut seen = HashSet::new();
            for c in cs {
                if !known(choices, c) {
                    err(field.into(), Problem::NotAChoice { code: c.clone() });
                } else if !seen.insert(c) {
                    err(field.into(), Problem::SelectedTwice { code: c.clone() });
                }
            }
            let n = cs.len() as u32;
            if let Some(min) = min_selected.filter(|&m| n > 0 && n < m) {
                err(field.into(), Problem::SelectAtLeast { n: min });
            }
            if let Some(max) = max_selected.filter(|&m| n > m) {
                err(field.into(), Problem::SelectAtMost { n: max });
            }
        }
        (QuestionKind::Likert { scale, statements }, AnswerValue::Matrix(m)) => {
            for (sid, code) in m {
                if !statements.iter().any(|s| &s.id == sid) {
                    err(format!("{field}.{sid}"), Problem::NoStatement { statement: sid.clone() });
                } else if !known(scale, code) {
                    err(format!("{field}.{sid}"), Problem::NotOnScale { code: code.clone() });
                }
            }
        }
        (QuestionKind::FreeText { max_length, .. }, AnswerValue::Text(t)) => {
            let len = t.chars().count();
            if len > *max_length as usize {
                err(field.into(), Problem::TooLong { length: len, max: *max_length });
            }
        }
        (QuestionKind::Number { min, max, integer }, AnswerValue::Number(n)) => {
            if !n.is_finite() {
                err(field.into(), Problem::NotFinite);
            } else if *integer && n.fract() != 0.0 {
                err(field.into(), Problem::NotWhole);
            } else if let Some(min) = min.filter(|m| n < m) {
                err(field.into(), Problem::AtLeast { min: min.to_string() });
            } else if let Some(max) = max.filter(|m| n > m) {
                err(field.into(), Problem::AtMost { max: max.to_string() });
            }
        }
        (QuestionKind::Date, AnswerValue::Text(t)) => {
            if !t.is_empty() && !is_date(t) {
                err(field.into(), Problem::NotADate);
            }
        }
        (QuestionKind::Calculate { .. }, AnswerValue::Text(t)) => {
            // What a calculation can make is bounded like any text: a page-save stays small.
            let len = t.chars().count();
            if len > CALCULATED_MAX {
                err(field.into(), Problem::TooLong { length: len, max: CALCULATED_MAX as u32 });
            }
        }
        (kind, value) => {
            err(field.into(), Problem::WrongKind { question: kind.name().into(), answer: value_kind(value).into() })
        }
    }
}

/// The longest value a calculation may store.
pub const CALCULATED_MAX: usize = 10_000;

/// `YYYY-MM-DD`, a real day of the proleptic Gregorian calendar (what an HTML date input and ODK write).
pub fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    // (time's own parser would do, at 10 KB of the respondent bundle.)
    let number = |r: std::ops::Range<usize>| t[r].parse::<u16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    (1..=days).contains(&day)
}

fn value_kind(v: &AnswerValue) -> &'static str {
    match v {
        AnswerValue::Choice(_) => "choice",
        AnswerValue::Choices(_) => "choices",
        AnswerValue::Matrix(_) => "matrix",
        AnswerValue::Text(_) => "text",
        AnswerValue::Number(_) => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{Lookup, NothingKnown};

    #[test]
    fn dates_are_real_days() {
        for good in ["2026-11-30", "2024-02-29", "2000-02-29", "0001-01-01"] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-1-01",
            "2026/01/01",
            "2026-01-0a",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    struct Answered<'a>(&'a PageAnswers);
    impl AnswerSource for Answered<'_> {
        fn lookup(&self, q: &str) -> Lookup<'_> {
            self.0.get(q).map_or(Lookup::Missing, Lookup::Value)
        }
    }

    const SURVEY: &str = r#"{
      "id": "t", "title": {"en": "T"}, "default_language": "en",
      "pages": [
        {"id": "p1", "title": {"en": "One"}, "questions": [
          {"id": "role", "text": {"en": "Role"}, "required": true, "type": "single_choice",
           "choices": [{"code": "s", "label": {"en": "Student"}}, {"code": "t", "label": {"en": "Teacher"}}]},
          {"id": "age", "text": {"en": "Age"}, "type": "number", "min": 5, "max": 99, "integer": true},
          {"id": "likes", "text": {"en": "Likes"}, "type": "multiple_choice", "max_selected": 2,
           "choices": [{"code": "a", "label": {"en": "A"}}, {"code": "b", "label": {"en": "B"}}, {"code": "c", "label": {"en": "C"}}]}
        ]},
        {"id": "p2", "title": {"en": "Two"}, "questions": [
          {"id": "m", "text": {"en": "Agree?"}, "required": true, "type": "likert",
           "scale": [{"code": "1", "label": {"en": "No"}}, {"code": "2", "label": {"en": "Yes"}}],
           "statements": [{"id": "s1", "text": {"en": "S1"}}, {"id": "s2", "text": {"en": "S2"}}]},
          {"id": "why", "text": {"en": "Why?"}, "type": "free_text", "max_length": 5, "required": true,
           "visible_if": {"equals": {"question": "role", "value": "t"}}},
          {"id": "grade", "text": {"en": "Grade"}, "type": "dropdown",
           "choices": [{"code": "9", "label": {"en": "9"}}]}
        ]}
      ]}"#;

    fn survey() -> ValidSurvey {
        ValidSurvey::parse(SURVEY).unwrap()
    }

    fn answers(json: &str) -> PageAnswers {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn fields(r: Result<(), Vec<AnswerError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn accepts_good_answers() {
        let s = survey();
        let a = answers(r#"{"role":{"choice":"s"},"age":{"number":14},"likes":{"choices":["a","c"]}}"#);
        assert_eq!(validate_page_answers(&s, "p1", &a, &NothingKnown, true), Ok(()));
    }

    #[test]
    fn rejects_wrong_type_code_range_length() {
        let s = survey();
        let a = answers(r#"{"role":{"choice":"x"},"age":{"number":14.5},"likes":{"choices":["a","b","c"]}}"#);
        let errs = validate_page_answers(&s, "p1", &a, &NothingKnown, true).err().unwrap_or_default();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].message.contains("whole number"), "{errs:?}");
        assert!(errs[1].message.contains("at most 2"), "{errs:?}");
        assert!(errs[2].message.contains("not one of the choices"), "{errs:?}");

        let a = answers(r#"{"role":{"text":"s"},"age":{"number":120}}"#);
        assert_eq!(fields(validate_page_answers(&s, "p1", &a, &NothingKnown, true)), ["answers.age", "answers.role"]);

        let a = answers(r#"{"m":{"matrix":{"s1":"1","s2":"1","s3":"1"}},"why":{"text":"too long"}}"#);
        assert_eq!(fields(validate_page_answers(&s, "p2", &a, &NothingKnown, true)), ["answers.m.s3", "answers.why"]);
    }

    #[test]
    fn rejects_questions_from_elsewhere_and_unknown_pages() {
        let s = survey();
        let a = answers(r#"{"role":{"choice":"s"},"grade":{"choice":"9"},"ghost":{"text":"boo"}}"#);
        assert_eq!(
            fields(validate_page_answers(&s, "p1", &a, &NothingKnown, true)),
            ["answers.ghost", "answers.grade"]
        );
        assert_eq!(fields(validate_page_answers(&s, "p9", &a, &NothingKnown, true)), ["page_id"]);
    }

    #[test]
    fn required_only_when_visible_and_not_for_drafts() {
        let s = survey();
        assert_eq!(fields(validate_page_answers(&s, "p1", &answers("{}"), &NothingKnown, true)), ["answers.role"]);
        assert_eq!(validate_page_answers(&s, "p1", &answers("{}"), &NothingKnown, false), Ok(()));
        assert_eq!(
            fields(validate_page_answers(&s, "p1", &answers(r#"{"role":{"choice":""}}"#), &NothingKnown, true)),
            ["answers.role"]
        );

        // `why` is visible only for teachers: unknown role → not required; student → not; teacher → required.
        let m = answers(r#"{"m":{"matrix":{"s1":"1"}}}"#);
        assert_eq!(fields(validate_page_answers(&s, "p2", &m, &NothingKnown, true)), ["answers.m.s2"]);
        let student = answers(r#"{"role":{"choice":"s"}}"#);
        let full = answers(r#"{"m":{"matrix":{"s1":"1","s2":"2"}}}"#);
        assert_eq!(validate_page_answers(&s, "p2", &full, &Answered(&student), true), Ok(()));
        let teacher = answers(r#"{"role":{"choice":"t"}}"#);
        assert_eq!(fields(validate_page_answers(&s, "p2", &full, &Answered(&teacher), true)), ["answers.why"]);
    }

    #[test]
    fn answer_json_shape() {
        let v: AnswerValue = serde_json::from_str(r#"{"matrix":{"s1":"4"}}"#).unwrap_or(AnswerValue::Number(0.0));
        assert_eq!(v, AnswerValue::Matrix([("s1".to_owned(), "4".to_owned())].into()));
        assert!(serde_json::from_str::<AnswerValue>(r#"{"colour":"red"}"#).is_err());
        assert!(AnswerValue::Text("  ".into()).is_empty());
    }
}

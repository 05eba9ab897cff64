//! Answers as ODK expressions read them (`expr::Env`): one rule for the app and the server.
//!
//! An answer's value is its ODK text: a choice its code, several choices their codes joined by spaces, a number as
//! JavaScript prints it, a date `YYYY-MM-DD`, a Likert statement (named by its own id) its scale code. A question
//! without an answer reads as `''`; an answer the source cannot know (the server, for a page outside a batch) makes
//! the expression undecided.

use crate::condition::{AnswerSource, Condition, Lookup};
use crate::expr::{Env, Expr, Value};
use crate::survey::{Choice, Question};
use crate::valid::ValidSurvey;
use crate::value::AnswerValue;

/// An answer's ODK text.
pub fn text_of(value: &AnswerValue) -> String {
    match value {
        AnswerValue::Choice(c) => c.clone(),
        AnswerValue::Choices(cs) => cs.join(" "),
        AnswerValue::Text(t) => t.clone(),
        AnswerValue::Number(n) => Value::Num(*n).to_str(),
        // A matrix is read statement by statement (`Form::get`); as a whole it is its statements' codes.
        AnswerValue::Matrix(m) => m.values().cloned().collect::<Vec<_>>().join(" "),
    }
}

/// Whether page `index` is shown given `source`: its JSON condition and its expression both hold (`None`:
/// undecided, an answer it reads is unknown).
pub fn page_shown(survey: &ValidSurvey, index: usize, source: &dyn AnswerSource) -> Option<bool> {
    let page = survey.survey().pages.get(index)?;
    let relevant = survey.logic().pages.get(index).and_then(Option::as_ref);
    shown(survey, page.visible_if.as_ref(), relevant, source)
}

/// Whether a question of a shown page is shown given `source` (as `page_shown`).
pub fn question_shown(survey: &ValidSurvey, q: &Question, source: &dyn AnswerSource) -> Option<bool> {
    let relevant = survey.logic().question(&q.id).and_then(|l| l.relevant.as_ref());
    shown(survey, q.visible_if.as_ref(), relevant, source)
}

/// A JSON condition and an expression that must both hold (either absent: holds). Three-valued: a false one decides,
/// whatever the other.
fn shown(
    survey: &ValidSurvey,
    condition: Option<&Condition>,
    relevant: Option<&Expr>,
    source: &dyn AnswerSource,
) -> Option<bool> {
    let relevant = || relevant.map_or(Some(true), |e| e.eval_bool(&Form::new(survey, source)));
    match condition.map_or(Some(true), |c| c.eval(source)) {
        Some(false) => Some(false),
        Some(true) => relevant(),
        None => match relevant() {
            Some(false) => Some(false),
            _ => None,
        },
    }
}

/// Whether a question's choice filter keeps `choice` given `source` (no filter, or undecided: kept). The app offers
/// only these; the server refuses a chosen code only when the filter provably leaves it out.
pub fn choice_offered(survey: &ValidSurvey, q: &Question, choice: &Choice, source: &dyn AnswerSource) -> bool {
    let Some(filter) = survey.logic().question(&q.id).and_then(|l| l.choice_filter.as_ref()) else { return true };
    filter.eval_bool(&Form { choice: Some(choice), ..Form::new(survey, source) }) != Some(false)
}

/// What an expression reads: the answers of `source`, the answer being checked (`.`), the choice being filtered.
pub struct Form<'a> {
    pub survey: &'a ValidSurvey,
    pub source: &'a dyn AnswerSource,
    pub current: Option<String>,
    pub choice: Option<&'a Choice>,
    /// The language `jr:choice-name()` answers in.
    pub lang: &'a str,
    /// The question a constraint checks: its name reads `current`.
    pub own: Option<&'a str>,
}

impl<'a> Form<'a> {
    pub fn new(survey: &'a ValidSurvey, source: &'a dyn AnswerSource) -> Self {
        Form { survey, source, current: None, choice: None, lang: &survey.survey().default_language, own: None }
    }
}

impl Env for Form<'_> {
    fn get(&self, name: &str) -> Option<String> {
        // A constraint may name its own question (`${age} >= 18` on `age`): that is the answer being checked.
        if self.own.is_some_and(|own| own == name) {
            return self.current.clone();
        }
        let Some((question, statement)) = self.survey.logic().names.get(name) else { return Some(String::new()) };
        match self.source.lookup(question) {
            Lookup::Unknown => None,
            Lookup::Missing => Some(String::new()),
            Lookup::Value(v) => Some(match (statement, v) {
                (Some(s), AnswerValue::Matrix(m)) => m.get(s).cloned().unwrap_or_default(),
                (Some(_), _) => String::new(),
                (None, v) => text_of(v),
            }),
        }
    }

    fn current(&self) -> Option<String> {
        self.current.clone()
    }

    fn column(&self, name: &str) -> Option<String> {
        Some(self.choice.and_then(|c| c.columns.get(name).cloned()).unwrap_or_default())
    }

    fn choice_label(&self, question: &str, code: &str) -> Option<String> {
        let (question, _) = self.survey.logic().names.get(question)?;
        let choices = self.survey.question(question)?.kind.codes()?;
        let default = &self.survey.survey().default_language;
        choices.iter().find(|c| c.code == code).map(|c| c.label.get(self.lang, default).to_owned())
    }

    /// The app's clock in the respondent's time zone (so `today()` is their date); the server's in UTC.
    fn now(&self) -> time::OffsetDateTime {
        let now = time::OffsetDateTime::now_utc();
        #[cfg(target_arch = "wasm32")]
        {
            // getTimezoneOffset() is UTC minus local time, in minutes.
            let minutes = -(js_sys::Date::new_0().get_timezone_offset() as i32);
            if let Ok(offset) = time::UtcOffset::from_whole_seconds(minutes * 60) {
                return now.to_offset(offset);
            }
        }
        now
    }
}

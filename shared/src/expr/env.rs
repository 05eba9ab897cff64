//! What an expression reads from the form: answers, the question being checked, the choice being filtered, choice
//! labels and the clock. The app and the server each implement [`Env`] over what they hold.

use std::collections::HashMap;

pub trait Env {
    /// The answer of question `name` as ODK would hold it in the instance: `Some("")` unanswered, `Some(s)` its
    /// string value (a select_multiple is its codes joined by single spaces; numbers as typed; dates
    /// `YYYY-MM-DD`), `None` when this side does not know it (the server sees only some pages); then the
    /// expression's result is `None` unless it is decided without it (e.g. `false() and ${x}`).
    fn get(&self, name: &str) -> Option<String>;
    /// The value of `.` (the question being checked, for constraints). None if unknown.
    fn current(&self) -> Option<String>;
    /// A bare relative name: a column of the choice being filtered (choice_filter); `Some("")` if the choice has no
    /// such column.
    fn column(&self, name: &str) -> Option<String>;
    /// jr:choice-name(code, '${q}'): the label of `code` in question `q`'s choices in the current language; None if
    /// unknown.
    fn choice_label(&self, question: &str, code: &str) -> Option<String>;
    /// Now, for today() and now(); its offset is the respondent's time zone.
    fn now(&self) -> time::OffsetDateTime;
    /// regex(value, pattern): a match anywhere in `value`: regex-lite on the server, the browser's RegExp in the app (see
    /// [`super::check_regex`]).
    fn regex_match(&self, value: &str, pattern: &str) -> Option<bool> {
        super::regex::regex_match(value, pattern)
    }
}

/// Answers in a map and a fixed clock: for tests and the differential generator. A name missing from `answers` is
/// unknown; `current`, `columns` and `labels` likewise.
#[derive(Clone, Debug)]
pub struct MapEnv {
    pub answers: HashMap<String, String>,
    pub current: Option<String>,
    pub columns: HashMap<String, String>,
    /// (question, code) to label.
    pub labels: HashMap<(String, String), String>,
    pub now: time::OffsetDateTime,
}

impl MapEnv {
    /// Answers from pairs, the clock at 2024-03-15T10:30:00Z.
    pub fn new<'a>(answers: impl IntoIterator<Item = (&'a str, &'a str)>) -> MapEnv {
        MapEnv {
            answers: answers.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            current: None,
            columns: HashMap::new(),
            labels: HashMap::new(),
            now: time::macros::datetime!(2024-03-15 10:30:00 UTC),
        }
    }
}

impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.answers.get(name).cloned()
    }

    fn current(&self) -> Option<String> {
        self.current.clone()
    }

    fn column(&self, name: &str) -> Option<String> {
        Some(self.columns.get(name).cloned().unwrap_or_default())
    }

    fn choice_label(&self, question: &str, code: &str) -> Option<String> {
        self.labels.get(&(question.to_string(), code.to_string())).cloned()
    }

    fn now(&self) -> time::OffsetDateTime {
        self.now
    }
}

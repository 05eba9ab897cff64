//! The values an expression computes, and XPath's conversions between them as Enketo's evaluator does them
//! (numbers print and parse as JavaScript's do; a string that starts like a date is a number of days).

use super::date::{self, DAY_MS};
use super::num::{js_number, num_to_str};

/// Milliseconds since 1970-01-01T00:00 in the respondent's local time, as a JavaScript `Date` holds it.
pub type Millis = f64;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    /// A node-set of one node (`${name}`, `.`, a choice column): its string value. Unlike a string it is true
    /// even when empty, because the node exists.
    Node(String),
    /// A date from `date()`, `today()` or `now()`; `None` is the blank date of `date('')` (prints as ''), NaN an
    /// invalid one.
    Date(Option<Millis>),
}

impl Value {
    /// XPath boolean().
    pub fn to_bool(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Node(_) => true,
            Value::Date(d) => d.is_some_and(|ms| !ms.is_nan()),
        }
    }

    /// XPath number(), with Enketo's dates: a date value or date text is its days since 1970-01-01.
    pub fn to_num(&self) -> f64 {
        match self {
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => d.map_or(f64::NAN, |ms| ms / DAY_MS),
            Value::Str(s) | Value::Node(s) => str_to_num(s),
        }
    }

    /// XPath string(): numbers as JavaScript prints them, dates as `YYYY-MM-DD` (or their full ISO form).
    pub fn to_str(&self) -> String {
        match self {
            Value::Str(s) | Value::Node(s) => s.clone(),
            Value::Num(n) => num_to_str(*n),
            Value::Bool(b) => b.to_string(),
            Value::Date(None) => String::new(),
            Value::Date(Some(ms)) => date::to_iso(*ms),
        }
    }

    /// The text of a node or string without a copy.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Node(s) => Some(s),
            _ => None,
        }
    }
}

/// XPath number() of a string: a leading date counts its days since 1970-01-01.
pub fn str_to_num(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return f64::NAN;
    }
    if date::is_date_string(t) {
        return date::date_string_days(t);
    }
    js_number(t)
}

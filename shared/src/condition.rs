//! Skip logic: conditions on earlier answers that decide whether a page or question is shown.
//!
//! Evaluation is three-valued. The client knows every answer and always gets `Some`. The server sees only the pages
//! of one batch; where an answer it needs is not there it gets `None` and must not reject anything on that ground:
//! it only rejects what is provably wrong.

use serde::{Deserialize, Serialize};

use crate::value::AnswerValue;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds.
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// The answer is this code (for multiple choice: includes it; for a Likert matrix: name the statement).
    Equals(Target),
    /// The answer is one of these codes.
    OneOf(TargetSet),
    /// The question (or statement) has an answer.
    Answered(Reference),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetSet {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub values: Vec<String>,
}

/// What an answer source knows about one question.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// The source cannot tell (the server, for a page outside the batch).
    Unknown,
    /// Known to be unanswered.
    Missing,
    Value(&'a AnswerValue),
}

/// Where conditions read earlier answers from.
pub trait AnswerSource {
    fn lookup(&self, question: &str) -> Lookup<'_>;
}

/// A source that knows no answer: a condition that reads one is undecided. What the server's view of a page outside
/// the batch amounts to, and a handy source for checks that need no context.
pub struct NothingKnown;

impl AnswerSource for NothingKnown {
    fn lookup(&self, _: &str) -> Lookup<'_> {
        Lookup::Unknown
    }
}

impl Condition {
    /// `Some(true)`/`Some(false)` when decidable from `answers`, `None` when it depends on an unknown answer.
    pub fn eval(&self, answers: &dyn AnswerSource) -> Option<bool> {
        match self {
            Condition::All(cs) => {
                let mut result = Some(true);
                for c in cs {
                    match c.eval(answers) {
                        Some(false) => return Some(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Condition::Any(cs) => {
                let mut result = Some(false);
                for c in cs {
                    match c.eval(answers) {
                        Some(true) => return Some(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
            Condition::Not(c) => c.eval(answers).map(|b| !b),
            Condition::Equals(t) => {
                codes(answers, &t.question, t.statement.as_deref()).map(|codes| codes.iter().any(|c| *c == t.value))
            }
            Condition::OneOf(t) => codes(answers, &t.question, t.statement.as_deref())
                .map(|codes| codes.iter().any(|c| t.values.iter().any(|v| v == c))),
            Condition::Answered(r) => match answers.lookup(&r.question) {
                Lookup::Unknown => None,
                Lookup::Missing => Some(false),
                Lookup::Value(v) => Some(match &r.statement {
                    Some(s) => matches!(v, AnswerValue::Matrix(m) if m.contains_key(s)),
                    None => !v.is_empty(),
                }),
            },
        }
    }

    /// Every answer the condition reads, with the JSON path (relative to the condition) of the leaf that reads it.
    pub fn references(&self) -> Vec<ConditionRef<'_>> {
        let mut out = Vec::new();
        self.collect_refs(String::new(), &mut out);
        out
    }

    fn collect_refs<'a>(&'a self, path: String, out: &mut Vec<ConditionRef<'a>>) {
        let leaf = |path: String, question: &'a String, statement: &'a Option<String>, values: Vec<&'a str>| {
            ConditionRef { path, question, statement: statement.as_deref(), values }
        };
        match self {
            Condition::All(cs) | Condition::Any(cs) => {
                let key = if matches!(self, Condition::All(_)) { "all" } else { "any" };
                for (i, c) in cs.iter().enumerate() {
                    c.collect_refs(format!("{path}.{key}[{i}]"), out);
                }
            }
            Condition::Not(c) => c.collect_refs(format!("{path}.not"), out),
            Condition::Equals(t) => out.push(leaf(format!("{path}.equals"), &t.question, &t.statement, vec![&t.value])),
            Condition::OneOf(t) => out.push(leaf(
                format!("{path}.one_of"),
                &t.question,
                &t.statement,
                t.values.iter().map(String::as_str).collect(),
            )),
            Condition::Answered(r) => out.push(leaf(format!("{path}.answered"), &r.question, &r.statement, vec![])),
        }
    }
}

/// One leaf of a condition: the answer it reads and the codes it compares with (none for `answered`).
#[derive(Debug, PartialEq)]
pub struct ConditionRef<'a> {
    pub path: String,
    pub question: &'a str,
    pub statement: Option<&'a str>,
    pub values: Vec<&'a str>,
}

/// The codes an answer holds, for comparisons: a choice, the selected choices, or one statement of a matrix.
fn codes<'a>(answers: &'a dyn AnswerSource, question: &str, statement: Option<&str>) -> Option<Vec<&'a str>> {
    match answers.lookup(question) {
        Lookup::Unknown => None,
        Lookup::Missing => Some(Vec::new()),
        Lookup::Value(v) => Some(match (v, statement) {
            (AnswerValue::Choice(c), None) => vec![c.as_str()],
            (AnswerValue::Choices(cs), None) => cs.iter().map(String::as_str).collect(),
            (AnswerValue::Matrix(m), Some(s)) => m.get(s).map(String::as_str).into_iter().collect(),
            _ => Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Known(HashMap<&'static str, AnswerValue>);
    impl AnswerSource for Known {
        fn lookup(&self, q: &str) -> Lookup<'_> {
            self.0.get(q).map_or(Lookup::Missing, Lookup::Value)
        }
    }

    fn parse(json: &str) -> Condition {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn equals_one_of_answered_not() {
        let answers = Known(HashMap::from([
            ("grade", AnswerValue::Choice("9".into())),
            ("sports", AnswerValue::Choices(vec!["soccer".into(), "chess".into()])),
            ("m", AnswerValue::Matrix([("s1".to_owned(), "4".to_owned())].into())),
        ]));
        assert_eq!(parse(r#"{"equals":{"question":"grade","value":"9"}}"#).eval(&answers), Some(true));
        assert_eq!(parse(r#"{"equals":{"question":"grade","value":"10"}}"#).eval(&answers), Some(false));
        assert_eq!(parse(r#"{"equals":{"question":"sports","value":"chess"}}"#).eval(&answers), Some(true));
        assert_eq!(parse(r#"{"one_of":{"question":"grade","values":["10","9"]}}"#).eval(&answers), Some(true));
        assert_eq!(parse(r#"{"equals":{"question":"m","statement":"s1","value":"4"}}"#).eval(&answers), Some(true));
        assert_eq!(parse(r#"{"answered":{"question":"m","statement":"s2"}}"#).eval(&answers), Some(false));
        assert_eq!(parse(r#"{"answered":{"question":"nothing"}}"#).eval(&answers), Some(false));
        assert_eq!(parse(r#"{"not":{"answered":{"question":"nothing"}}}"#).eval(&answers), Some(true));
    }

    #[test]
    fn all_any_are_three_valued() {
        let all = parse(r#"{"all":[{"equals":{"question":"a","value":"1"}},{"equals":{"question":"b","value":"1"}}]}"#);
        let any = parse(r#"{"any":[{"equals":{"question":"a","value":"1"}},{"equals":{"question":"b","value":"1"}}]}"#);
        assert_eq!(all.eval(&NothingKnown), None);
        assert_eq!(any.eval(&NothingKnown), None);
        let a_no = Known(HashMap::from([("a", AnswerValue::Choice("2".into()))]));
        let partial = Partial(&a_no);
        // A false conjunct decides `all` even when the other is unknown; `any` stays unknown.
        assert_eq!(all.eval(&partial), Some(false));
        assert_eq!(any.eval(&partial), None);
        let a_yes = Known(HashMap::from([("a", AnswerValue::Choice("1".into()))]));
        assert_eq!(any.eval(&Partial(&a_yes)), Some(true));
        assert_eq!(parse(r#"{"all":[]}"#).eval(&NothingKnown), Some(true));
        assert_eq!(parse(r#"{"any":[]}"#).eval(&NothingKnown), Some(false));
    }

    /// Knows `a` only.
    struct Partial<'a>(&'a Known);
    impl AnswerSource for Partial<'_> {
        fn lookup(&self, q: &str) -> Lookup<'_> {
            if q == "a" {
                self.0.lookup(q)
            } else {
                Lookup::Unknown
            }
        }
    }

    #[test]
    fn references_have_paths() {
        let c = parse(r#"{"all":[{"equals":{"question":"a","value":"1"}},{"not":{"answered":{"question":"b"}}}]}"#);
        let refs = c.references();
        assert_eq!(
            refs[0],
            ConditionRef { path: ".all[0].equals".into(), question: "a", statement: None, values: vec!["1"] }
        );
        assert_eq!(
            refs[1],
            ConditionRef { path: ".all[1].not.answered".into(), question: "b", statement: None, values: vec![] }
        );
    }
}

//! What an answer is: the value kinds, and the answers of one page.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One answer. Externally tagged, so the JSON says what it is: `{"choice":"3"}`, `{"choices":["a","b"]}`,
/// `{"matrix":{"s1":"4"}}`, `{"text":"…"}`, `{"number":12}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AnswerValue {
    /// Single choice or dropdown.
    Choice(String),
    /// Multiple choice.
    Choices(Vec<String>),
    /// Likert matrix: statement id to scale code.
    Matrix(BTreeMap<String, String>),
    Text(String),
    Number(f64),
}

impl AnswerValue {
    /// An empty answer counts as no answer (a cleared text box, every box unticked).
    pub fn is_empty(&self) -> bool {
        match self {
            AnswerValue::Choice(c) => c.is_empty(),
            AnswerValue::Choices(cs) => cs.is_empty(),
            AnswerValue::Matrix(m) => m.is_empty(),
            AnswerValue::Text(t) => t.trim().is_empty(),
            AnswerValue::Number(_) => false,
        }
    }
}

/// The answers given on one page, by question id.
pub type PageAnswers = BTreeMap<String, AnswerValue>;

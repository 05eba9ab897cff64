//! The survey file format: a survey, its ordered pages and their questions.
//!
//! A survey file is JSON. `valid::ValidSurvey::parse` is the only way to get a survey the rest of Quire will use.

use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::text::Text;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Stable id of the survey across versions, e.g. `school-climate-2026`.
    pub id: String,
    pub title: Text,
    /// Language every text must have.
    pub default_language: String,
    /// Other languages a respondent may switch to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    pub pages: Vec<Page>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub id: String,
    pub title: Text,
    /// The page is shown only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Condition>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Question {
    /// Unique in the whole survey; answers are keyed by it.
    pub id: String,
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Must be answered whenever the question is visible.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The question is shown only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Condition>,
    /// A roster column that answers this question: when the respondent's roster row holds a value the question can
    /// take, it is not asked and that value is its answer (`roster.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_roster: Option<RosterField>,
    // Flattened so a question reads `{"id": …, "type": "likert", "scale": […]}`. The price is that serde cannot deny
    // unknown fields on a question; every other object of the format does.
    #[serde(flatten)]
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice {
        choices: Vec<Choice>,
    },
    MultipleChoice {
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_selected: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_selected: Option<u32>,
    },
    /// Several statements answered on one shared scale (agree … disagree).
    Likert {
        scale: Vec<Choice>,
        statements: Vec<Statement>,
    },
    FreeText {
        max_length: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        multiline: bool,
    },
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        integer: bool,
    },
    Dropdown {
        choices: Vec<Choice>,
    },
}

impl QuestionKind {
    /// The kind's name as written in survey files.
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::Likert { .. } => "likert",
            QuestionKind::FreeText { .. } => "free_text",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Dropdown { .. } => "dropdown",
        }
    }

    /// The codes a condition may compare this question's answer with (`None`: the kind has no codes).
    pub fn codes(&self) -> Option<&[Choice]> {
        match self {
            QuestionKind::SingleChoice { choices }
            | QuestionKind::MultipleChoice { choices, .. }
            | QuestionKind::Dropdown { choices } => Some(choices),
            QuestionKind::Likert { scale, .. } => Some(scale),
            QuestionKind::FreeText { .. } | QuestionKind::Number { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What is stored and exported, e.g. `"4"`; labels may change between languages, codes never do.
    pub code: String,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub id: String,
    pub text: Text,
}

/// A roster column a survey can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RosterField {
    School,
    District,
    Class,
    /// `student`, `teacher` or `parent`.
    Role,
    Grade,
    /// A language code such as `es`.
    Language,
}

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
    /// An ODK expression (XLSForm's `relevant`): the page is shown only when it holds too (`expr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
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
    /// An ODK expression (XLSForm's `relevant`): the question is shown only when it holds, as well as `visible_if`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// An ODK expression: the question must be answered when it holds (XLSForm's `required` as an expression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<String>,
    /// What the respondent is told when a required answer is missing, instead of the app's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_message: Option<Text>,
    /// An ODK expression over `.` (the answer) that a given answer must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<Text>,
    /// The answer the question starts with, as ODK writes it (a code, codes separated by spaces, a number, a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Shown but not answerable (its value is its default or its calculation).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// An ODK expression that keeps a choice when it holds for it; bare names read the choice's `columns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<String>,
    /// A heading shown before this question: how an XLSForm group nested inside a page's group is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<Text>,
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
    /// Text shown to the respondent, never answered.
    Note,
    /// A calendar date, answered as `YYYY-MM-DD`.
    Date,
    /// A value computed from other answers on every change, never shown; stored and exported as text.
    Calculate {
        calculation: String,
    },
}

impl Question {
    /// A question with nothing but its id, text and kind: not required, always shown, no expressions.
    pub fn new(id: impl Into<String>, text: Text, kind: QuestionKind) -> Self {
        Question {
            id: id.into(),
            text,
            help: None,
            required: false,
            visible_if: None,
            from_roster: None,
            relevant: None,
            required_if: None,
            required_message: None,
            constraint: None,
            constraint_message: None,
            default: None,
            read_only: false,
            choice_filter: None,
            section: None,
            kind,
        }
    }
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
            QuestionKind::Note => "note",
            QuestionKind::Date => "date",
            QuestionKind::Calculate { .. } => "calculate",
        }
    }

    /// The codes a condition may compare this question's answer with (`None`: the kind has no codes).
    pub fn codes(&self) -> Option<&[Choice]> {
        match self {
            QuestionKind::SingleChoice { choices }
            | QuestionKind::MultipleChoice { choices, .. }
            | QuestionKind::Dropdown { choices } => Some(choices),
            QuestionKind::Likert { scale, .. } => Some(scale),
            QuestionKind::FreeText { .. }
            | QuestionKind::Number { .. }
            | QuestionKind::Note
            | QuestionKind::Date
            | QuestionKind::Calculate { .. } => None,
        }
    }

    /// Whether the respondent gives this question an answer (a note is only read, a calculation only computed).
    pub fn is_answered(&self) -> bool {
        !matches!(self, QuestionKind::Note | QuestionKind::Calculate { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What is stored and exported, e.g. `"4"`; labels may change between languages, codes never do.
    pub code: String,
    pub label: Text,
    /// More columns of the choice (XLSForm's choices sheet), which a `choice_filter` reads by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub columns: std::collections::BTreeMap<String, String>,
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

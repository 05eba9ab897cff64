//! The survey file format: a survey, its ordered pages and their questions.
//!
//! A survey file is JSON. `ValidSurvey::parse` is the only way to get a survey the rest of Quire will use: it checks
//! the structure (see `validate`) and fixes the version, the hash of the canonical content, so a published version
//! can be cached forever and a respondent stays on the exact survey they started.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::condition::Condition;
use crate::text::Text;
use crate::validate::{self, SurveyError};

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

/// A survey that passed validation, with its content-hash version and lookup tables.
#[derive(Debug, Clone)]
pub struct ValidSurvey {
    survey: Survey,
    version: String,
    pages: HashMap<String, usize>,
    questions: HashMap<String, (usize, usize)>,
    warnings: Vec<SurveyError>,
}

impl ValidSurvey {
    /// Parses and validates a survey file. Errors carry a JSON path (`$.pages[2].questions[0].choices`).
    pub fn parse(json: &str) -> Result<Self, Vec<SurveyError>> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let survey: Survey = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let path = e.path().to_string();
            vec![SurveyError::new(
                if path == "." { "$".to_owned() } else { format!("$.{path}") },
                e.into_inner().to_string(),
            )]
        })?;
        // A file with more after the survey (two surveys pasted together, a stray fragment) is not what the author
        // meant to upload.
        de.end().map_err(|e| vec![SurveyError::new("$", format!("unexpected text after the survey: {e}"))])?;
        Self::new(survey)
    }

    pub fn new(survey: Survey) -> Result<Self, Vec<SurveyError>> {
        let (errors, warnings) = validate::check(&survey);
        if !errors.is_empty() {
            return Err(errors);
        }
        let pages = survey.pages.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let questions = survey
            .pages
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| p.questions.iter().enumerate().map(move |(qi, q)| (q.id.clone(), (pi, qi))))
            .collect();
        let version = content_hash(&survey);
        Ok(ValidSurvey { survey, version, pages, questions, warnings })
    }

    /// What the survey lacks without being wrong: every text missing in a listed language (shown in the default
    /// language instead), each with its path.
    pub fn warnings(&self) -> &[SurveyError] {
        &self.warnings
    }

    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// Hash of the canonical content; names the published file.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The canonical JSON that `version` hashes: what gets published.
    pub fn canonical_json(&self) -> String {
        canonical_json(&self.survey)
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.get(id).map(|&i| &self.survey.pages[i])
    }

    pub fn page_index(&self, id: &str) -> Option<usize> {
        self.pages.get(id).copied()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.get(id).map(|&(p, q)| &self.survey.pages[p].questions[q])
    }

    /// Id of the page that holds a question.
    pub fn page_of(&self, question: &str) -> Option<&str> {
        self.questions.get(question).map(|&(p, _)| self.survey.pages[p].id.as_str())
    }
}

/// Serializing the typed model fixes field order and drops whitespace; texts are sorted maps. Two files that differ
/// only in formatting or key order therefore get the same version.
fn canonical_json(survey: &Survey) -> String {
    serde_json::to_string(survey).expect("a survey always serializes")
}

fn content_hash(survey: &Survey) -> String {
    let digest = Sha256::digest(canonical_json(survey).as_bytes());
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = include_str!("../fixtures/school-climate.json");

    #[test]
    fn example_survey_is_valid_and_realistic() {
        let s = ValidSurvey::parse(EXAMPLE).unwrap();
        let survey = s.survey();
        assert!(survey.pages.len() >= 50, "pages: {}", survey.pages.len());
        assert!(survey.languages.contains(&"es".to_owned()));
        let kinds: std::collections::BTreeSet<_> =
            survey.pages.iter().flat_map(|p| &p.questions).map(|q| q.kind.name()).collect();
        assert_eq!(kinds.len(), 6, "every question kind appears: {kinds:?}");
        assert!(survey.pages.iter().any(|p| p.visible_if.is_some()));
        assert!(survey.pages.iter().flat_map(|p| &p.questions).any(|q| q.visible_if.is_some()));
        for p in &survey.pages {
            assert!((3..=6).contains(&p.questions.len()), "page {} has {}", p.id, p.questions.len());
        }
    }

    #[test]
    fn version_ignores_formatting_and_key_order() {
        let a = ValidSurvey::parse(EXAMPLE).unwrap();
        let value: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
        let reformatted = serde_json::to_string_pretty(&value).unwrap_or_default();
        let b = ValidSurvey::parse(&reformatted).unwrap();
        assert_eq!(a.version(), b.version());
        assert_eq!(a.version().len(), 32);
        // The canonical form parses back to the same version.
        let c = ValidSurvey::parse(&a.canonical_json()).unwrap();
        assert_eq!(a.version(), c.version());
    }

    #[test]
    fn version_changes_with_content() {
        let mut survey = ValidSurvey::parse(EXAMPLE).unwrap().survey().clone();
        let before = content_hash(&survey);
        survey.pages[0].title.0.insert("en".into(), "Another title".into());
        assert_ne!(before, content_hash(&survey));
    }

    #[test]
    fn syntax_and_type_errors_carry_a_path() {
        let err = ValidSurvey::parse(r#"{"id":"s","title":{"en":"T"},"default_language":"en","pages":[{"id":"p1","title":{"en":"P"},"questions":[{"id":"q","text":{"en":"Q"},"type":"number","min":"zero"}]}]}"#)
            .expect_err("min must be a number");
        assert_eq!(err.len(), 1);
        assert!(err[0].path.starts_with("$.pages[0].questions[0]"), "{:?}", err[0]);

        let err = ValidSurvey::parse(r#"{"id":"s","title":{"en":"T"},"default_language":"en","pages":[],"colour":1}"#)
            .expect_err("unknown field");
        assert!(err[0].message.contains("colour"), "{:?}", err[0]);
    }

    #[test]
    fn lookups() {
        let s = ValidSurvey::parse(EXAMPLE).unwrap();
        let first = &s.survey().pages[0];
        assert_eq!(s.page(&first.id).map(|p| &p.id), Some(&first.id));
        assert_eq!(s.page_of(&first.questions[0].id), Some(first.id.as_str()));
        assert!(s.question("no-such-question").is_none());
    }
}

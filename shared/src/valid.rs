//! A survey that passed its checks (`ValidSurvey`): the only kind the rest of Quire uses. Parsing checks the
//! structure (see `validate`) and fixes the version, the hash of the canonical content, so a published version can be
//! cached forever and a respondent stays on the exact survey they started.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::logic::{self, Logic};
use crate::survey::{Page, Question, Survey};
use crate::validate::{self, SurveyError};

/// A survey that passed validation, with its content-hash version and lookup tables.
#[derive(Debug, Clone)]
pub struct ValidSurvey {
    survey: Survey,
    version: String,
    pages: HashMap<String, usize>,
    questions: HashMap<String, (usize, usize)>,
    warnings: Vec<SurveyError>,
    logic: Logic,
}

impl ValidSurvey {
    /// Parses and validates a survey file: every problem at once (`shape`, then `validate`), each with a JSON path
    /// (`$.pages[2].questions[0].choices`).
    pub fn parse(json: &str) -> Result<Self, Vec<SurveyError>> {
        Self::new(crate::shape::read(json)?)
    }

    /// Parses a survey file the server published: it passed every check of `parse` at upload, and its version is
    /// the hash of this very content (the app compares them when it downloads it), so only its expressions are
    /// compiled again; a parse error carries no JSON path, which only an author needs. The respondent app uses this
    /// one, so that its bundle carries neither `serde_path_to_error` (21 KB of wasm before optimization) nor the
    /// author's checks.
    pub fn parse_published(json: &str) -> Result<Self, Vec<SurveyError>> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let survey = Survey::deserialize(&mut *de).map_err(|e| vec![SurveyError::new("$", e.to_string())])?;
        // A file with more after the survey (two surveys pasted together, a stray fragment) is not what was published.
        de.end().map_err(|e| vec![SurveyError::new("$", format!("unexpected text after the survey: {e}"))])?;
        // A published file is the canonical JSON, so the hash of its text is its version; hashing the text instead
        // of serializing the survey again keeps the model's serializers out of the respondent bundle.
        Self::build(survey, hash(json.as_bytes()), None)
    }

    pub fn new(survey: Survey) -> Result<Self, Vec<SurveyError>> {
        let checked = validate::check(&survey);
        let version = content_hash(&survey);
        Self::build(survey, version, Some(checked))
    }

    /// `checked`: the errors and warnings of the author's checks (`None` for a published survey, which passed them).
    fn build(
        survey: Survey,
        version: String,
        checked: Option<(Vec<SurveyError>, Vec<SurveyError>)>,
    ) -> Result<Self, Vec<SurveyError>> {
        let (logic, logic_errors) = logic::compile(&survey, checked.is_some());
        let (mut errors, warnings) = checked.unwrap_or_default();
        errors.extend(logic_errors);
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
        Ok(ValidSurvey { survey, version, pages, questions, warnings, logic })
    }

    /// The survey's expressions, compiled.
    pub fn logic(&self) -> &Logic {
        &self.logic
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
    hash(canonical_json(survey).as_bytes())
}

fn hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = include_str!("../fixtures/school-climate.json");

    #[test]
    fn a_published_file_parses_to_the_same_survey_and_a_broken_one_is_refused_the_same() {
        let a = ValidSurvey::parse(EXAMPLE).unwrap();
        let b = ValidSurvey::parse_published(&a.canonical_json()).unwrap();
        assert_eq!((a.version(), a.survey()), (b.version(), b.survey()));
        // Its version is the hash of the text published: another text of the same survey is another file.
        assert_ne!(ValidSurvey::parse_published(EXAMPLE).map(|s| s.version().to_owned()), Ok(a.version().to_owned()));
        let truncated = &EXAMPLE[..EXAMPLE.len() / 2];
        assert!(ValidSurvey::parse(truncated).is_err() && ValidSurvey::parse_published(truncated).is_err());
        let trailing = format!("{EXAMPLE} {{}}");
        assert!(ValidSurvey::parse(&trailing).is_err() && ValidSurvey::parse_published(&trailing).is_err());
        let invalid = EXAMPLE.replacen("\"required\": true", "\"required\": 3", 1);
        assert_ne!(invalid, EXAMPLE);
        assert!(ValidSurvey::parse(&invalid).is_err() && ValidSurvey::parse_published(&invalid).is_err());
    }

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

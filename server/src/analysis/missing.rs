//! The three reasons an answer cell is empty, and the codes that say which in every analysis file.
//!
//! - **not shown**: skip logic hid the question (or its page) from this respondent, or their survey version does not
//!   ask it;
//! - **not reached**: the respondent stopped before its page (a page is reached when it, or a later page, was saved,
//!   or when the respondent finished);
//! - **not answered**: shown and reached, and left blank.
//!
//! The codes are -97, -98 and -99 unless a number question's valid range could hold one of them; then -997… and
//! so on, so that a code can never be a real answer. A number question with no lower bound could hold any code: it
//! is named in the codebook's notes.

use std::sync::Arc;

use quire_shared::{QuestionKind, ValidSurvey};

use super::words::{word, Word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    NotShown,
    NotReached,
    NotAnswered,
}

impl Missing {
    pub const ALL: [Missing; 3] = [Missing::NotShown, Missing::NotReached, Missing::NotAnswered];

    /// What the code means, in `lang` (`words`).
    pub fn label(self, lang: &str) -> &'static str {
        word(
            match self {
                Missing::NotShown => Word::NotShown,
                Missing::NotReached => Word::NotReached,
                Missing::NotAnswered => Word::NotAnswered,
            },
            lang,
        )
    }

    /// Stata's extended missing value for it.
    pub fn stata(self) -> &'static str {
        match self {
            Missing::NotShown => ".a",
            Missing::NotReached => ".b",
            Missing::NotAnswered => ".c",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingCodes {
    /// The code of `NotShown`; the other two follow it downwards (-97, -98, -99).
    pub base: i64,
}

impl MissingCodes {
    pub fn code(self, m: Missing) -> i64 {
        match m {
            Missing::NotShown => self.base,
            Missing::NotReached => self.base - 1,
            Missing::NotAnswered => self.base - 2,
        }
    }

    /// -97 (…-99), or the first of -997, -9997, … that no bounded number question of any version accepts.
    pub fn for_versions(versions: &[Arc<ValidSurvey>]) -> MissingCodes {
        let ranges: Vec<(f64, f64)> = versions
            .iter()
            .flat_map(|v| v.survey().pages.iter().flat_map(|p| &p.questions))
            .filter_map(|q| match q.kind {
                QuestionKind::Number { min: Some(min), max, .. } => Some((min, max.unwrap_or(f64::INFINITY))),
                _ => None,
            })
            .collect();
        let mut base = -97_i64;
        while base > -9_999_999_997 {
            let codes = [base, base - 1, base - 2].map(|c| c as f64);
            if !ranges.iter().any(|&(lo, hi)| codes.iter().any(|&c| c >= lo && c <= hi)) {
                break;
            }
            base = base * 10 - 27;
        }
        MissingCodes { base }
    }

    /// What a cell holds for `m`.
    pub fn cell(self, m: Missing) -> String {
        self.code(m).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey_with(min: Option<f64>, max: Option<f64>) -> Arc<ValidSurvey> {
        let q = serde_json::json!({"id": "n", "text": {"en": "N"}, "type": "number", "min": min, "max": max});
        let json = serde_json::json!({
            "id": "s", "title": {"en": "S"}, "default_language": "en",
            "pages": [{"id": "p", "title": {"en": "P"}, "questions": [q]}]
        });
        Arc::new(ValidSurvey::parse(&json.to_string()).expect("valid"))
    }

    #[test]
    fn codes_stay_clear_of_every_bounded_range() {
        let base = |min, max| MissingCodes::for_versions(&[survey_with(min, max)]).base;
        assert_eq!(base(Some(0.0), Some(10.0)), -97);
        assert_eq!(base(Some(-100.0), Some(10.0)), -997);
        assert_eq!(base(Some(-998.0), None), -9997);
        // No lower bound: nothing is safe; the codes stay at the first choice (the codebook says so).
        assert_eq!(base(None, Some(5.0)), -97);
        let codes = MissingCodes { base: -97 };
        assert_eq!(Missing::ALL.map(|m| codes.code(m)), [-97, -98, -99]);
    }
}

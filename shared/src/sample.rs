//! Deterministic sample answers: a valid answer to every question of a page, varied by a seed. Used by tests, the
//! demo and load generation, so that what they send is what a respondent could have sent.

use crate::survey::{Page, QuestionKind};
use crate::value::{AnswerValue, PageAnswers};

/// A small, fast, reproducible mixer (splitmix64); no `rand` needed in the wasm build.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Answers every question of `page` validly. Conditions are ignored: answering a hidden question is allowed.
pub fn answer_page(page: &Page, seed: u64) -> PageAnswers {
    let mut answers = PageAnswers::new();
    for (i, q) in page.questions.iter().enumerate() {
        let r = mix(seed ^ mix(i as u64));
        let value = match &q.kind {
            QuestionKind::SingleChoice { choices } | QuestionKind::Dropdown { choices } => {
                AnswerValue::Choice(choices[r as usize % choices.len()].code.clone())
            }
            QuestionKind::MultipleChoice { choices, min_selected, max_selected } => {
                let max = max_selected.map_or(choices.len(), |m| m as usize).min(choices.len()).max(1);
                let min = min_selected.map_or(1, |m| m as usize).clamp(1, max);
                let n = min + (r as usize % (max - min + 1));
                let start = (r >> 8) as usize % choices.len();
                AnswerValue::Choices((0..n).map(|k| choices[(start + k) % choices.len()].code.clone()).collect())
            }
            QuestionKind::Likert { scale, statements } => AnswerValue::Matrix(
                statements
                    .iter()
                    .enumerate()
                    .map(|(k, s)| (s.id.clone(), scale[mix(r ^ k as u64) as usize % scale.len()].code.clone()))
                    .collect(),
            ),
            QuestionKind::FreeText { max_length, .. } => {
                let text = format!("Answer {r:x} to {}", q.id);
                AnswerValue::Text(text.chars().take(*max_length as usize).collect())
            }
            QuestionKind::Number { min, max, integer } => {
                let lo = min.unwrap_or(0.0);
                let hi = max.unwrap_or(lo + 100.0);
                let v = lo + (hi - lo) * ((r % 1000) as f64 / 1000.0);
                AnswerValue::Number(if *integer { v.floor() } else { v })
            }
            QuestionKind::Date => {
                AnswerValue::Text(format!("20{:02}-{:02}-{:02}", 10 + r % 15, 1 + r % 12, 1 + r % 28))
            }
            // Nothing to answer: a note is read, a calculation computed by the app.
            QuestionKind::Note | QuestionKind::Calculate { .. } => continue,
        };
        answers.insert(q.id.clone(), value);
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::validate_page_answers;
    use crate::condition::NothingKnown;
    use crate::valid::ValidSurvey;

    #[test]
    fn sample_answers_are_valid_for_every_page() {
        let s = ValidSurvey::parse(include_str!("../fixtures/school-climate.json")).unwrap();
        for seed in 0..5 {
            for page in &s.survey().pages {
                let a = answer_page(page, seed);
                assert_eq!(a.len(), page.questions.iter().filter(|q| q.kind.is_answered()).count());
                assert_eq!(validate_page_answers(&s, &page.id, &a, &NothingKnown, true), Ok(()), "page {}", page.id);
            }
        }
        assert_ne!(answer_page(&s.survey().pages[1], 1), answer_page(&s.survey().pages[1], 2));
    }
}

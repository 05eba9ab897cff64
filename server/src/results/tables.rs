//! What the results count for each question of a survey: one *table* per question (per statement of a Likert
//! question), its options, and where one active answer adds to it. A text answer is only counted as answered; a number
//! falls in a bin (each value when there are at most 11, else five equal ranges between the question's bounds).

use quire_shared::{AnswerValue, QuestionKind, ValidSurvey};

use super::suppress::Shape;

/// The roles a roster names, in the order of the role filters after "all roles".
pub const ROLES: [&str; 3] = ["student", "teacher", "parent"];

/// A role's index in `ROLES` (`None`: another role, counted only under "all roles").
pub fn role_index(role: &str) -> Option<u8> {
    ROLES.iter().position(|r| *r == role).map(|r| r as u8)
}

#[derive(Debug, Clone)]
pub enum Count {
    /// The option whose code is at that index.
    Codes(Vec<String>),
    /// Likert: one statement's scale point, by code.
    Statement { statement: String, scale: Vec<String> },
    /// Numbers from `min` in `bins` bins of `width`.
    Bins { min: f64, width: f64, bins: usize },
    /// Several codes may be chosen (not a partition).
    Multiple(Vec<String>),
    /// Only answered (text, numbers without bounds).
    Answered,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub question: String,
    pub text: String,
    pub statement: Option<String>,
    pub kind: &'static str,
    pub labels: Vec<String>,
    pub count: Count,
    /// Where this table's counts start in an atom's flat list.
    pub offset: usize,
}

impl Table {
    pub fn shape(&self) -> Shape {
        match &self.count {
            Count::Codes(c) => Shape { options: c.len(), partitioned: true },
            Count::Statement { scale, .. } => Shape { options: scale.len(), partitioned: true },
            Count::Bins { bins, .. } => Shape { options: *bins, partitioned: true },
            Count::Multiple(c) => Shape { options: c.len(), partitioned: false },
            Count::Answered => Shape::COUNT,
        }
    }

    /// Adds one respondent's active answer to `out` (this table's counts).
    pub fn add(&self, answer: &AnswerValue, out: &mut [u64]) {
        let at = |codes: &[String], code: &str| codes.iter().position(|c| c == code);
        let index = match (&self.count, answer) {
            (Count::Codes(codes), AnswerValue::Choice(c)) => at(codes, c),
            (Count::Statement { statement, scale }, AnswerValue::Matrix(m)) => {
                m.get(statement).and_then(|c| at(scale, c))
            }
            (Count::Bins { min, width, bins }, AnswerValue::Number(n)) => {
                Some((((n - min) / width).floor().max(0.0) as usize).min(bins - 1))
            }
            (Count::Multiple(codes), AnswerValue::Choices(cs)) => {
                cs.iter().filter_map(|c| at(codes, c)).for_each(|i| out[i] += 1);
                out[codes.len()] += 1;
                None
            }
            (Count::Answered, _) => Some(0),
            _ => None,
        };
        if let Some(i) = index {
            out[i] += 1;
        }
    }
}

/// The tables of a survey, in its order, labelled in `lang`.
pub fn tables(survey: &ValidSurvey, lang: &str) -> Vec<Table> {
    let default = &survey.survey().default_language;
    let mut out = Vec::new();
    let mut offset = 0;
    for q in survey.survey().pages.iter().flat_map(|p| &p.questions) {
        let text = q.text.get(lang, default).to_owned();
        let labels = |cs: &[quire_shared::Choice]| cs.iter().map(|c| c.label.get(lang, default).to_owned()).collect();
        let codes = |cs: &[quire_shared::Choice]| cs.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
        let mut push = |statement: Option<String>, labels: Vec<String>, count: Count| {
            let table = Table {
                question: q.id.clone(),
                text: text.clone(),
                statement,
                kind: q.kind.name(),
                labels,
                count,
                offset,
            };
            offset += table.shape().vars();
            out.push(table);
        };
        match &q.kind {
            QuestionKind::SingleChoice { choices } | QuestionKind::Dropdown { choices } => {
                push(None, labels(choices), Count::Codes(codes(choices)))
            }
            QuestionKind::MultipleChoice { choices, .. } => {
                push(None, labels(choices), Count::Multiple(codes(choices)))
            }
            QuestionKind::Likert { scale, statements } => {
                for s in statements {
                    let count = Count::Statement { statement: s.id.clone(), scale: codes(scale) };
                    push(Some(s.text.get(lang, default).to_owned()), labels(scale), count);
                }
            }
            QuestionKind::Number { min: Some(min), max: Some(max), integer } if max > min => {
                let (labels, count) = bins(*min, *max, *integer);
                push(None, labels, count)
            }
            QuestionKind::Number { .. }
            | QuestionKind::FreeText { .. }
            | QuestionKind::Date
            | QuestionKind::Calculate { .. } => push(None, Vec::new(), Count::Answered),
            QuestionKind::Note => {}
        }
    }
    out
}

fn bins(min: f64, max: f64, integer: bool) -> (Vec<String>, Count) {
    if integer && max - min <= 10.0 {
        let n = (max - min) as usize + 1;
        return ((0..n).map(|i| format!("{}", min + i as f64)).collect(), Count::Bins { min, width: 1.0, bins: n });
    }
    let width = (max - min) / 5.0;
    let labels = (0..5)
        .map(|i| {
            let (from, to) = (min + width * i as f64, min + width * (i + 1) as f64);
            let to = if i == 4 { short(to) } else { format!("<{}", short(to)) };
            format!("{}–{to}", short(from))
        })
        .collect();
    (labels, Count::Bins { min, width, bins: 5 })
}

/// A bound of a bin: two decimals at most, no trailing zeros.
fn short(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// How many counts an atom holds for these tables.
pub fn width(tables: &[Table]) -> usize {
    tables.last().map_or(0, |t| t.offset + t.shape().vars())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_counts_where_it_should() {
        let survey = ValidSurvey::parse(include_str!("../../../shared/fixtures/skip-logic.json")).expect("fixture");
        let tables = tables(&survey, "en");
        assert_eq!(width(&tables), tables.iter().map(|t| t.shape().vars()).sum::<usize>());
        for t in &tables {
            let mut out = vec![0; t.shape().vars()];
            let answer = match &t.count {
                Count::Codes(c) => AnswerValue::Choice(c[0].clone()),
                Count::Statement { statement, scale } => {
                    AnswerValue::Matrix([(statement.clone(), scale[1].clone())].into())
                }
                Count::Bins { min, .. } => AnswerValue::Number(*min + 1e9),
                Count::Multiple(c) => AnswerValue::Choices(c.clone()),
                Count::Answered => AnswerValue::Text("x".into()),
            };
            t.add(&answer, &mut out);
            let want = match &t.count {
                Count::Codes(_) => 1,
                Count::Statement { .. } => 1,
                Count::Bins { .. } => 1,
                Count::Multiple(c) => c.len() as u64 + 1,
                Count::Answered => 1,
            };
            assert_eq!(out.iter().sum::<u64>(), want, "{}", t.question);
        }
        let (labels, _) = bins(0.0, 10.0, true);
        assert_eq!(labels.len(), 11);
        let (labels, _) = bins(1.0, 100.0, true);
        assert_eq!(labels[0], "1–<20.8");
        assert_eq!(labels[4], "80.2–100");
    }
}

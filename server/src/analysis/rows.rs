//! One respondent as one row of cells: the fixed columns, then each variable's value or the code that says why it
//! has none (`missing`). Only active answers count (`quire_shared::visibility`), judged by the respondent's own
//! survey version.

use std::collections::HashMap;
use std::sync::Arc;

use quire_shared::visibility::{page_visible, question_visible};
use quire_shared::{active_answers, AllAnswers, AnswerValue, Question, ValidSurvey};
use time::OffsetDateTime;
use uuid::Uuid;

use super::layout::{Layout, Measure, Part};
use super::missing::Missing;

/// What the database holds of one respondent.
#[derive(Debug, Default)]
pub struct Respondent {
    pub id: Uuid,
    pub school: String,
    pub class: String,
    pub role: String,
    pub external_id: String,
    pub version: Option<String>,
    pub first_save: Option<OffsetDateTime>,
    pub last_activity: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    pub pages: AllAnswers,
}

/// Where each variable's question sits in one version: `(page index, question)`, or `None` if it does not ask it.
struct VersionMap {
    survey: Arc<ValidSurvey>,
    places: Vec<Option<(usize, Question)>>,
}

/// Turns respondents into rows for one layout; keeps what it learns about each version it meets.
pub struct RowMaker<'a> {
    layout: &'a Layout,
    versions: HashMap<String, VersionMap>,
    /// Per variable: code → number, for coded variables.
    values: Vec<HashMap<String, String>>,
}

impl<'a> RowMaker<'a> {
    pub fn new(layout: &'a Layout) -> Self {
        let values = layout
            .variables
            .iter()
            .map(|v| match &v.measure {
                Measure::Coded(labels) => labels.iter().map(|l| (l.code.clone(), l.value.to_string())).collect(),
                _ => HashMap::new(),
            })
            .collect();
        let versions = layout
            .versions
            .iter()
            .map(|s| {
                let places = layout
                    .variables
                    .iter()
                    .map(|v| {
                        let page = s.page_of(&v.question).and_then(|p| s.page_index(p))?;
                        Some((page, s.question(&v.question)?.clone()))
                    })
                    .collect();
                (s.version().to_owned(), VersionMap { survey: s.clone(), places })
            })
            .collect();
        RowMaker { layout, versions, values }
    }

    /// Replaces `record` with the respondent's row.
    pub fn fill(&self, r: &Respondent, record: &mut Vec<String>) {
        record.clear();
        let status = match (r.last_activity.or(r.first_save), r.completed_at) {
            (_, Some(_)) => 2,
            (Some(_), None) => 1,
            (None, None) => 0,
        };
        let duration = match (r.first_save, r.completed_at) {
            (Some(a), Some(b)) => format!("{:.1}", (b - a).as_seconds_f64() / 60.0),
            _ => String::new(),
        };
        record.extend([
            r.id.to_string(),
            r.school.clone(),
            r.class.clone(),
            r.role.clone(),
            r.external_id.clone(),
            r.version.clone().unwrap_or_default(),
            status.to_string(),
            time_cell(r.first_save),
            time_cell(r.last_activity),
            time_cell(r.completed_at),
            duration,
        ]);
        let newest = self.layout.versions.last().map(|s| s.version().to_owned()).unwrap_or_default();
        let Some(map) =
            self.versions.get(r.version.as_deref().unwrap_or(&newest)).or_else(|| self.versions.get(&newest))
        else {
            return;
        };
        let survey = &map.survey;
        let active = active_answers(survey, &r.pages);
        let reached = if r.completed_at.is_some() {
            usize::MAX
        } else {
            r.pages.keys().filter_map(|p| survey.page_index(p)).max().map_or(0, |i| i + 1)
        };
        let mut pages_shown: Vec<Option<bool>> = vec![None; survey.survey().pages.len()];
        let codes = self.layout.missing;
        for (i, var) in self.layout.variables.iter().enumerate() {
            let state = match &map.places[i] {
                None => Err(Missing::NotShown),
                Some((page, _)) if *page >= reached => Err(Missing::NotReached),
                Some((page, q)) => {
                    let shown = *pages_shown[*page].get_or_insert_with(|| page_visible(survey, *page, &active));
                    if shown && question_visible(survey, q, &active) {
                        let page_id = &survey.survey().pages[*page].id;
                        self.value(i, &var.part, active.get(page_id).and_then(|a| a.get(&q.id)))
                    } else {
                        Err(Missing::NotShown)
                    }
                }
            };
            record.push(state.unwrap_or_else(|m| codes.cell(m)));
        }
    }

    /// The cell of variable `i` for an answer, or why there is none.
    fn value(&self, i: usize, part: &Part, answer: Option<&AnswerValue>) -> Result<String, Missing> {
        let coded = |code: &str| self.values[i].get(code).cloned().unwrap_or_else(|| code.to_owned());
        match (part, answer) {
            (Part::Whole, Some(AnswerValue::Choice(c))) => Ok(coded(c)),
            (Part::Whole, Some(AnswerValue::Number(n))) => Ok(n.to_string()),
            (Part::Whole, Some(AnswerValue::Text(t))) => Ok(t.clone()),
            (Part::Statement(s), Some(AnswerValue::Matrix(m))) => {
                m.get(s).map(|c| coded(c)).ok_or(Missing::NotAnswered)
            }
            (Part::Option(o), Some(AnswerValue::Choices(cs))) => Ok(if cs.contains(o) { "1" } else { "0" }.to_owned()),
            (Part::Joined, Some(AnswerValue::Choices(cs))) => Ok(cs.join(";")),
            _ => Err(Missing::NotAnswered),
        }
    }
}

/// A time as `YYYY-MM-DD HH:MM:SS` in UTC, which SPSS, Stata and R all parse; empty when there is none.
pub fn time_cell(t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else { return String::new() };
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::layout::{build, Options};

    fn survey() -> Arc<ValidSurvey> {
        Arc::new(ValidSurvey::parse(include_str!("../../../shared/fixtures/skip-logic.json")).expect("fixture"))
    }

    fn page(answers: &[(&str, AnswerValue)]) -> quire_shared::PageAnswers {
        answers.iter().map(|(q, v)| (q.to_string(), v.clone())).collect()
    }

    fn row(layout: &Layout, r: &Respondent) -> BTreeMap<String, String> {
        let mut record = Vec::new();
        RowMaker::new(layout).fill(r, &mut record);
        layout.header().map(str::to_owned).zip(record).collect()
    }

    #[test]
    fn every_empty_cell_says_why() {
        let s = survey();
        let layout = build(vec![s.clone()], Options::default());
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let choice = |c: &str| AnswerValue::Choice(c.into());
        let student = Respondent {
            version: Some(s.version().to_owned()),
            first_save: Some(at),
            last_activity: Some(at + time::Duration::minutes(30)),
            completed_at: Some(at + time::Duration::minutes(30)),
            pages: [
                (
                    "start",
                    page(&[
                        ("role", choice("s")),
                        ("grade", choice("7")),
                        ("likes", AnswerValue::Choices(vec!["a".into()])),
                    ]),
                ),
                (
                    "s_school",
                    page(&[
                        ("climate", AnswerValue::Matrix([("c1".into(), "1".into())].into())),
                        ("safe", choice("y")),
                    ]),
                ),
                ("end", page(&[("overall", choice("3"))])),
            ]
            .into_iter()
            .map(|(p, a)| (p.to_owned(), a))
            .collect(),
            ..Respondent::default()
        };
        let r = row(&layout, &student);
        let (shown, reached, blank) = ("-97", "-98", "-99");
        for (column, want) in [
            ("status", "2"),
            ("duration_min", "30.0"),
            ("first_save", "2027-01-15 08:00:00"),
            ("role_2", "1"),
            ("grade", "7"),
            ("likes_a", "1"),
            ("likes_b", "0"),
            ("likes_other", "0"),
            ("likes_other_2", shown),
            ("climate_c1", "1"),
            ("climate_c2", blank),
            ("why_unsafe", shown),
            ("days", shown),
            ("who", shown),
            ("size", shown),
            ("overall", "3"),
            ("follow_up", shown),
            ("rating", blank),
        ] {
            assert_eq!(r.get(column).map(String::as_str), Some(want), "{column}");
        }
        let teacher = Respondent {
            version: Some(s.version().to_owned()),
            first_save: Some(at),
            pages: [("start".to_owned(), page(&[("role", choice("t"))]))].into_iter().collect(),
            ..Respondent::default()
        };
        let r = row(&layout, &teacher);
        for (column, want) in [
            ("status", "1"),
            ("role_2", "2"),
            ("grade", shown),
            ("likes_a", blank),
            ("size", reached),
            ("overall", reached),
        ] {
            assert_eq!(r.get(column).map(String::as_str), Some(want), "{column}");
        }
        let r = row(&layout, &Respondent::default());
        assert_eq!(r["status"], "0");
        assert!(layout.variables.iter().all(|v| r[&v.name] == reached), "never started: every answer not reached");
    }
}

//! One respondent as one row of cells: the fixed columns, then each variable's value or the code that says why it
//! has none (`missing`). Only active answers count (`quire_shared::visibility`), judged by the respondent's own
//! survey version.

use std::collections::HashMap;

use std::fmt::Write;

use quire_shared::odk;
use quire_shared::roster;
use quire_shared::visibility::active_by_question;
use quire_shared::{AllAnswers, AnswerValue, Question, Roster, ValidSurvey};
use time::OffsetDateTime;
use uuid::Uuid;

use super::layout::{Layout, Measure, Part, FIXED};
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
    /// Their roster row, which answers the questions that name one of its columns.
    pub roster: Roster,
}

/// Where each variable's question sits in one version: `(page index, question)`, or `None` if it does not ask it.
struct VersionMap<'a> {
    survey: &'a ValidSurvey,
    places: Vec<Option<(usize, &'a Question)>>,
    /// Some question of this version is answered from the roster.
    reads_roster: bool,
}

/// Turns respondents into rows for one layout; keeps what it learns about each version it meets.
pub struct RowMaker<'a> {
    layout: &'a Layout,
    versions: HashMap<&'a str, VersionMap<'a>>,
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
                        Some((page, s.question(&v.question)?))
                    })
                    .collect();
                let reads_roster = s.survey().pages.iter().flat_map(|p| &p.questions).any(|q| q.from_roster.is_some());
                (s.version(), VersionMap { survey: s, places, reads_roster })
            })
            .collect();
        RowMaker { layout, versions, values }
    }

    /// Makes `record` the respondent's row. Its strings are reused from the row before, so a row costs no allocation
    /// once the first is made.
    pub fn fill(&self, r: &Respondent, record: &mut Vec<String>) {
        record.resize_with(FIXED.len() + self.layout.variables.len(), String::new);
        record.iter_mut().for_each(String::clear);
        let status = match (r.last_activity.or(r.first_save), r.completed_at) {
            (_, Some(_)) => "2",
            (Some(_), None) => "1",
            (None, None) => "0",
        };
        let version = r.version.as_deref().unwrap_or_default();
        let _ = write!(record[0], "{}", r.id);
        for (cell, text) in
            record[1..7].iter_mut().zip([r.school.as_str(), &r.class, &r.role, &r.external_id, version, status])
        {
            cell.push_str(text);
        }
        time_cell(&mut record[7], r.first_save);
        time_cell(&mut record[8], r.last_activity);
        time_cell(&mut record[9], r.completed_at);
        if let (Some(a), Some(b)) = (r.first_save, r.completed_at) {
            let _ = write!(record[10], "{:.1}", (b - a).as_seconds_f64() / 60.0);
        }
        let newest = self.layout.versions.last().map(|s| s.version()).unwrap_or_default();
        let Some(map) = self.versions.get(r.version.as_deref().unwrap_or(newest)).or_else(|| self.versions.get(newest))
        else {
            return;
        };
        self.answers(map, r, &mut record[FIXED.len()..]);
    }

    /// The answer cells, by the rules of the respondent's version `map`.
    fn answers(&self, map: &VersionMap, r: &Respondent, cells: &mut [String]) {
        let survey = map.survey;
        // The roster's answers are the roster's, whatever a client sent for those questions (`quire_shared::roster`).
        let filled = map.reads_roster.then(|| {
            let mut pages = r.pages.clone();
            roster::fill(survey, &mut pages, &r.roster);
            pages
        });
        let active = active_by_question(survey, filled.as_ref().unwrap_or(&r.pages));
        let reached = if r.completed_at.is_some() {
            usize::MAX
        } else {
            r.pages.keys().filter_map(|p| survey.page_index(p)).max().map_or(0, |i| i + 1)
        };
        let mut pages_shown: Vec<Option<bool>> = vec![None; survey.survey().pages.len()];
        let codes = self.layout.missing;
        // Consecutive variables of one question share its decision.
        let mut last: Option<(&str, Result<Option<&AnswerValue>, Missing>)> = None;
        for (i, (var, cell)) in self.layout.variables.iter().zip(cells.iter_mut()).enumerate() {
            let state = match last {
                Some((q, state)) if q == var.question => state,
                _ => {
                    let state = match &map.places[i] {
                        None => Err(Missing::NotShown),
                        Some((page, _)) if *page >= reached => Err(Missing::NotReached),
                        Some((page, q)) => {
                            let shown = *pages_shown[*page]
                                .get_or_insert_with(|| odk::page_shown(survey, *page, &active) == Some(true));
                            if shown && odk::question_shown(survey, q, &active) == Some(true) {
                                Ok(active.0.get(q.id.as_str()).map(|v| &**v))
                            } else {
                                Err(Missing::NotShown)
                            }
                        }
                    };
                    last = Some((var.question.as_str(), state));
                    state
                }
            };
            match state.and_then(|answer| self.value(i, &var.part, answer, cell)) {
                Ok(()) => {}
                Err(m) => {
                    let _ = write!(cell, "{}", codes.code(m));
                }
            }
        }
    }

    /// Writes the cell of variable `i` for an answer into `cell`, or says why there is none.
    fn value(&self, i: usize, part: &Part, answer: Option<&AnswerValue>, cell: &mut String) -> Result<(), Missing> {
        let code = |c: &str, cell: &mut String| cell.push_str(self.values[i].get(c).map_or(c, String::as_str));
        match (part, answer) {
            (Part::Whole, Some(AnswerValue::Choice(c))) => code(c, cell),
            (Part::Whole, Some(AnswerValue::Number(n))) => {
                let _ = write!(cell, "{n}");
            }
            (Part::Whole, Some(AnswerValue::Text(t))) => cell.push_str(t),
            (Part::Statement(s), Some(AnswerValue::Matrix(m))) => code(m.get(s).ok_or(Missing::NotAnswered)?, cell),
            (Part::Option(o), Some(AnswerValue::Choices(cs))) => cell.push(if cs.contains(o) { '1' } else { '0' }),
            (Part::Joined, Some(AnswerValue::Choices(cs))) => {
                for (k, c) in cs.iter().enumerate() {
                    if k > 0 {
                        cell.push(';');
                    }
                    cell.push_str(c);
                }
            }
            _ => return Err(Missing::NotAnswered),
        }
        Ok(())
    }
}

/// A time as `YYYY-MM-DD HH:MM:SS` in UTC, which SPSS, Stata and R all parse; nothing when there is none.
fn time_cell(cell: &mut String, t: Option<OffsetDateTime>) {
    let Some(t) = t else { return };
    let t = t.to_offset(time::UtcOffset::UTC);
    let _ = write!(
        cell,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use std::sync::Arc;

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

//! Which variables an analysis file has, whatever file it is: one per single answer, one per Likert statement, one
//! 0/1 flag per option of a multiple choice; their names, labels in every language, value labels and the condition
//! that shows them. Built from every version of a survey, matched by question id, so that respondents who answered
//! different versions land in the same columns.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use quire_shared::{Condition, Page, Question, QuestionKind, Text, ValidSurvey};

use super::missing::MissingCodes;
use super::names::Namer;

/// The respondent's own columns, before the answers: their fixed names keep their spelling.
pub const FIXED: [&str; 11] = [
    "respondent_id",
    "school",
    "class",
    "role",
    "external_id",
    "survey_version",
    "status",
    "first_save",
    "last_activity",
    "completed_at",
    "duration_min",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// The question's one answer.
    Whole,
    /// One statement of a Likert question.
    Statement(String),
    /// One option of a multiple choice: 1 chosen, 0 not.
    Option(String),
    /// A multiple choice's chosen codes joined with `;` (only when asked for).
    Joined,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A number standing for a choice; `labels` say which.
    Coded(Vec<ValueLabel>),
    /// 0 or 1.
    Flag,
    Number,
    Text,
}

impl Measure {
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Measure::Text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueLabel {
    pub value: i64,
    /// The code stored in answers.
    pub code: String,
    pub label: Text,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub question: String,
    pub part: Part,
    pub page: String,
    pub kind: &'static str,
    /// The question's text, with the statement's or option's after ` — `.
    pub label: Text,
    pub measure: Measure,
    pub shown_if: Vec<Condition>,
    /// The versions (short hashes) that ask it, when not all do.
    pub only_in: Vec<String>,
}

#[derive(Debug)]
pub struct Layout {
    pub survey_id: String,
    pub default_language: String,
    pub languages: Vec<String>,
    pub versions: Vec<Arc<ValidSurvey>>,
    pub variables: Vec<Variable>,
    pub missing: MissingCodes,
}

/// Options of the layout a download may choose.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Add a multiple choice's joined codes beside its 0/1 columns.
    pub joined: bool,
}

/// One question as first seen, with what every version says of it.
struct Seen<'a> {
    question: &'a Question,
    page: &'a Page,
    /// Index of the first version that asks it (names are handed out in that order, which keeps them stable).
    first: usize,
    versions: Vec<usize>,
    /// Choice codes in order of first appearance across versions, each with its newest label.
    codes: Vec<(String, Text)>,
}

/// The layout of `versions` (oldest first; at least one). Columns follow the newest version's order; questions only
/// older versions ask come after, in the order they were first asked.
pub fn build(versions: Vec<Arc<ValidSurvey>>, options: Options) -> Layout {
    let newest = versions.last().expect("a survey has a version").clone();
    let seen = seen(&versions);
    let mut order: Vec<&Seen> = seen.values().collect();
    // Naming order: first version asked, then position in it.
    order.sort_by_key(|s| (s.first, position(&versions[s.first], &s.question.id)));
    let mut namer = Namer::default();
    FIXED.iter().for_each(|f| namer.reserve(f));
    let mut named: HashMap<&str, Vec<Variable>> = HashMap::new();
    for s in &order {
        named.insert(&s.question.id, variables(s, &versions, &mut namer, options));
    }
    let newest_position = |id: &str| position(&newest, id);
    let mut columns: Vec<&Seen> = seen.values().collect();
    columns.sort_by_key(|s| (newest_position(&s.question.id), s.first, position(&versions[s.first], &s.question.id)));
    let variables = columns.iter().flat_map(|s| named.remove(s.question.id.as_str()).unwrap_or_default()).collect();
    let survey = newest.survey();
    let mut languages = vec![survey.default_language.clone()];
    languages.extend(survey.languages.iter().filter(|l| **l != survey.default_language).cloned());
    Layout {
        survey_id: survey.id.clone(),
        default_language: survey.default_language.clone(),
        languages,
        missing: MissingCodes::for_versions(&versions),
        versions,
        variables,
    }
}

/// Where a question stands in a version (`usize::MAX` when the version does not ask it).
fn position(survey: &ValidSurvey, id: &str) -> usize {
    survey.survey().pages.iter().flat_map(|p| &p.questions).position(|q| q.id == id).unwrap_or(usize::MAX)
}

fn seen(versions: &[Arc<ValidSurvey>]) -> HashMap<String, Seen<'_>> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for (v, survey) in versions.iter().enumerate() {
        for page in &survey.survey().pages {
            for q in &page.questions {
                let entry = seen.entry(q.id.clone()).or_insert_with(|| Seen {
                    question: q,
                    page,
                    first: v,
                    versions: Vec::new(),
                    codes: Vec::new(),
                });
                // The newest wording wins; codes keep the order they first appeared in.
                entry.question = q;
                entry.page = page;
                entry.versions.push(v);
                for c in q.kind.codes().unwrap_or_default() {
                    match entry.codes.iter_mut().find(|(code, _)| *code == c.code) {
                        Some(known) => known.1 = c.label.clone(),
                        None => entry.codes.push((c.code.clone(), c.label.clone())),
                    }
                }
            }
        }
    }
    seen
}

/// Numbers for codes: the codes themselves when every one is a whole number, else their order of appearance.
fn value_labels(codes: &[(String, Text)]) -> Vec<ValueLabel> {
    let numeric: Option<Vec<i64>> = codes.iter().map(|(c, _)| c.parse::<i64>().ok()).collect();
    codes
        .iter()
        .enumerate()
        .map(|(i, (code, label))| ValueLabel {
            value: numeric.as_ref().map_or(i as i64 + 1, |n| n[i]),
            code: code.clone(),
            label: label.clone(),
        })
        .collect()
}

fn variables(s: &Seen, versions: &[Arc<ValidSurvey>], namer: &mut Namer, options: Options) -> Vec<Variable> {
    let q = s.question;
    let only_in = if s.versions.len() == versions.len() {
        Vec::new()
    } else {
        s.versions.iter().map(|&v| versions[v].version().chars().take(12).collect()).collect()
    };
    let shown_if: Vec<Condition> = s.page.visible_if.iter().chain(q.visible_if.iter()).cloned().collect();
    let mut var = |raw: String, part: Part, label: Text, measure: Measure| Variable {
        name: namer.name(&raw),
        question: q.id.clone(),
        part,
        page: s.page.id.clone(),
        kind: q.kind.name(),
        label,
        measure,
        shown_if: shown_if.clone(),
        only_in: only_in.clone(),
    };
    match &q.kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::Dropdown { .. } => {
            vec![var(q.id.clone(), Part::Whole, q.text.clone(), Measure::Coded(value_labels(&s.codes)))]
        }
        QuestionKind::Likert { statements, .. } => {
            let labels = value_labels(&s.codes);
            statements
                .iter()
                .map(|st| {
                    let label = joined_text(&q.text, &st.text);
                    var(
                        format!("{}_{}", q.id, st.id),
                        Part::Statement(st.id.clone()),
                        label,
                        Measure::Coded(labels.clone()),
                    )
                })
                .collect()
        }
        QuestionKind::MultipleChoice { .. } => {
            let mut out: Vec<Variable> = s
                .codes
                .iter()
                .map(|(code, label)| {
                    let label = joined_text(&q.text, label);
                    var(format!("{}_{}", q.id, code), Part::Option(code.clone()), label, Measure::Flag)
                })
                .collect();
            if options.joined {
                out.push(var(format!("{}_codes", q.id), Part::Joined, q.text.clone(), Measure::Text));
            }
            out
        }
        QuestionKind::Number { .. } => vec![var(q.id.clone(), Part::Whole, q.text.clone(), Measure::Number)],
        QuestionKind::FreeText { .. } | QuestionKind::Date | QuestionKind::Calculate { .. } => {
            vec![var(q.id.clone(), Part::Whole, q.text.clone(), Measure::Text)]
        }
        QuestionKind::Note => Vec::new(),
    }
}

/// `question — part` in every language either has.
fn joined_text(question: &Text, part: &Text) -> Text {
    let langs: Vec<&String> = question.0.keys().chain(part.0.keys()).collect();
    let first = |t: &Text| t.0.values().next().cloned().unwrap_or_default();
    Text(
        langs
            .into_iter()
            .map(|l| {
                let q = question.0.get(l).cloned().unwrap_or_else(|| first(question));
                let p = part.0.get(l).cloned().unwrap_or_else(|| first(part));
                (l.clone(), format!("{q} — {p}"))
            })
            .collect::<BTreeMap<_, _>>(),
    )
}

impl Layout {
    /// Every column of the data file, fixed ones first.
    pub fn header(&self) -> impl Iterator<Item = &str> {
        FIXED.iter().copied().chain(self.variables.iter().map(|v| v.name.as_str()))
    }

    /// The most characters a free-text question accepts in any version (255 if none says).
    pub fn text_chars(&self, question: &str) -> usize {
        self.versions
            .iter()
            .filter_map(|s| match s.question(question).map(|q| &q.kind) {
                Some(QuestionKind::FreeText { max_length, .. }) => Some(*max_length as usize),
                _ => None,
            })
            .max()
            .unwrap_or(255)
    }

    /// A text in `lang`, else the survey's default language.
    pub fn text<'a>(&self, text: &'a Text, lang: &str) -> &'a str {
        text.get(lang, &self.default_language)
    }
}

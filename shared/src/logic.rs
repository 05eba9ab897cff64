//! The survey's ODK expressions (XLSForm's `relevant`, `required`, `constraint`, `calculation`, `choice_filter`),
//! compiled once when the survey loads (`ValidSurvey`), and checked so that the app and the server never meet one
//! they cannot evaluate: each parses, reads only questions that exist (a Likert statement by its own id) and, except
//! in piping, only questions that come before it, as Quire's JSON conditions do (so the answers that count are
//! settled in one pass in survey order, `visibility`); a constraint may read its own answer (`.`); each `regex()`
//! pattern compiles (`expr::parse`).
//!
//! The JSON conditions (`visible_if`) are kept beside the expressions, not translated: a page or question is shown
//! when both hold.

use std::collections::HashMap;

use crate::expr::Expr;
use crate::survey::{Question, QuestionKind, Survey};
use crate::text::{piped, Text};
use crate::validate::SurveyError;

/// A question's compiled expressions.
#[derive(Debug, Clone, Default)]
pub struct QuestionLogic {
    pub relevant: Option<Expr>,
    pub required_if: Option<Expr>,
    pub constraint: Option<Expr>,
    pub calculation: Option<Expr>,
    pub choice_filter: Option<Expr>,
    /// The calculation reads the clock (`today()`, `now()`): a value stored once is kept, never recomputed (a
    /// recomputation at export would give the day of the export).
    pub clock: bool,
}

/// Every expression of a survey, compiled; and the names expressions may read.
#[derive(Debug, Clone, Default)]
pub struct Logic {
    /// By page index.
    pub pages: Vec<Option<Expr>>,
    pub questions: HashMap<String, QuestionLogic>,
    /// A name an expression reads: the question, and the Likert statement when it names one.
    pub names: HashMap<String, (String, Option<String>)>,
}

impl Logic {
    pub fn question(&self, id: &str) -> Option<&QuestionLogic> {
        self.questions.get(id)
    }
}

/// Compiles every expression of `survey`; every problem at once, each at its JSON path. `checked: false` for a
/// published survey, which passed the checks at upload: its expressions are only compiled (the respondent app then
/// carries none of the checks' code and words).
pub fn compile(survey: &Survey, checked: bool) -> (Logic, Vec<SurveyError>) {
    let mut c = Compiler { logic: Logic::default(), errors: Vec::new(), order: HashMap::new(), checked };
    c.name_everything(survey);
    for (pi, page) in survey.pages.iter().enumerate() {
        let path = format!("$.pages[{pi}]");
        let first = page.questions.first().map(|q| q.id.as_str());
        let before = first.and_then(|q| c.order.get(q)).copied().unwrap_or(usize::MAX);
        let relevant = c.expr(page.relevant.as_deref(), &format!("{path}.relevant"), before, None);
        c.logic.pages.push(relevant);
        for (qi, q) in page.questions.iter().enumerate() {
            let path = format!("{path}.questions[{qi}]");
            let at = c.order.get(q.id.as_str()).copied().unwrap_or(usize::MAX);
            let calculation = match &q.kind {
                QuestionKind::Calculate { calculation } => {
                    c.expr_with(Some(calculation), &format!("{path}.calculation"), at, None, true)
                }
                _ => None,
            };
            let logic = QuestionLogic {
                relevant: c.expr(q.relevant.as_deref(), &format!("{path}.relevant"), at, None),
                required_if: c.expr(q.required_if.as_deref(), &format!("{path}.required_if"), at, None),
                constraint: c.expr(q.constraint.as_deref(), &format!("{path}.constraint"), at, Some(&q.id)),
                choice_filter: c.expr(q.choice_filter.as_deref(), &format!("{path}.choice_filter"), at, None),
                clock: calculation.as_ref().is_some_and(Expr::reads_clock),
                calculation,
            };
            if checked && q.choice_filter.is_some() && q.kind.codes().is_none() {
                c.err(format!("{path}.choice_filter"), "only a question with choices can filter them");
            }
            // Only questions with expressions: the map stays empty for a survey without any, so the hot paths'
            // lookups (every answer of every save, every question of every exported row) return at once.
            let any =
                [&logic.relevant, &logic.required_if, &logic.constraint, &logic.calculation, &logic.choice_filter]
                    .iter()
                    .any(|e| e.is_some());
            if any {
                c.logic.questions.insert(q.id.clone(), logic);
            }
        }
    }
    if checked {
        c.piping(survey);
    }
    (c.logic, c.errors)
}

/// Every text of a question that may pipe answers in, with its path.
fn texts<'a>(q: &'a Question, path: &str) -> Vec<(String, &'a Text)> {
    let mut out = vec![(format!("{path}.text"), &q.text)];
    let optional =
        [("help", &q.help), ("required_message", &q.required_message), ("constraint_message", &q.constraint_message)];
    for (name, t) in optional {
        if let Some(t) = t {
            out.push((format!("{path}.{name}"), t));
        }
    }
    if let Some(choices) = q.kind.codes() {
        let list = if matches!(q.kind, QuestionKind::Likert { .. }) { "scale" } else { "choices" };
        out.extend(choices.iter().enumerate().map(|(i, c)| (format!("{path}.{list}[{i}].label"), &c.label)));
    }
    out
}

struct Compiler {
    logic: Logic,
    errors: Vec<SurveyError>,
    /// Survey order of every question, by the names expressions read.
    order: HashMap<String, usize>,
    checked: bool,
}

impl Compiler {
    fn err(&mut self, path: String, message: impl Into<String>) {
        self.errors.push(SurveyError::new(path, message));
    }

    /// Names each question, and each Likert statement whose id no question has.
    fn name_everything(&mut self, survey: &Survey) {
        let questions = survey.pages.iter().flat_map(|p| &p.questions);
        for (n, q) in questions.clone().enumerate() {
            self.logic.names.insert(q.id.clone(), (q.id.clone(), None));
            self.order.insert(q.id.clone(), n);
        }
        for (n, q) in questions.enumerate() {
            if let QuestionKind::Likert { statements, .. } = &q.kind {
                for s in statements {
                    if !self.order.contains_key(&s.id) {
                        self.logic.names.insert(s.id.clone(), (q.id.clone(), Some(s.id.clone())));
                        self.order.insert(s.id.clone(), n);
                    }
                }
            }
        }
    }

    /// Piping (`${name}` in a text) may read any question, before or after, but only questions.
    fn piping(&mut self, survey: &Survey) {
        for (pi, page) in survey.pages.iter().enumerate() {
            for (qi, q) in page.questions.iter().enumerate() {
                for (path, text) in texts(q, &format!("$.pages[{pi}].questions[{qi}]")) {
                    for (lang, t) in &text.0 {
                        let unknown: Vec<&str> = piped(t).filter(|n| !self.logic.names.contains_key(*n)).collect();
                        for name in unknown {
                            self.err(
                                format!("{path}.{lang}"),
                                format!("`${{{name}}}` names no question of this survey"),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Compiles one expression read at survey position `at`; `own`: the question a constraint checks, which it may
    /// read.
    fn expr(&mut self, src: Option<&str>, path: &str, at: usize, own: Option<&str>) -> Option<Expr> {
        self.expr_with(src, path, at, own, false)
    }

    /// `clock`: the expression may read `today()`/`now()` (a calculation, whose first value is kept). Anywhere else
    /// the same answer would be judged differently on another day or in another time zone (the server's clock is
    /// UTC, a save may arrive days later): refused, with the way round.
    fn expr_with(&mut self, src: Option<&str>, path: &str, at: usize, own: Option<&str>, clock: bool) -> Option<Expr> {
        let src = src?;
        if !self.checked {
            return Expr::parse(src).ok();
        }
        let expr = match Expr::parse(src) {
            Ok(e) => e,
            Err(e) => {
                self.err(path.to_owned(), format!("at character {}: {} (in `{src}`)", e.at + 1, e.message));
                return None;
            }
        };
        for name in expr.refs() {
            match self.order.get(name) {
                None => self.err(path.to_owned(), format!("`${{{name}}}` names no question of this survey")),
                Some(&n) if n >= at && Some(name) != own => {
                    self.err(path.to_owned(), format!("`${{{name}}}` comes later; an expression can only read back"))
                }
                Some(_) => {}
            }
        }
        for pattern in expr.regexes() {
            if let Err(e) = crate::expr::check_regex(pattern) {
                self.err(path.to_owned(), e);
            }
        }
        if !clock && expr.reads_clock() {
            let message = "reads today() or now(), which only a calculation may (its first value is kept): \
                           compute the date in a calculation and read that";
            self.err(path.to_owned(), message);
        }
        Some(expr)
    }
}

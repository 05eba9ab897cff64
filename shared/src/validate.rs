//! Structural checks of a survey file, each error with the JSON path it is about. Run by `ValidSurvey::new`: a
//! survey with any error is never stored, published or shown.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::survey::{Choice, QuestionKind, Survey};
use crate::text::Text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyError {
    /// JSON path into the survey file, e.g. `$.pages[3].questions[1].choices`.
    pub path: String,
    pub message: String,
}

impl SurveyError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        SurveyError { path: path.into(), message: message.into() }
    }
}

impl std::fmt::Display for SurveyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The language a warning says a text lacks, if it says that.
pub fn missing_language(warning: &SurveyError) -> Option<&str> {
    warning.message.strip_prefix("no `")?.strip_suffix("` translation")
}

/// Ids become JSON keys, CSV column names and URL parts, so they stay plain.
fn check_id(id: &str, path: &str, errors: &mut Vec<SurveyError>) {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        errors.push(SurveyError::new(path, format!("id `{id}` must be 1–64 letters, digits, `_` or `-`")));
    }
}

/// A BCP 47 tag's shape (`en`, `es-MX`, `zh-Hant`): letters, digits and hyphens, at most 35 characters.
fn is_language_tag(tag: &str) -> bool {
    (1..=35).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

struct Checker<'a> {
    survey: &'a Survey,
    errors: Vec<SurveyError>,
    warnings: Vec<SurveyError>,
    /// Question id → (page index, question index), filled in survey order so a condition can only see what came before.
    seen: HashMap<&'a str, (usize, usize)>,
}

/// The survey's errors (any one keeps it from being stored) and its warnings: every text missing in a listed
/// language, which a respondent choosing that language would see in the default language instead.
pub(crate) fn check(survey: &Survey) -> (Vec<SurveyError>, Vec<SurveyError>) {
    let mut c = Checker { survey, errors: Vec::new(), warnings: Vec::new(), seen: HashMap::new() };
    c.run();
    (c.errors, c.warnings)
}

impl<'a> Checker<'a> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SurveyError::new(path, message));
    }

    fn run(&mut self) {
        let s = self.survey;
        check_id(&s.id, "$.id", &mut self.errors);
        if !is_language_tag(&s.default_language) {
            self.err("$.default_language", "must name a language by its tag, e.g. `en` or `es-MX`");
        }
        let mut langs = HashSet::new();
        for (i, l) in s.languages.iter().enumerate() {
            if !is_language_tag(l) || !langs.insert(l) {
                self.err(
                    format!("$.languages[{i}]"),
                    format!("language `{l}` is not a tag like `es`, or listed twice"),
                );
            }
        }
        // The app's own words (buttons, sign-in, messages) must exist in every language a respondent can choose.
        let paths = std::iter::once(("$.default_language".to_owned(), &s.default_language))
            .chain(s.languages.iter().enumerate().map(|(i, l)| (format!("$.languages[{i}]"), l)));
        for (path, lang) in paths.filter(|(_, l)| !crate::app_text::speaks(l)) {
            let spoken = crate::app_text::APP_LANGUAGES.join(", ");
            self.warnings.push(SurveyError::new(
                path,
                format!(
                    "the respondent app has no words of its own in `{lang}` (buttons, sign-in, messages): they would \
                     show in English; it speaks {spoken}"
                ),
            ));
        }
        self.text(&s.title, "$.title");
        if s.pages.is_empty() {
            self.err("$.pages", "a survey needs at least one page");
        }
        let mut page_ids = HashSet::new();
        // Every question id is reserved before conditions are checked, so a forward reference is told apart from a
        // reference to nothing.
        let all_questions: HashSet<&str> = s.pages.iter().flat_map(|p| &p.questions).map(|q| q.id.as_str()).collect();
        for (pi, page) in s.pages.iter().enumerate() {
            let path = format!("$.pages[{pi}]");
            check_id(&page.id, &format!("{path}.id"), &mut self.errors);
            if !page_ids.insert(&page.id) {
                self.err(format!("{path}.id"), format!("duplicate page id `{}`", page.id));
            }
            self.text(&page.title, &format!("{path}.title"));
            if let Some(cond) = &page.visible_if {
                self.condition(cond, &format!("{path}.visible_if"), &all_questions);
            }
            if page.questions.is_empty() {
                self.err(format!("{path}.questions"), "a page needs at least one question");
            }
            for (qi, q) in page.questions.iter().enumerate() {
                let qpath = format!("{path}.questions[{qi}]");
                check_id(&q.id, &format!("{qpath}.id"), &mut self.errors);
                self.text(&q.text, &format!("{qpath}.text"));
                if let Some(help) = &q.help {
                    self.text(help, &format!("{qpath}.help"));
                }
                if let Some(cond) = &q.visible_if {
                    self.condition(cond, &format!("{qpath}.visible_if"), &all_questions);
                }
                self.kind(&q.kind, &qpath);
                if q.from_roster.is_some()
                    && matches!(q.kind, QuestionKind::MultipleChoice { .. } | QuestionKind::Likert { .. })
                {
                    let message =
                        "a roster column answers single choice, dropdown, free text and number questions only";
                    self.err(format!("{qpath}.from_roster"), message);
                }
                if self.seen.insert(&q.id, (pi, qi)).is_some() {
                    self.err(format!("{qpath}.id"), format!("duplicate question id `{}`", q.id));
                }
            }
        }
    }

    fn text(&mut self, text: &Text, path: &str) {
        for (lang, t) in &text.0 {
            if t.contains('\0') {
                self.err(format!("{path}.{lang}"), "contains the character U+0000, which cannot be stored");
            }
        }
        let default = &self.survey.default_language;
        match text.0.get(default) {
            Some(t) if !t.trim().is_empty() => {}
            _ => self.err(path, format!("needs a non-empty text in the default language `{default}`")),
        }
        for lang in &self.survey.languages {
            if lang != default && text.0.get(lang).is_none_or(|t| t.trim().is_empty()) {
                self.warnings.push(SurveyError::new(format!("{path}.{lang}"), format!("no `{lang}` translation")));
            }
        }
        for lang in text.0.keys() {
            if lang != default && !self.survey.languages.contains(lang) {
                self.err(format!("{path}.{lang}"), format!("language `{lang}` is not listed in `languages`"));
            }
        }
    }

    fn choices(&mut self, choices: &[Choice], path: &str) {
        if choices.is_empty() {
            self.err(path, "the choice list is empty");
        }
        let mut codes = HashSet::new();
        for (i, c) in choices.iter().enumerate() {
            if c.code.is_empty() {
                self.err(format!("{path}[{i}].code"), "a choice code cannot be empty");
            } else if c.code.contains('\0') {
                self.err(format!("{path}[{i}].code"), "contains the character U+0000, which cannot be stored");
            } else if !codes.insert(&c.code) {
                self.err(format!("{path}[{i}].code"), format!("duplicate choice code `{}`", c.code));
            }
            self.text(&c.label, &format!("{path}[{i}].label"));
        }
    }

    fn kind(&mut self, kind: &QuestionKind, path: &str) {
        match kind {
            QuestionKind::SingleChoice { choices } | QuestionKind::Dropdown { choices } => {
                self.choices(choices, &format!("{path}.choices"))
            }
            QuestionKind::MultipleChoice { choices, min_selected, max_selected } => {
                self.choices(choices, &format!("{path}.choices"));
                let n = choices.len() as u32;
                if let (Some(min), Some(max)) = (min_selected, max_selected) {
                    if min > max {
                        self.err(format!("{path}.min_selected"), format!("{min} is more than max_selected {max}"));
                    }
                }
                for (name, v) in [("min_selected", min_selected), ("max_selected", max_selected)] {
                    if let Some(v) = v.filter(|&v| v > n || v == 0) {
                        self.err(format!("{path}.{name}"), format!("{v} is outside 1..={n} (the number of choices)"));
                    }
                }
            }
            QuestionKind::Likert { scale, statements } => {
                self.choices(scale, &format!("{path}.scale"));
                if scale.len() == 1 {
                    self.err(format!("{path}.scale"), "a scale needs at least two points");
                }
                if statements.is_empty() {
                    self.err(format!("{path}.statements"), "a Likert question needs at least one statement");
                }
                let mut ids = HashSet::new();
                for (i, st) in statements.iter().enumerate() {
                    check_id(&st.id, &format!("{path}.statements[{i}].id"), &mut self.errors);
                    if !ids.insert(&st.id) {
                        self.err(format!("{path}.statements[{i}].id"), format!("duplicate statement id `{}`", st.id));
                    }
                    self.text(&st.text, &format!("{path}.statements[{i}].text"));
                }
            }
            QuestionKind::FreeText { max_length, .. } => {
                if !(1..=100_000).contains(max_length) {
                    self.err(format!("{path}.max_length"), "must be between 1 and 100000");
                }
            }
            QuestionKind::Number { min, max, .. } => {
                if min.is_some_and(|m| !m.is_finite()) || max.is_some_and(|m| !m.is_finite()) {
                    self.err(path, "min and max must be finite numbers");
                }
                if let (Some(min), Some(max)) = (min, max) {
                    if min > max {
                        self.err(format!("{path}.min"), format!("{min} is more than max {max}"));
                    }
                }
            }
            // Their expressions are checked with the question's others (`expressions`).
            QuestionKind::Note | QuestionKind::Date | QuestionKind::Calculate { .. } => {}
        }
    }

    /// A condition may only read questions that come before the page or question it guards.
    fn condition(&mut self, cond: &Condition, path: &str, all_questions: &HashSet<&str>) {
        check_lists(cond, path, &mut self.errors);
        for r in cond.references() {
            let (qid, statement) = (r.question, r.statement);
            let at = format!("{path}{}", r.path);
            let Some(&(pi, qi)) = self.seen.get(qid) else {
                if all_questions.contains(qid) {
                    self.err(format!("{at}.question"), format!("`{qid}` comes later; a condition can only refer back"));
                } else {
                    self.err(format!("{at}.question"), format!("unknown question `{qid}`"));
                }
                continue;
            };
            let kind = &self.survey.pages[pi].questions[qi].kind;
            match (kind, statement) {
                (QuestionKind::Likert { statements, .. }, Some(s)) if !statements.iter().any(|st| st.id == s) => {
                    self.err(format!("{at}.statement"), format!("`{qid}` has no statement `{s}`"))
                }
                (QuestionKind::Likert { .. }, Some(_)) => {}
                (QuestionKind::Likert { .. }, None) if !r.values.is_empty() => {
                    self.err(at.clone(), format!("`{qid}` is a Likert matrix: name the statement"))
                }
                (_, Some(_)) if !matches!(kind, QuestionKind::Likert { .. }) => {
                    self.err(format!("{at}.statement"), format!("`{qid}` is not a Likert matrix"))
                }
                _ => {}
            }
            if r.values.is_empty() {
                continue;
            }
            match kind.codes() {
                None => self.err(at, format!("`{qid}` is a {} question; only `answered` applies", kind.name())),
                Some(codes) => {
                    for v in r.values {
                        if !codes.iter().any(|c| c.code == v) {
                            self.err(at.clone(), format!("`{v}` is not a code of `{qid}`"));
                        }
                    }
                }
            }
        }
    }
}

fn check_lists(cond: &Condition, path: &str, errors: &mut Vec<SurveyError>) {
    match cond {
        Condition::All(cs) | Condition::Any(cs) => {
            let key = if matches!(cond, Condition::All(_)) { "all" } else { "any" };
            if cs.is_empty() {
                errors.push(SurveyError::new(format!("{path}.{key}"), "an empty list decides nothing"));
            }
            for (i, c) in cs.iter().enumerate() {
                check_lists(c, &format!("{path}.{key}[{i}]"), errors);
            }
        }
        Condition::Not(c) => check_lists(c, &format!("{path}.not"), errors),
        Condition::OneOf(t) if t.values.is_empty() => {
            errors.push(SurveyError::new(format!("{path}.one_of.values"), "the list of values is empty"))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::valid::ValidSurvey;

    fn errors(json: &str) -> Vec<(String, String)> {
        match ValidSurvey::parse(json) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| (e.path, e.message)).collect(),
        }
    }

    /// A one-page survey whose questions are `questions` (JSON array body), plus an optional second page.
    fn survey(questions: &str, page2: &str) -> String {
        format!(
            r#"{{"id":"s","title":{{"en":"T","es":"T"}},"default_language":"en","languages":["es"],
            "pages":[{{"id":"p1","title":{{"en":"P1"}},"questions":[{questions}]}}{page2}]}}"#
        )
    }

    const ROLE: &str = r#"{"id":"role","text":{"en":"Role"},"type":"single_choice",
        "choices":[{"code":"s","label":{"en":"Student"}},{"code":"t","label":{"en":"Teacher"}}]}"#;

    #[test]
    fn a_small_valid_survey_passes() {
        assert_eq!(errors(&survey(ROLE, "")), Vec::<(String, String)>::new());
    }

    #[test]
    fn duplicate_ids() {
        let e = errors(&survey(
            &format!("{ROLE},{ROLE}"),
            r#",{"id":"p1","title":{"en":"x"},"questions":[{"id":"x","text":{"en":"x"},"type":"free_text","max_length":5}]}"#,
        ));
        assert!(e.contains(&("$.pages[0].questions[1].id".into(), "duplicate question id `role`".into())), "{e:?}");
        assert!(e.contains(&("$.pages[1].id".into(), "duplicate page id `p1`".into())), "{e:?}");
    }

    #[test]
    fn empty_choices_and_bad_codes() {
        let q = r#"{"id":"q","text":{"en":"Q"},"type":"dropdown","choices":[]}"#;
        assert_eq!(
            errors(&survey(q, "")),
            [("$.pages[0].questions[0].choices".into(), "the choice list is empty".into())]
        );
        let q = r#"{"id":"q","text":{"en":"Q"},"type":"likert","scale":[{"code":"1","label":{"en":"a"}},{"code":"1","label":{"en":"b"}}],"statements":[]}"#;
        let e = errors(&survey(q, ""));
        assert!(
            e.contains(&("$.pages[0].questions[0].scale[1].code".into(), "duplicate choice code `1`".into())),
            "{e:?}"
        );
        assert!(e.iter().any(|(p, _)| p == "$.pages[0].questions[0].statements"), "{e:?}");
    }

    #[test]
    fn conditions_refer_back_to_known_questions_and_codes() {
        let later = r#"{"id":"q","text":{"en":"Q"},"type":"free_text","max_length":9,
            "visible_if":{"equals":{"question":"role","value":"t"}}}"#;
        // `q` before `role` on the same page: a forward reference.
        let e = errors(&survey(&format!("{later},{ROLE}"), ""));
        assert_eq!(
            e,
            [(
                "$.pages[0].questions[0].visible_if.equals.question".into(),
                "`role` comes later; a condition can only refer back".into()
            )]
        );
        let unknown = r#"{"id":"q","text":{"en":"Q"},"type":"free_text","max_length":9,
            "visible_if":{"any":[{"answered":{"question":"nope"}}]}}"#;
        assert_eq!(
            errors(&survey(unknown, "")),
            [("$.pages[0].questions[0].visible_if.any[0].answered.question".into(), "unknown question `nope`".into())]
        );
        let bad_code = r#"{"id":"q","text":{"en":"Q"},"type":"free_text","max_length":9,
            "visible_if":{"one_of":{"question":"role","values":["s","x"]}}}"#;
        assert_eq!(
            errors(&survey(&format!("{ROLE},{bad_code}"), "")),
            [("$.pages[0].questions[1].visible_if.one_of".into(), "`x` is not a code of `role`".into())]
        );
        // A page condition may read the page before it, never its own questions.
        let page2 = r#",{"id":"p2","title":{"en":"P2"},"visible_if":{"not":{"equals":{"question":"role","value":"s"}}},
            "questions":[{"id":"n","text":{"en":"N"},"type":"number"}]}"#;
        assert_eq!(errors(&survey(ROLE, page2)), Vec::<(String, String)>::new());
        let page2 = r#",{"id":"p2","title":{"en":"P2"},"visible_if":{"answered":{"question":"n"}},
            "questions":[{"id":"n","text":{"en":"N"},"type":"number"}]}"#;
        assert_eq!(errors(&survey(ROLE, page2))[0].0, "$.pages[1].visible_if.answered.question");
    }

    #[test]
    fn conditions_on_text_numbers_and_matrices() {
        let n = r#"{"id":"n","text":{"en":"N"},"type":"number"}"#;
        let m = r#"{"id":"m","text":{"en":"M"},"type":"likert","scale":[{"code":"1","label":{"en":"a"}},{"code":"2","label":{"en":"b"}}],"statements":[{"id":"s1","text":{"en":"S"}}]}"#;
        let uses = |cond: &str| {
            format!(r#"{n},{m},{{"id":"q","text":{{"en":"Q"}},"type":"free_text","max_length":9,"visible_if":{cond}}}"#)
        };
        assert_eq!(
            errors(&survey(&uses(r#"{"equals":{"question":"n","value":"3"}}"#), ""))[0].1,
            "`n` is a number question; only `answered` applies"
        );
        assert_eq!(
            errors(&survey(&uses(r#"{"equals":{"question":"m","value":"1"}}"#), ""))[0].1,
            "`m` is a Likert matrix: name the statement"
        );
        assert_eq!(
            errors(&survey(&uses(r#"{"equals":{"question":"m","statement":"s9","value":"1"}}"#), ""))[0].1,
            "`m` has no statement `s9`"
        );
        assert_eq!(
            errors(&survey(&uses(r#"{"equals":{"question":"m","statement":"s1","value":"2"}}"#), "")),
            Vec::<(String, String)>::new()
        );
        assert_eq!(errors(&survey(&uses(r#"{"all":[]}"#), ""))[0].1, "an empty list decides nothing");
    }

    #[test]
    fn missing_translations_are_listed_per_language_as_warnings() {
        // `es` is listed; the page title and the question have no Spanish text.
        let q = r#"{"id":"q","text":{"en":"Q"},"type":"number"}"#;
        let survey = ValidSurvey::parse(&survey(q, "")).unwrap();
        let paths: Vec<&str> = survey.warnings().iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["$.pages[0].title.es", "$.pages[0].questions[0].text.es"]);
        assert_eq!(survey.warnings()[0].message, "no `es` translation");
    }

    #[test]
    fn a_language_the_app_does_not_speak_is_a_warning_per_language() {
        let q = r#"{"id":"q","text":{"en":"Q","fr":"Q","es":"Q"},"type":"number"}"#;
        let text = survey(q, "").replace(r#""languages":["es"]"#, r#""languages":["es","fr"]"#);
        let survey = ValidSurvey::parse(&text).unwrap();
        let app: Vec<&str> =
            survey.warnings().iter().filter(|w| w.message.contains("app")).map(|w| w.path.as_str()).collect();
        assert_eq!(app, ["$.languages[1]"], "{:?}", survey.warnings());
    }

    #[test]
    fn translations_and_ranges() {
        let q = r#"{"id":"q","text":{"es":"¿Q?","fr":"Q?"},"type":"number","min":10,"max":1}"#;
        let e = errors(&survey(q, ""));
        assert!(
            e.contains(&(
                "$.pages[0].questions[0].text".into(),
                "needs a non-empty text in the default language `en`".into()
            )),
            "{e:?}"
        );
        assert!(
            e.contains(&(
                "$.pages[0].questions[0].text.fr".into(),
                "language `fr` is not listed in `languages`".into()
            )),
            "{e:?}"
        );
        assert!(e.contains(&("$.pages[0].questions[0].min".into(), "10 is more than max 1".into())), "{e:?}");
        let q = r#"{"id":"bad id","text":{"en":"Q"},"type":"multiple_choice","max_selected":3,"choices":[{"code":"a","label":{"en":"A"}}]}"#;
        let e = errors(&survey(q, ""));
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].0, "$.pages[0].questions[0].id");
        assert_eq!(e[1].0, "$.pages[0].questions[0].max_selected");
    }
}

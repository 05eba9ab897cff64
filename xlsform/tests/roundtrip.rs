//! `import(export(s)) == s`: the example survey and generated ones come back from a spreadsheet unchanged.

// Helpers may unwrap as tests do: a failure should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use quire_shared::{
    Choice, Condition, Page, Question, QuestionKind, RosterField, Statement, Survey, Text, ValidSurvey,
};

fn round_trip(survey: &Survey) -> Survey {
    let bytes = quire_xlsform::export(survey).expect("exports");
    match quire_xlsform::import(&bytes, "exported.xlsx") {
        Ok(imported) => imported.survey,
        Err(problems) => panic!("{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

#[test]
fn the_example_survey_comes_back_the_same() {
    let json = include_str!("../../shared/fixtures/school-climate.json");
    let survey = ValidSurvey::parse(json).expect("valid").survey().clone();
    assert_eq!(round_trip(&survey), survey);
}

const LANGS: &[&str] = &["en", "es", "fr", "pt-BR", "sw", "hil"];

fn word() -> impl Strategy<Value = String> {
    // Texts as researchers write them: letters, digits, punctuation, accents, no surrounding spaces.
    "[A-Za-z0-9ÁéñüçØ¿?¡!,.()'\"$/=<>-]{1,12}( [A-Za-z0-9éñ?'.-]{1,10}){0,3}"
}

fn text(langs: Vec<String>) -> impl Strategy<Value = Text> {
    let n = langs.len();
    (proptest::collection::vec(word(), n), proptest::collection::vec(any::<bool>(), n)).prop_map(move |(ws, keep)| {
        // The default language always; each other language sometimes (a missing translation is allowed).
        Text(
            langs
                .iter()
                .zip(ws)
                .zip(keep)
                .enumerate()
                .filter(|(i, (_, k))| *i == 0 || *k)
                .map(|(_, ((l, w), _))| (l.clone(), w))
                .collect(),
        )
    })
}

fn expression() -> impl Strategy<Value = String> {
    // Every survey has `q0`; the import checks that a reference names a question.
    "\\$\\{q0\\} (=|!=|>=) '[a-z0-9]{1,4}'( and (selected\\(\\$\\{q0\\}, 'a'\\)|string-length\\(\\.\\) < [1-9]))?"
}

fn choices(langs: Vec<String>) -> impl Strategy<Value = Vec<Choice>> {
    let columns = proptest::collection::btree_map("c_[a-z]{1,6}", "[A-Za-z0-9]([A-Za-z0-9 ]{0,6}[A-Za-z0-9])?", 0..3);
    proptest::collection::vec(("[a-z0-9_]{1,6}", text(langs), columns), 1..5).prop_map(|cs| {
        let mut seen = std::collections::HashSet::new();
        cs.into_iter()
            .filter(|(code, _, _)| seen.insert(code.clone()))
            .map(|(code, label, columns)| Choice { code, label, columns })
            .collect()
    })
}

fn kind(langs: Vec<String>) -> impl Strategy<Value = QuestionKind> {
    let l = langs.clone();
    prop_oneof![
        choices(l.clone()).prop_map(|choices| QuestionKind::SingleChoice { choices }),
        choices(l.clone()).prop_map(|choices| QuestionKind::Dropdown { choices }),
        (choices(l.clone()), any::<bool>()).prop_map(|(choices, bounded)| {
            let n = choices.len() as u32;
            QuestionKind::MultipleChoice {
                choices,
                min_selected: bounded.then_some(1),
                max_selected: bounded.then_some(n),
            }
        }),
        (
            choices(l.clone()).prop_filter("a scale has two points", |c| c.len() > 1),
            proptest::collection::vec(("s[a-z0-9]{1,4}", text(l)), 1..4)
        )
            .prop_map(|(scale, sts)| {
                let mut seen = std::collections::HashSet::new();
                let statements = sts
                    .into_iter()
                    .filter(|(id, _)| seen.insert(id.clone()))
                    .map(|(id, text)| Statement { id, text })
                    .collect();
                QuestionKind::Likert { scale, statements }
            }),
        (1u32..20_000, any::<bool>())
            .prop_map(|(max_length, multiline)| QuestionKind::FreeText { max_length, multiline }),
        (proptest::option::of(-1e6f64..0.0), proptest::option::of(0.5f64..1e9), any::<bool>())
            .prop_map(|(min, max, integer)| QuestionKind::Number { min, max, integer }),
        Just(QuestionKind::Note),
        Just(QuestionKind::Date),
        expression().prop_map(|calculation| QuestionKind::Calculate { calculation }),
    ]
}

fn condition() -> impl Strategy<Value = Option<Condition>> {
    proptest::option::of(Just(serde_json::from_str(r#"{"answered":{"question":"q0"}}"#).expect("a condition")))
}

prop_compose! {
    fn question(langs: Vec<String>)(
        kind in kind(langs.clone()), text in text(langs.clone()), help in proptest::option::of(text(langs.clone())),
        section in proptest::option::of(text(langs.clone())), msg in proptest::option::of(text(langs)),
        required in any::<bool>(), relevant in proptest::option::of(expression()),
        required_if in proptest::option::of(expression()), constraint in proptest::option::of(expression()),
        default in proptest::option::of("[a-z0-9]{1,5}"), read_only in any::<bool>(),
        choice_filter in proptest::option::of("(name|label) != \\$\\{q0\\}"), visible_if in condition(),
        roster in proptest::option::of(Just(RosterField::Grade)),
    ) -> Question {
        let has_codes = kind.codes().is_some();
        let rostered = matches!(kind, QuestionKind::SingleChoice { .. } | QuestionKind::Dropdown { .. }
            | QuestionKind::FreeText { .. } | QuestionKind::Number { .. });
        Question {
            id: String::new(), text, help, required, visible_if, from_roster: roster.filter(|_| rostered), relevant, required_if,
            required_message: msg.clone(), constraint, constraint_message: msg, default, read_only,
            choice_filter: choice_filter.filter(|_| has_codes), section, kind,
        }
    }
}

prop_compose! {
    fn survey()(n_langs in 1usize..4, seed in any::<u64>())(
        langs in Just(LANGS.iter().take(n_langs).map(|l| l.to_string()).collect::<Vec<_>>()),
        pages in proptest::collection::vec(
            (text(LANGS.iter().take(n_langs).map(|l| l.to_string()).collect()),
             proptest::collection::vec(question(LANGS.iter().take(n_langs).map(|l| l.to_string()).collect()), 1..5),
             proptest::option::of(expression()), condition()), 1..4),
        title in text(LANGS.iter().take(n_langs).map(|l| l.to_string()).collect()),
        _seed in Just(seed),
    ) -> Survey {
        let mut n = 0;
        let pages = pages.into_iter().enumerate().map(|(pi, (title, questions, relevant, visible_if))| {
            // A condition may only read `q0` from after it.
            let questions = questions.into_iter().map(|mut q| {
                q.id = format!("q{n}");
                q.visible_if = q.visible_if.filter(|_| n > 0);
                if n == 0 {
                    // Expressions read `${q0}`, which only later questions may.
                    (q.relevant, q.required_if, q.constraint, q.choice_filter) = (None, None, None, None);
                    if let QuestionKind::Calculate { calculation } = &mut q.kind {
                        *calculation = "1 + 1".into();
                    }
                }
                n += 1;
                q
            }).collect();
            Page { id: format!("p{pi}"), title, visible_if: visible_if.filter(|_| pi > 0), relevant: relevant.filter(|_| pi > 0), questions }
        }).collect();
        Survey { id: "generated".into(), title, default_language: langs[0].clone(), languages: langs[1..].to_vec(), pages }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_surveys_come_back_the_same(s in survey()) {
        prop_assert_eq!(round_trip(&s), s);
    }
}

#[test]
fn choice_columns_and_codes_that_look_like_numbers_stay_text() {
    let choice = |code: &str| Choice {
        code: code.into(),
        label: Text::one("en", code),
        columns: BTreeMap::from([("c_district".to_owned(), "007".to_owned())]),
    };
    let q = Question::new(
        "q",
        Text::one("en", "Q"),
        QuestionKind::SingleChoice { choices: vec![choice("01"), choice("1.50")] },
    );
    let page =
        Page { id: "p".into(), title: Text::one("en", "P"), visible_if: None, relevant: None, questions: vec![q] };
    let s = Survey {
        id: "s".into(),
        title: Text::one("en", "S"),
        default_language: "en".into(),
        languages: vec![],
        pages: vec![page],
    };
    assert_eq!(round_trip(&s), s);
}

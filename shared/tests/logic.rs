//! The survey's ODK expressions at work, on both sides: skip logic, calculations, constraints with their messages,
//! required-if, choice filters and piping (fixtures/expressions.json), and the checks that refuse an expression the
//! app and the server could not both evaluate.

use std::collections::HashMap;

use quire_shared::condition::{AnswerSource, Lookup, NothingKnown};
use quire_shared::visibility::{self, AllAnswers};
use quire_shared::{validate_page_answers, AnswerValue, ValidSurvey};

const EXPRESSIONS: &str = include_str!("../fixtures/expressions.json");

fn survey() -> ValidSurvey {
    ValidSurvey::parse(EXPRESSIONS).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn held(pairs: &[(&str, &str, AnswerValue)]) -> AllAnswers {
    let mut all = AllAnswers::new();
    for (p, q, v) in pairs {
        all.entry((*p).to_owned()).or_default().insert((*q).to_owned(), v.clone());
    }
    all
}

fn text(t: &str) -> AnswerValue {
    AnswerValue::Text(t.into())
}

#[test]
fn a_calculation_opens_a_page_and_is_saved_with_its_page() {
    let s = survey();
    let young = held(&[("about", "name", text("Ada")), ("about", "age", AnswerValue::Number(12.0))]);
    let active = visibility::active_answers(&s, &young);
    assert_eq!(active["about"]["adult"], text("no"));
    assert!(!visibility::page_visible(&s, 1, &active), "the work page is for adults");
    let adult = held(&[("about", "name", text("Ada")), ("about", "age", AnswerValue::Number(30.0))]);
    let active = visibility::active_answers(&s, &adult);
    assert_eq!(active["about"]["adult"], text("yes"));
    assert!(visibility::page_visible(&s, 1, &active));
    // The save of the page carries the calculation, which the server recomputes and accepts.
    let saves = visibility::pages_to_save(&s, &adult, &active, &HashMap::new(), 0, false);
    let (_, answers, _) = &saves[0];
    assert_eq!(answers.get("adult"), Some(&text("yes")));
    assert_eq!(validate_page_answers(&s, "about", answers, &NothingKnown, true), Ok(()));
    // A client that claims another value is refused.
    let mut forged = answers.clone();
    forged.insert("adult".into(), text("no"));
    let errors = validate_page_answers(&s, "about", &forged, &NothingKnown, true).expect_err("forged");
    assert_eq!(errors[0].field, "answers.adult");
}

#[test]
fn constraints_and_required_if_speak_the_surveys_words() {
    let s = survey();
    let mut a = held(&[("about", "name", text("Ada")), ("about", "age", AnswerValue::Number(130.0))]);
    let active = visibility::active_answers(&s, &a);
    let problems = visibility::page_problems(&s, 0, &a, &active, true);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!((problems[0].field.as_str(), problems[0].text("en")), ("answers.age", "An age from 5 to 99".into()));
    // The server refuses the same answer with the same problem.
    let errors = validate_page_answers(&s, "about", &a["about"], &NothingKnown, true).expect_err("too old");
    assert_eq!(errors[0].field, "answers.age");
    // Required when a name was given, in the survey's words, with the name piped in by the app.
    a.get_mut("about").map(|p| p.insert("age".into(), AnswerValue::Number(40.0)));
    let active = visibility::active_answers(&s, &a);
    let problems = visibility::page_problems(&s, 1, &a, &active, true);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].text("en"), "Tell us your job, ${name}");
    // The server knows the name from the earlier page only when it has it: undecided means not required.
    assert_eq!(validate_page_answers(&s, "work", &Default::default(), &NothingKnown, true), Ok(()));
    // (What the server stores of a page is what the app saved: its active answers, the calculation with them.)
    let errors = validate_page_answers(&s, "work", &Default::default(), &Earlier(&active), true).expect_err("required");
    assert_eq!(errors[0].field, "answers.job");
}

/// What the server has stored of the earlier pages.
struct Earlier<'a>(&'a AllAnswers);
impl AnswerSource for Earlier<'_> {
    fn lookup(&self, q: &str) -> Lookup<'_> {
        self.0.values().find_map(|p| p.get(q)).map_or(Lookup::Missing, Lookup::Value)
    }
}

#[test]
fn a_choice_filter_keeps_the_choices_of_the_region() {
    let s = survey();
    let a = held(&[
        ("about", "name", text("Ada")),
        ("about", "region", AnswerValue::Choice("n".into())),
        ("about", "city", AnswerValue::Choice("c2".into())),
    ]);
    let active = visibility::active_answers(&s, &a);
    let fields: Vec<String> =
        visibility::page_problems(&s, 0, &a, &active, true).into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["answers.city"]);
    assert!(validate_page_answers(&s, "about", &a["about"], &NothingKnown, true).is_err());
    let mut ok = a.clone();
    ok.get_mut("about").map(|p| p.insert("city".into(), AnswerValue::Choice("c1".into())));
    assert_eq!(validate_page_answers(&s, "about", &ok["about"], &NothingKnown, true), Ok(()));
}

#[test]
fn expressions_that_could_not_run_are_refused_each_at_its_place() {
    let mut value: serde_json::Value = serde_json::from_str(EXPRESSIONS).unwrap_or_default();
    value["pages"][0]["questions"][1]["constraint"] = ". >= ${adult}".into();
    value["pages"][0]["questions"][2]["relevant"] = "${nobody} = 1".into();
    value["pages"][0]["questions"][3]["relevant"] = "pulldata('x', 'y')".into();
    value["pages"][0]["questions"][4]["constraint"] = "regex(., '(?<=a)b')".into();
    value["pages"][2]["questions"][0]["text"]["en"] = "Bye ${ghost}".into();
    let errors = ValidSurvey::parse(&value.to_string()).expect_err("five problems");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.pages[0].questions[1].constraint",
            "$.pages[0].questions[2].relevant",
            "$.pages[0].questions[3].relevant",
            "$.pages[0].questions[4].constraint",
            "$.pages[2].questions[0].text.en",
        ],
        "{errors:#?}"
    );
    assert!(errors[0].message.contains("comes later"), "{errors:#?}");
    assert!(errors[2].message.contains("pulldata"), "{errors:#?}");
}

#[test]
fn an_answer_the_rules_refuse_is_held_but_neither_counts_nor_is_sent() {
    let s = survey();
    // An age being typed (130 on the way to 13), and a town of the region no longer chosen.
    let a = held(&[
        ("about", "name", text("Ada")),
        ("about", "age", AnswerValue::Number(130.0)),
        ("about", "region", AnswerValue::Choice("s".into())),
        ("about", "city", AnswerValue::Choice("c1".into())),
    ]);
    let active = visibility::active_answers(&s, &a);
    assert!(!active["about"].contains_key("age") && !active["about"].contains_key("city"), "{active:?}");
    // The draft the app makes carries neither, so the server accepts it while the respondent is still typing.
    let saves = visibility::pages_to_save(&s, &a, &active, &HashMap::new(), 0, true);
    let (_, answers, draft) = &saves[0];
    assert!(*draft && !answers.contains_key("age") && !answers.contains_key("city"), "{answers:?}");
    assert_eq!(validate_page_answers(&s, "about", answers, &NothingKnown, false), Ok(()));
    // Leaving the page names both.
    let fields: Vec<String> =
        visibility::page_problems(&s, 0, &a, &active, true).into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["answers.age", "answers.city"]);
}

#[test]
fn a_calculation_that_reads_the_clock_keeps_its_first_value() {
    let s = survey();
    let computed = visibility::active_answers(&s, &held(&[("about", "name", text("Ada"))]));
    let Some(AnswerValue::Text(today)) = computed["end"].get("answered_on").cloned() else { panic!("{computed:?}") };
    assert!(quire_shared::answer::is_date(&today), "{today}");
    // Held (the app holds it once computed; the server stores it): kept, on the device, on the server, in exports.
    let earlier = held(&[("about", "name", text("Ada")), ("end", "answered_on", text("2020-01-02"))]);
    assert_eq!(visibility::active_answers(&s, &earlier)["end"]["answered_on"], text("2020-01-02"));
    assert_eq!(validate_page_answers(&s, "end", &earlier["end"], &NothingKnown, true), Ok(()));
}

#[test]
fn a_constraint_may_name_its_own_question() {
    let mut value: serde_json::Value = serde_json::from_str(EXPRESSIONS).unwrap_or_default();
    value["pages"][0]["questions"][1]["constraint"] = "${age} >= 5 and ${age} <= 99".into();
    let s = ValidSurvey::parse(&value.to_string()).unwrap_or_else(|e| panic!("{e:#?}"));
    for (age, ok) in [(40.0, true), (130.0, false)] {
        let a = held(&[("about", "name", text("Ada")), ("about", "age", AnswerValue::Number(age))]);
        let active = visibility::active_answers(&s, &a);
        assert_eq!(active["about"].contains_key("age"), ok, "{age}");
        assert_eq!(visibility::page_problems(&s, 0, &a, &active, true).is_empty(), ok, "{age}");
        assert_eq!(validate_page_answers(&s, "about", &a["about"], &NothingKnown, true).is_ok(), ok, "{age}");
    }
}

#[test]
fn the_clock_is_read_only_by_calculations_and_patterns_only_where_both_engines_agree() {
    let mut value: serde_json::Value = serde_json::from_str(EXPRESSIONS).unwrap_or_default();
    // A check against today() would judge the same answer differently tomorrow, or on the server in UTC.
    value["pages"][0]["questions"][2]["constraint"] = ". <= today()".into();
    // An inline flag: regex-lite reads it, a browser's RegExp does not.
    value["pages"][0]["questions"][0]["constraint"] = "regex(., '(?i)^[a-z]+$')".into();
    let errors = ValidSurvey::parse(&value.to_string()).expect_err("two problems");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["$.pages[0].questions[0].constraint", "$.pages[0].questions[2].constraint"], "{errors:#?}");
    assert!(errors[0].message.contains("(?i") && errors[1].message.contains("calculation"), "{errors:#?}");
}

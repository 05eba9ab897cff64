//! The codebook: one entry per column of `data.csv`, as CSV (for programs) and as an HTML page (for people). Each
//! entry holds the question's text in every language, its kind, codes and labels, the condition that shows it, its
//! missing codes and anything to know about its name.

use maud::{html, Markup, DOCTYPE};
use quire_shared::condition::{Reference, Target, TargetSet};
use quire_shared::Condition;

use super::layout::{Layout, Measure, Part, Variable, FIXED};
use super::missing::Missing;
use super::names;
use super::words::{word, FLAG, STATUS};

/// What each fixed column holds.
pub fn fixed_description(name: &str) -> &'static str {
    match name {
        "respondent_id" => "Quire's id of the respondent",
        "school" | "class" | "role" | "external_id" => "from the roster",
        "survey_version" => "the survey version the respondent answered (empty: never signed in)",
        "status" => "0 not started, 1 in progress, 2 completed",
        "first_save" => "time of the first page-save received, UTC",
        "last_activity" => "time of the last activity, UTC",
        "completed_at" => "time the finishing save was received, UTC",
        "duration_min" => "minutes from the first save to completion",
        _ => "",
    }
}

/// A condition as a person reads it: `role = student`, `q4 in {1, 2}`, `q9 answered`, `not (…)`, `(…) and (…)`.
pub fn describe(c: &Condition) -> String {
    let target = |question: &str, statement: &Option<String>| match statement {
        Some(s) => format!("{question}.{s}"),
        None => question.to_owned(),
    };
    let group = |cs: &[Condition], word: &str| {
        cs.iter().map(|c| format!("({})", describe(c))).collect::<Vec<_>>().join(&format!(" {word} "))
    };
    match c {
        Condition::All(cs) => group(cs, "and"),
        Condition::Any(cs) => group(cs, "or"),
        Condition::Not(c) => format!("not ({})", describe(c)),
        Condition::Equals(Target { question, statement, value }) => {
            format!("{} = {value}", target(question, statement))
        }
        Condition::OneOf(TargetSet { question, statement, values }) => {
            format!("{} in {{{}}}", target(question, statement), values.join(", "))
        }
        Condition::Answered(Reference { question, statement }) => format!("{} answered", target(question, statement)),
    }
}

fn part(v: &Variable) -> String {
    match &v.part {
        Part::Whole => String::new(),
        Part::Statement(s) => format!("statement {s}"),
        Part::Option(o) => format!("option {o}"),
        Part::Joined => "chosen codes, ; between".to_owned(),
    }
}

fn values(layout: &Layout, v: &Variable, lang: &str) -> String {
    match &v.measure {
        Measure::Coded(ls) => ls
            .iter()
            .map(|l| {
                let code = if l.value.to_string() == l.code { String::new() } else { format!(" (code {})", l.code) };
                format!("{}={}{code}", l.value, layout.text(&l.label, lang))
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Measure::Flag => FLAG.iter().map(|(v, w)| format!("{v}={}", word(*w, lang))).collect::<Vec<_>>().join(" | "),
        Measure::Number | Measure::Text => String::new(),
    }
}

fn notes(layout: &Layout, v: &Variable) -> String {
    let mut notes = Vec::new();
    let plain = match &v.part {
        Part::Whole => v.question.clone(),
        Part::Statement(s) | Part::Option(s) => format!("{}_{s}", v.question),
        Part::Joined => format!("{}_codes", v.question),
    };
    if names::valid(&plain) != v.name {
        notes.push(format!("named {} because {} was taken", v.name, names::valid(&plain)));
    } else if plain != v.name {
        notes.push(format!("named {} from {plain} (SPSS, Stata and R rules)", v.name));
    }
    if !v.only_in.is_empty() {
        notes.push(format!("asked only in versions {}", v.only_in.join(", ")));
    }
    let unbounded = layout.versions.iter().any(|s| {
        matches!(s.question(&v.question).map(|q| &q.kind), Some(quire_shared::QuestionKind::Number { min: None, .. }))
    });
    if unbounded {
        notes.push("no lower bound: a typed answer could equal a missing code".to_owned());
    }
    if matches!(v.measure, Measure::Text) {
        notes.push(format!("missing codes appear as text; {}", crate::admin::csv_stream::FORMULA_NOTE));
    }
    notes.join("; ")
}

/// The CSV codebook's rows, header first.
pub fn csv_rows(layout: &Layout) -> Vec<Vec<String>> {
    let mut header: Vec<String> =
        ["variable", "question_id", "part", "page", "kind", "type"].iter().map(|s| s.to_string()).collect();
    for l in &layout.languages {
        header.push(format!("label_{l}"));
        header.push(format!("values_{l}"));
    }
    header.extend(["shown_if", "missing_codes", "notes"].map(String::from));
    let mut rows = vec![header];
    for f in FIXED {
        let mut row = vec![f.to_owned(), String::new(), String::new(), String::new(), "respondent".to_owned()];
        row.push(if matches!(f, "status" | "duration_min") { "numeric" } else { "string" }.to_owned());
        for l in &layout.languages {
            row.push(fixed_description(f).to_owned());
            row.push(if f == "status" { status_values(l) } else { String::new() });
        }
        row.extend([String::new(), String::new(), String::new()]);
        rows.push(row);
    }
    let missing = missing_codes(layout);
    for v in &layout.variables {
        let mut row = vec![v.name.clone(), v.question.clone(), part(v), v.page.clone(), v.kind.to_owned()];
        row.push(if v.measure.is_numeric() { "numeric" } else { "string" }.to_owned());
        for l in &layout.languages {
            row.push(layout.text(&v.label, l).to_owned());
            row.push(values(layout, v, l));
        }
        row.push(v.shown_if.iter().map(describe).collect::<Vec<_>>().join(" and "));
        row.push(missing.clone());
        row.push(notes(layout, v));
        rows.push(row);
    }
    rows
}

fn status_values(lang: &str) -> String {
    STATUS.iter().map(|(v, w)| format!("{v}={}", word(*w, lang))).collect::<Vec<_>>().join(" | ")
}

fn missing_codes(layout: &Layout) -> String {
    let lang = &layout.default_language;
    Missing::ALL
        .iter()
        .map(|m| format!("{}={}", layout.missing.code(*m), m.label(lang)))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The codebook as one readable page.
pub fn html(layout: &Layout) -> Markup {
    let rows = csv_rows(layout);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Codebook: " (layout.survey_id) }
                style { "body{font-family:sans-serif;margin:1rem}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.25rem;vertical-align:top;text-align:left}code{white-space:nowrap}" }
            }
            body {
                h1 { "Codebook: " (layout.survey_id) }
                p { "One row per column of data.csv. Missing codes: " (missing_codes(layout)) "." }
                p { "Versions: " @for s in &layout.versions { code { (s.version()) } " " } }
                table {
                    thead { tr { @for h in &rows[0] { th scope="col" { (h) } } } }
                    tbody {
                        @for row in &rows[1..] {
                            tr { th scope="row" { code { (row[0]) } } @for cell in &row[1..] { td { (cell) } } }
                        }
                    }
                }
            }
        }
    }
}

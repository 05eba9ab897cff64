//! Import rules on small handwritten workbooks (built here with rust_xlsxwriter).

// Helpers may unwrap as tests do: a failure should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use quire_shared::QuestionKind;
use quire_xlsform::{import, Imported, Problem};
use rust_xlsxwriter::Workbook;

type Sheet<'a> = (&'a str, &'a [&'a [&'a str]]);

fn workbook(sheets: &[Sheet<'_>]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let ws = book.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if let Ok(n) = cell.parse::<f64>() {
                    // Numbers as a spreadsheet program stores them (calamine gives floats back).
                    ws.write_number(r as u32, c as u16, n).unwrap();
                } else if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn ok(sheets: &[Sheet<'_>]) -> Imported {
    match import(&workbook(sheets), "test.xlsx") {
        Ok(i) => i,
        Err(p) => panic!("{}", p.iter().map(Problem::to_string).collect::<Vec<_>>().join("\n")),
    }
}

const SETTINGS: Sheet<'static> =
    ("settings", &[&["form_id", "form_title", "default_language"], &["my form", "My form", "English (en)"]]);

#[test]
fn five_mistakes_are_five_located_problems() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "constraint"],
        &["begin group", "g1", "Group"],
        &["select_one colours", "fav", "Favourite?"],
        &["geopoint", "where", "Where?"],
        &["integer", "", "Age?"],
        &["text", "fav", "Again?"],
        &["select_one missing", "m", "Missing list?"],
        &["begin repeat", "r", "Repeat"],
    ];
    let choices: Sheet<'_> =
        ("choices", &[&["list_name", "name", "label"], &["colours", "red", "Red"], &["colours", "blue", "Blue"]]);
    let problems = import(&workbook(&[("survey", survey), choices, SETTINGS]), "t.xlsx").unwrap_err();
    let shown: Vec<String> = problems.iter().map(Problem::to_string).collect();
    assert_eq!(
        shown,
        [
            "survey!A2 (type): group `g1` has no `end group`",
            "survey!A4 (type): `geopoint`: locations and maps are not supported",
            "survey!B5 (name): a question needs a name",
            "survey!B6 (name): the name `fav` is taken already (row 3)",
            "survey!A7 (type): list `missing` has no choices (no row of the choices sheet names it)",
            "survey!A8 (type): repeats are not supported",
        ],
        "{shown:#?}"
    );
    let json = serde_json::to_value(&problems[0]).unwrap();
    assert_eq!(json["cell"], "A2");
    assert_eq!(json["column"], "type");
}

#[test]
fn shared_checks_are_reported_at_their_cell() {
    // A choice label missing in the default language, with no translation to stand in: found by the shared checks.
    let survey: &[&[&str]] = &[&["type", "name", "label::English (en)"], &["select_one yn", "q", "Q?"]];
    let choices: Sheet<'_> =
        ("choices", &[&["list_name", "name", "label::English (en)"], &["yn", "y", "Yes"], &["yn", "n", ""]]);
    let problems = import(&workbook(&[("survey", survey), choices, SETTINGS]), "t.xlsx").unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].sheet, "choices");
    assert_eq!(problems[0].cell.as_deref(), Some("C3"));
    assert!(problems[0].message.contains("default language"), "{}", problems[0]);
}

#[test]
fn languages_in_every_spelling() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label::English(en)", "label::Español (es)", "label:french", "hint::en"],
        &["text", "q", "Name?", "¿Nombre?", "Nom ?", "Full name"],
    ];
    let i = ok(&[("survey", survey), SETTINGS]);
    assert_eq!(i.survey.default_language, "en");
    assert_eq!(i.survey.languages, ["es", "fr"]);
    let q = &i.survey.pages[0].questions[0];
    assert_eq!(q.text.0["fr"], "Nom ?");
    assert_eq!(q.help.as_ref().unwrap().0["en"], "Full name");
    assert_eq!(i.survey.id, "my_form");
}

#[test]
fn or_other_adds_a_choice_and_a_text_question() {
    let survey: &[&[&str]] = &[&["type", "name", "label"], &["select_one crops or_other", "crop", "Crop?"]];
    let choices: Sheet<'_> = ("choices", &[&["list_name", "name", "label"], &["crops", "1", "Maize"]]);
    let i = ok(&[("survey", survey), choices]);
    let qs = &i.survey.pages[0].questions;
    assert_eq!(qs.len(), 2);
    let QuestionKind::SingleChoice { choices } = &qs[0].kind else { panic!("{:?}", qs[0].kind) };
    assert_eq!(choices.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["1", "other"]);
    assert_eq!(qs[1].id, "crop_other");
    assert_eq!(qs[1].relevant.as_deref(), Some("selected(${crop}, 'other')"));
}

#[test]
fn a_table_list_group_is_a_likert_matrix() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "appearance", "required", "relevant"],
        &["integer", "age", "Age?"],
        &["begin group", "feel", "How do you feel?", "table-list", "", "${age} > 12"],
        &["select_one agree", "safe", "I feel safe", "", "yes"],
        &["select_one agree", "liked", "I feel liked", "", "yes"],
        &["end group"],
    ];
    let choices: Sheet<'_> =
        ("choices", &[&["list_name", "name", "label"], &["agree", "1", "Agree"], &["agree", "2", "Disagree"]]);
    let i = ok(&[("survey", survey), choices]);
    let qs = &i.survey.pages[0].questions;
    assert_eq!(qs.len(), 2, "one page: the matrix joins the ungrouped question");
    let q = &qs[1];
    assert_eq!((q.id.as_str(), q.required, q.relevant.as_deref()), ("feel", true, Some("${age} > 12")));
    let QuestionKind::Likert { scale, statements } = &q.kind else { panic!("{:?}", q.kind) };
    assert_eq!(scale.len(), 2);
    assert_eq!(statements.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["safe", "liked"]);
}

#[test]
fn nested_groups_are_sections_and_their_relevant_joins() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "relevant"],
        &["begin_group", "home", "Home"],
        &["integer", "n", "People?"],
        &["begin group", "kids", "Children", "${n} > 1"],
        &["integer", "k", "Children?", "${n} < 20"],
        &["text", "names", "Names?"],
        &["end group"],
        &["end_group"],
        &["note", "bye", "Thanks"],
    ];
    let i = ok(&[("survey", survey)]);
    let pages = &i.survey.pages;
    assert_eq!(pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["home", "page_1"]);
    let qs = &pages[0].questions;
    assert_eq!(qs[1].section.as_ref().unwrap().0["en"], "Children");
    assert_eq!(qs[1].relevant.as_deref(), Some("(${n} > 1) and (${n} < 20)"));
    assert_eq!(qs[2].section, None);
    assert_eq!(qs[2].relevant.as_deref(), Some("${n} > 1"));
    assert_eq!(pages[1].title.0["en"], "test", "an ungrouped page takes the form's title (here the file's name)");
}

#[test]
fn typographic_quotes_whole_numbers_and_yes_spellings() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "relevant", "required", "default", "read_only"],
        &["integer", "a", "A?", "", "TRUE", "3", "true()"],
        &["text", "b", "B?", "${a} = \u{2018}3\u{2019}", "${a} > 1"],
    ];
    let i = ok(&[("survey", survey)]);
    let qs = &i.survey.pages[0].questions;
    assert!(qs[0].required && qs[0].read_only);
    assert_eq!(qs[0].default.as_deref(), Some("3"), "3.0 in the cell reads as 3");
    assert_eq!(qs[1].relevant.as_deref(), Some("${a} = '3'"));
    assert_eq!((qs[1].required, qs[1].required_if.as_deref()), (false, Some("${a} > 1")));
}

#[test]
fn metadata_and_display_only_appearances_are_warnings() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "appearance"],
        &["start", "start", ""],
        &["deviceid", "deviceid", ""],
        &["select_one yn", "q", "Q?", "minimal"],
        &["date", "d", "When?", "no-calendar"],
    ];
    let choices: Sheet<'_> = ("choices", &[&["list_name", "name", "label"], &["yn", "y", "Yes"], &["yn", "n", "No"]]);
    let i = ok(&[("survey", survey), choices]);
    assert!(matches!(i.survey.pages[0].questions[0].kind, QuestionKind::Dropdown { .. }));
    let rows: Vec<Option<u32>> = i.warnings.iter().map(|w| w.row).collect();
    assert_eq!(rows, [Some(2), Some(3), Some(5)], "{:#?}", i.warnings);
}

#[test]
fn expressions_are_checked_at_their_cell() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "relevant", "calculation", "choice_filter"],
        &["start", "start", ""],
        &["integer", "a", "A?", "${a > 1"],
        &["text", "b", "B?", "${nope} = 1"],
        &["calculate", "c", "", "", "pulldata('f', 'x', 'y', ${a})"],
        &["calculate", "d", "", "", "${a} - ${start}"],
        &["select_one yn", "e", "E?", "", "", "region = ${a}"],
        &["calculate", "f", "", "", "${a} * 2"],
    ];
    let choices: Sheet<'_> = ("choices", &[&["list_name", "name", "label"], &["yn", "y", "Yes"], &["yn", "n", "No"]]);
    let problems = import(&workbook(&[("survey", survey), choices]), "t.xlsx").unwrap_err();
    let cells: Vec<&str> = problems.iter().map(|p| p.cell.as_deref().unwrap_or("?")).collect();
    assert_eq!(cells, ["D3", "D4", "E5", "E6", "F7"], "{problems:#?}");
    assert!(problems[2].message.contains("pulldata() reads an external CSV file"), "{}", problems[2]);
    assert!(problems[3].message.contains("which Quire does not collect"), "{}", problems[3]);
}

#[test]
fn a_calculation_from_metadata_only_is_metadata() {
    let survey: &[&[&str]] = &[
        &["type", "name", "label", "calculation"],
        &["start", "start", ""],
        &["end", "end", ""],
        &["calculate", "took", "", "${end} - ${start}"],
        &["calculate", "minutes", "", "${took} div 60"],
        &["integer", "a", "A?"],
    ];
    let i = ok(&[("survey", survey)]);
    assert_eq!(i.survey.pages[0].questions.len(), 1);
    let rows: Vec<Option<u32>> = i.warnings.iter().map(|w| w.row).collect();
    assert_eq!(rows, [Some(2), Some(3), Some(4), Some(5)], "{:#?}", i.warnings);
}

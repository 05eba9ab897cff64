//! Random sheets made of XLSForm's own words: the import never panics, and every problem it reports is located.

// Helpers may unwrap as tests do: a failure should stop at the line that failed.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;

const HEADERS: &[&str] = &[
    "type",
    "name",
    "label",
    "label::Español (es)",
    "label:french",
    "hint",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "appearance",
    "choice_filter",
    "default",
    "read_only",
    "quire::visible_if",
    "quire::min",
    "repeat_count",
    "media::image",
    "trigger",
    "label::Klingon",
];
const TYPES: &[&str] = &[
    "begin group",
    "end group",
    "begin_group",
    "end_group",
    "select_one l",
    "select_multiple l",
    "select_one l or_other",
    "select_one nope",
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "calculate",
    "hidden",
    "today",
    "start",
    "geopoint",
    "begin repeat",
    "end repeat",
    "time",
    "",
    "select_one",
    "Select one from l",
];
const VALUES: &[&str] = &[
    "a",
    "b",
    "q1",
    "yes",
    "no",
    "${a} > 1",
    "${nope}",
    "((",
    "table-list",
    "minimal",
    "likert",
    "label",
    "'x'",
    "{\"answered\":{\"question\":\"a\"}}",
    "{",
    "3",
    "x.y",
    "pulldata('a')",
    "selected(${a}, 'x')",
    "",
];

fn cell(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(pool)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_forms_never_panic_and_problems_are_located(
        headers in proptest::collection::vec(cell(HEADERS), 1..8),
        rows in proptest::collection::vec((cell(TYPES), proptest::collection::vec(cell(VALUES), 7)), 0..14),
        choices in proptest::collection::vec((cell(&["l", "m", ""]), cell(&["x", "y", "x", ""]), cell(VALUES)), 0..5),
    ) {
        let mut book = Workbook::new();
        let ws = book.add_worksheet().set_name("survey").unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (t, values)) in rows.iter().enumerate() {
            for (c, h) in headers.iter().enumerate() {
                let v = if *h == "type" { *t } else { values[c % values.len()] };
                ws.write_string(r as u32 + 1, c as u16, v).unwrap();
            }
        }
        let ws = book.add_worksheet().set_name("choices").unwrap();
        for (c, h) in ["list_name", "name", "label"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (l, n, label)) in choices.iter().enumerate() {
            for (c, v) in [l, n, label].iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, **v).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        if let Err(problems) = quire_xlsform::import(&bytes, "fuzz.xlsx") {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert!(p.row.is_some() || p.column.is_some() || p.sheet == "fuzz.xlsx", "unlocated: {}", p);
            }
        }
    }
}

/// A 5 KB workbook with one value at XFD1048576 once made the reader ask for 512 GiB and abort the process (the
/// server, on an upload): it is refused, at once, naming where the value is.
#[test]
fn a_value_far_away_is_refused_not_a_crash() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("survey").unwrap();
    sheet.write_string(0, 0, "type").unwrap();
    sheet.write_string(0, 1, "name").unwrap();
    sheet.write_string(1_048_575, 16_383, "far").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let problems = quire_xlsform::import(&bytes, "far.xlsx").expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("row 1048576, column 16384"), "{problems:?}");
}

/// A workbook of a few hundred KB whose parts unpack to 300 MiB is refused before anything is unpacked.
#[test]
fn a_workbook_that_unpacks_to_hundreds_of_mebibytes_is_refused() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&chunk).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
    let problems = quire_xlsform::import(&bytes, "bomb.xlsx").expect_err("refused");
    assert!(problems[0].message.contains("unpacks to 300 MiB"), "{problems:?}");
}

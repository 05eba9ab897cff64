//! The Stata do-file (`data.do`) that reads `data.csv` with variable labels, value labels, and the three missing
//! codes as Stata's extended missing values `.a` (not shown), `.b` (not reached) and `.c` (not answered).

use std::fmt::Write;

use super::layout::{Layout, Measure, FIXED};
use super::missing::Missing;
use super::quote::{compound_quoted, cut_chars};
use super::words::{word, FLAG, STATUS};

/// Stata's limit on a variable label, in characters.
const VARIABLE_LABEL_CHARS: usize = 80;

pub fn do_file(layout: &Layout, lang: &str) -> String {
    let mut out = String::new();
    let codes = layout.missing;
    let _ = writeln!(out, "* Quire analysis bundle: survey {}, labels in {lang}.", layout.survey_id);
    let _ = writeln!(out, "* Run from the folder that holds data.csv: do data.do");
    // Column numbers of the text columns, so that Stata never guesses a type.
    let text_columns: Vec<String> = FIXED
        .iter()
        .enumerate()
        .filter(|(_, f)| !matches!(**f, "status" | "duration_min"))
        .map(|(i, _)| (i + 1).to_string())
        .chain(
            layout
                .variables
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.measure.is_numeric())
                .map(|(i, _)| (FIXED.len() + i + 1).to_string()),
        )
        .collect();
    let _ = writeln!(
        out,
        "import delimited using \"data.csv\", varnames(1) case(preserve) encoding(\"utf-8\") bindquote(strict) \
         maxquotedrows(unlimited) stringcols({}) clear",
        text_columns.join(" ")
    );
    let [a, b, c] = Missing::ALL.map(|m| codes.code(m));
    let _ = writeln!(out, "mvdecode _all, mv({a}=.a \\ {b}=.b \\ {c}=.c)");
    let _ = writeln!(out, "label variable status \"Where the respondent is in the survey\"");
    let _ = writeln!(out, "label variable duration_min \"Minutes from the first save to completion\"");
    let status: Vec<String> = STATUS.iter().map(|(v, w)| format!("{v} {}", compound_quoted(word(*w, lang)))).collect();
    let _ = writeln!(out, "label define status {}, replace", status.join(" "));
    let _ = writeln!(out, "label values status status");
    let missing: Vec<String> =
        Missing::ALL.iter().map(|m| format!("{} {}", m.stata(), compound_quoted(m.label(lang)))).collect();
    let missing = missing.join(" ");
    for v in &layout.variables {
        let label = cut_chars(layout.text(&v.label, lang), VARIABLE_LABEL_CHARS).trim_end();
        let _ = writeln!(out, "label variable {} {}", v.name, compound_quoted(label));
        let values: Vec<String> = match &v.measure {
            Measure::Coded(ls) => {
                ls.iter().map(|l| format!("{} {}", l.value, compound_quoted(layout.text(&l.label, lang)))).collect()
            }
            Measure::Flag => FLAG.iter().map(|(v, w)| format!("{v} {}", compound_quoted(word(*w, lang)))).collect(),
            Measure::Number => Vec::new(),
            // Stata labels only numbers; a text column keeps its codes as text (see the codebook).
            Measure::Text => continue,
        };
        let values = values.into_iter().chain(std::iter::once(missing.clone())).collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "label define {} {values}, replace", v.name);
        let _ = writeln!(out, "label values {} {}", v.name, v.name);
    }
    out.push_str("compress\n");
    out
}

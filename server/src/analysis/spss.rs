//! The SPSS syntax file (`data.sps`) that reads `data.csv` with its types, variable labels, value labels and missing
//! values.

use std::fmt::Write;

use super::layout::{Layout, Measure, Variable, FIXED};
use super::missing::Missing;
use super::quote::{cut_bytes, single_quoted};
use super::words::{word, FLAG, STATUS};

/// SPSS's limits on labels, in bytes.
const VARIABLE_LABEL_BYTES: usize = 255;
const VALUE_LABEL_BYTES: usize = 120;

fn format(layout: &Layout, v: &Variable) -> String {
    match &v.measure {
        Measure::Text => format!("A{}", text_width(layout, v)),
        Measure::Number => "F12.4".to_owned(),
        Measure::Coded(_) | Measure::Flag => "F8.0".to_owned(),
    }
}

/// Bytes a text answer may need: its question's limit in characters, four bytes each in UTF-8.
fn text_width(layout: &Layout, v: &Variable) -> usize {
    (layout.text_chars(&v.question) * 4).clamp(8, 32767)
}

pub fn syntax(layout: &Layout, lang: &str) -> String {
    let mut out = String::new();
    let codes = layout.missing;
    let _ = writeln!(out, "* Quire analysis bundle: survey {}, labels in {lang}.", layout.survey_id);
    let _ = writeln!(out, "* Run from the folder that holds data.csv (or put its full path below).");
    out.push_str("GET DATA\n  /TYPE=TXT\n  /FILE='data.csv'\n  /ENCODING='UTF8'\n  /DELCASE=LINE\n");
    out.push_str("  /DELIMITERS=\",\"\n  /QUALIFIER='\"'\n  /ARRANGEMENT=DELIMITED\n  /FIRSTCASE=2\n  /VARIABLES=\n");
    for f in FIXED {
        let fmt = match f {
            "status" => "F1.0",
            "duration_min" => "F10.1",
            "respondent_id" => "A36",
            "survey_version" => "A64",
            "first_save" | "last_activity" | "completed_at" => "A19",
            _ => "A200",
        };
        let _ = writeln!(out, "  {f} {fmt}");
    }
    for v in &layout.variables {
        let _ = writeln!(out, "  {} {}", v.name, format(layout, v));
    }
    out.push_str(".\nCACHE.\nEXECUTE.\n\nVARIABLE LABELS\n");
    let _ = writeln!(out, "  status 'Where the respondent is in the survey'");
    let _ = writeln!(out, "  /duration_min 'Minutes from the first save to completion'");
    for v in &layout.variables {
        let label = cut_bytes(layout.text(&v.label, lang), VARIABLE_LABEL_BYTES);
        let _ = writeln!(out, "  /{} {}", v.name, single_quoted(label));
    }
    out.push_str(".\n\nVALUE LABELS\n");
    let status: Vec<(String, &str)> = STATUS.iter().map(|(v, w)| (v.to_string(), word(*w, lang))).collect();
    value_labels(&mut out, "status", &status, true, false);
    for v in &layout.variables {
        let mut labels: Vec<(String, &str)> = match &v.measure {
            Measure::Coded(ls) => ls.iter().map(|l| (l.value.to_string(), layout.text(&l.label, lang))).collect(),
            Measure::Flag => FLAG.iter().map(|(v, w)| (v.to_string(), word(*w, lang))).collect(),
            Measure::Number | Measure::Text => Vec::new(),
        };
        labels.extend(Missing::ALL.map(|m| (codes.cell(m), m.label(lang))));
        value_labels(&mut out, &v.name, &labels, false, !v.measure.is_numeric());
    }
    out.push_str(".\n\n");
    let numeric: Vec<&str> =
        layout.variables.iter().filter(|v| v.measure.is_numeric()).map(|v| v.name.as_str()).collect();
    let text: Vec<&str> =
        layout.variables.iter().filter(|v| !v.measure.is_numeric()).map(|v| v.name.as_str()).collect();
    let [a, b, c] = Missing::ALL.map(|m| codes.code(m));
    if !numeric.is_empty() {
        let _ = writeln!(out, "MISSING VALUES {} ({a}, {b}, {c}).", numeric.join(" "));
    }
    if !text.is_empty() {
        let _ = writeln!(out, "MISSING VALUES {} ('{a}', '{b}', '{c}').", text.join(" "));
    }
    out.push_str("EXECUTE.\n");
    out
}

/// One variable's `VALUE LABELS` entry; string variables take quoted values.
fn value_labels(out: &mut String, name: &str, labels: &[(String, &str)], first: bool, quoted: bool) {
    let _ = write!(out, "  {}{name}", if first { "" } else { "/" });
    for (value, label) in labels {
        let value = if quoted { single_quoted(value) } else { value.clone() };
        let _ = write!(out, " {value} {}", single_quoted(cut_bytes(label, VALUE_LABEL_BYTES)));
    }
    out.push('\n');
}

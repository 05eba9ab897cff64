//! The rows of one exported sheet: cells by header, headers in XLSForm's usual order, a column written only when a
//! row uses it (`type`, `name` and the labels always).

use std::collections::BTreeMap;

use quire_shared::{Question, QuestionKind, Text};
use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::build::{yes_no, DEFAULT_MAX_LENGTH};
use crate::languages::header_name;

pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) struct SheetRows {
    headers: Vec<String>,
    always: usize,
    rows: Vec<BTreeMap<String, String>>,
}

impl SheetRows {
    pub fn survey(langs: &[&str]) -> Self {
        let per_lang = |field: &'static str| langs.iter().map(move |l| format!("{field}::{}", header_name(l)));
        let mut headers = vec!["type".to_owned(), "name".to_owned()];
        headers.extend(per_lang("label"));
        let always = headers.len();
        headers.extend(per_lang("hint"));
        headers.push("required".into());
        headers.extend(per_lang("required_message"));
        headers.extend(["relevant", "constraint"].map(String::from));
        headers.extend(per_lang("constraint_message"));
        headers.extend(
            [
                "calculation",
                "default",
                "read_only",
                "choice_filter",
                "appearance",
                "quire::visible_if",
                "quire::from_roster",
                "quire::required_if",
                "quire::min",
                "quire::max",
                "quire::min_selected",
                "quire::max_selected",
                "quire::max_length",
            ]
            .map(String::from),
        );
        SheetRows { headers, always, rows: Vec::new() }
    }

    pub fn choices(langs: &[&str], extra: &[&String]) -> Self {
        let mut headers = vec!["list_name".to_owned(), "name".to_owned()];
        headers.extend(langs.iter().map(|l| format!("label::{}", header_name(l))));
        let always = headers.len();
        headers.extend(extra.iter().map(|e| (*e).clone()));
        SheetRows { headers, always, rows: Vec::new() }
    }

    pub fn settings() -> Self {
        let headers = vec!["form_id".to_owned(), "form_title".to_owned(), "default_language".to_owned()];
        SheetRows { headers, always: 3, rows: Vec::new() }
    }

    pub fn push(&mut self, cells: Vec<(&str, String)>) {
        self.rows.push(cells.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
    }

    pub fn set(&mut self, header: &str, value: Option<String>) {
        if let Some(v) = value {
            self.set_owned(header.to_owned(), v);
        }
    }

    pub fn set_owned(&mut self, header: String, value: String) {
        if !self.headers.contains(&header) {
            self.headers.push(header.clone());
        }
        if let Some(row) = self.rows.last_mut() {
            row.insert(header, value);
        }
    }

    pub fn text(&mut self, field: &str, text: &Text) {
        for (lang, s) in &text.0 {
            self.set_owned(format!("{field}::{}", header_name(lang)), s.clone());
        }
    }

    pub fn write(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        let bold = Format::new().set_bold();
        let used: Vec<&String> = self
            .headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i < self.always || self.rows.iter().any(|r| r.contains_key(*h)))
            .map(|(_, h)| h)
            .collect();
        for (c, h) in used.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h.as_str(), &bold)?;
            for (r, row) in self.rows.iter().enumerate() {
                if let Some(v) = row.get(*h) {
                    // Always text: a code `01` or a bound `1.50` must come back as written.
                    sheet.write_string(r as u32 + 1, c as u16, v)?;
                }
            }
        }
        Ok(())
    }
}

/// The rows of one question (a Likert matrix: its group and one row per statement).
pub(crate) fn question_rows(rows: &mut SheetRows, q: &Question, list: Option<String>) {
    let list = list.unwrap_or_default();
    let (type_, appearance) = match &q.kind {
        QuestionKind::SingleChoice { .. } => (format!("select_one {list}"), None),
        QuestionKind::Dropdown { .. } => (format!("select_one {list}"), Some("minimal")),
        QuestionKind::MultipleChoice { .. } => (format!("select_multiple {list}"), None),
        QuestionKind::FreeText { multiline, .. } => ("text".into(), multiline.then_some("multiline")),
        QuestionKind::Number { integer: true, .. } => ("integer".into(), None),
        QuestionKind::Number { .. } => ("decimal".into(), None),
        QuestionKind::Note => ("note".into(), None),
        QuestionKind::Date => ("date".into(), None),
        QuestionKind::Calculate { .. } => ("calculate".into(), None),
        QuestionKind::Likert { .. } => ("begin group".into(), Some("table-list")),
    };
    rows.push(vec![("type", type_), ("name", q.id.clone())]);
    rows.set("appearance", appearance.map(str::to_owned));
    common(rows, q);
    kind_columns(rows, &q.kind);
    if let QuestionKind::Likert { statements, .. } = &q.kind {
        for s in statements {
            rows.push(vec![("type", format!("select_one {list}")), ("name", s.id.clone())]);
            rows.text("label", &s.text);
            rows.set("required", q.required.then(|| "yes".to_owned()));
        }
        rows.push(vec![("type", "end group".into())]);
    }
}

fn common(rows: &mut SheetRows, q: &Question) {
    rows.text("label", &q.text);
    if let Some(h) = &q.help {
        rows.text("hint", h);
    }
    // `required_if` goes in `required` unless that says yes already, or it reads like yes or no itself.
    let expr_in_required = !q.required && q.required_if.as_deref().is_some_and(|e| yes_no(e).is_none());
    let required = if q.required { Some("yes".to_owned()) } else { q.required_if.clone().filter(|_| expr_in_required) };
    rows.set("required", required);
    rows.set("quire::required_if", q.required_if.clone().filter(|_| !expr_in_required));
    for (field, text) in [("required_message", &q.required_message), ("constraint_message", &q.constraint_message)] {
        if let Some(t) = text {
            rows.text(field, t);
        }
    }
    rows.set("relevant", q.relevant.clone());
    rows.set("constraint", q.constraint.clone());
    rows.set("default", q.default.clone());
    rows.set("read_only", q.read_only.then(|| "yes".to_owned()));
    rows.set("choice_filter", q.choice_filter.clone());
    rows.set("quire::visible_if", q.visible_if.as_ref().map(json));
    rows.set("quire::from_roster", q.from_roster.as_ref().map(|r| json(r).trim_matches('"').to_owned()));
}

fn kind_columns(rows: &mut SheetRows, kind: &QuestionKind) {
    match kind {
        QuestionKind::Number { min, max, .. } => {
            rows.set("quire::min", min.map(|m| m.to_string()));
            rows.set("quire::max", max.map(|m| m.to_string()));
        }
        QuestionKind::MultipleChoice { min_selected, max_selected, .. } => {
            rows.set("quire::min_selected", min_selected.map(|m| m.to_string()));
            rows.set("quire::max_selected", max_selected.map(|m| m.to_string()));
        }
        QuestionKind::FreeText { max_length, .. } if *max_length != DEFAULT_MAX_LENGTH => {
            rows.set("quire::max_length", Some(max_length.to_string()));
        }
        QuestionKind::Calculate { calculation } => rows.set("calculation", Some(calculation.clone())),
        _ => {}
    }
}

//! A survey → an XLSForm workbook that imports back to the same survey (`import(export(s)) == s`).
//!
//! Each page is a top-level group; a question's `section` opens a nested group that runs to the next section or the
//! page's end; a Likert matrix is a `table-list` group of `select_one` rows over its scale. Choice lists are named
//! after the first question that uses them, and questions with the very same choices share one list. What XLSForm
//! has no column for goes into Quire's own columns (`quire_columns`), written only when some row needs them.

use std::collections::HashMap;

use quire_shared::{Choice, Question, QuestionKind, Survey};
use rust_xlsxwriter::Workbook;

use crate::languages::header_name;
use crate::write_rows::{json, question_rows, SheetRows};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("not a survey file: {0}")]
    Json(String),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

pub(crate) fn workbook(survey: &Survey) -> Result<Vec<u8>, ExportError> {
    let langs: Vec<&str> =
        std::iter::once(survey.default_language.as_str()).chain(survey.languages.iter().map(String::as_str)).collect();
    let mut lists = Lists::default();
    let mut rows = SheetRows::survey(&langs);
    for page in &survey.pages {
        rows.push(vec![("type", "begin group".into()), ("name", page.id.clone())]);
        rows.text("label", &page.title);
        rows.set("relevant", page.relevant.clone());
        rows.set("quire::visible_if", page.visible_if.as_ref().map(json));
        let mut in_section = false;
        for q in &page.questions {
            if let Some(section) = &q.section {
                if in_section {
                    rows.push(vec![("type", "end group".into())]);
                }
                rows.push(vec![("type", "begin group".into()), ("name", format!("{}_section", q.id))]);
                rows.text("label", section);
                in_section = true;
            }
            question_rows(&mut rows, q, lists.name(q));
        }
        if in_section {
            rows.push(vec![("type", "end group".into())]);
        }
        rows.push(vec![("type", "end group".into())]);
    }
    let mut book = Workbook::new();
    rows.write(book.add_worksheet().set_name("survey")?)?;
    lists.rows(&langs).write(book.add_worksheet().set_name("choices")?)?;
    settings(survey).write(book.add_worksheet().set_name("settings")?)?;
    Ok(book.save_to_buffer()?)
}

/// Choice lists by content: the same choices share one list, named after the first question that has them.
#[derive(Default)]
struct Lists {
    by_content: HashMap<String, String>,
    order: Vec<(String, Vec<Choice>)>,
}

impl Lists {
    fn name(&mut self, q: &Question) -> Option<String> {
        let choices = match &q.kind {
            QuestionKind::Likert { scale, .. } => scale,
            kind => kind.codes()?,
        };
        let key = json(choices);
        if let Some(name) = self.by_content.get(&key) {
            return Some(name.clone());
        }
        let mut name = q.id.clone();
        while self.order.iter().any(|(n, _)| *n == name) {
            name.push('_');
        }
        self.by_content.insert(key, name.clone());
        self.order.push((name.clone(), choices.to_vec()));
        Some(name)
    }

    fn rows(&self, langs: &[&str]) -> SheetRows {
        let mut extra: Vec<&String> = self.order.iter().flat_map(|(_, cs)| cs).flat_map(|c| c.columns.keys()).collect();
        extra.sort();
        extra.dedup();
        let mut rows = SheetRows::choices(langs, &extra);
        for (name, choices) in &self.order {
            for c in choices {
                rows.push(vec![("list_name", name.clone()), ("name", c.code.clone())]);
                rows.text("label", &c.label);
                for (k, v) in &c.columns {
                    rows.set_owned(k.clone(), v.clone());
                }
            }
        }
        rows
    }
}

fn settings(survey: &Survey) -> SheetRows {
    let mut rows = SheetRows::settings();
    rows.push(vec![("form_id", survey.id.clone()), ("default_language", header_name(&survey.default_language))]);
    for (lang, title) in &survey.title.0 {
        let header = if *lang == survey.default_language {
            "form_title".to_owned()
        } else {
            format!("quire::form_title::{}", header_name(lang))
        };
        rows.set_owned(header, title.clone());
    }
    // A title without a translation stays without one: an empty column says so (`import::title`).
    for lang in survey.languages.iter().filter(|l| !survey.title.0.contains_key(*l)) {
        rows.set_owned(format!("quire::form_title::{}", header_name(lang)), String::new());
    }
    rows
}

//! A built question with the rows it came from, so that its JSON path can be registered with the locator once its
//! page and position are known.

use quire_shared::Question;

use crate::columns::Field;
use crate::locate::{Locator, Sheet};

#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub question: Question,
    pub row: u32,
    /// Rows of the choices sheet, in the order of the question's choices (or a Likert's scale).
    pub choice_rows: Vec<u32>,
    /// Rows of a Likert's statements.
    pub statement_rows: Vec<u32>,
    /// Where the `relevant` was written, when not on the question's own row (a group's).
    pub relevant_row: Option<u32>,
    /// The row of the group whose label became the question's section.
    pub section_row: Option<u32>,
}

impl Placed {
    pub fn new(question: Question, row: u32, choice_rows: Vec<u32>) -> Self {
        Placed { question, row, choice_rows, statement_rows: Vec::new(), relevant_row: None, section_row: None }
    }

    pub fn register(&self, path: &str, locator: &mut Locator) {
        locator.row(path, Sheet::Survey, self.row);
        let list = if self.statement_rows.is_empty() { "choices" } else { "scale" };
        for (i, &r) in self.choice_rows.iter().enumerate() {
            locator.row(format!("{path}.{list}[{i}]"), Sheet::Choices, r);
        }
        for (i, &r) in self.statement_rows.iter().enumerate() {
            locator.row(format!("{path}.statements[{i}]"), Sheet::Survey, r);
        }
        if let Some(r) = self.relevant_row {
            locator.field(format!("{path}.relevant"), Sheet::Survey, r, Field::Relevant);
        }
        if let Some(r) = self.section_row {
            locator.field(format!("{path}.section"), Sheet::Survey, r, Field::Label);
        }
    }
}

/// `(outer) and (inner)`: a nested group's `relevant` joins each of its questions'.
pub(crate) fn and(outer: &[String], own: Option<&str>) -> Option<String> {
    let all: Vec<&str> = outer.iter().map(String::as_str).chain(own).collect();
    match all.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        many => Some(many.iter().map(|e| format!("({e})")).collect::<Vec<_>>().join(" and ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn relevants_are_and_ed_outer_first() {
        assert_eq!(super::and(&[], None), None);
        assert_eq!(super::and(&[], Some("${a} = 1")).as_deref(), Some("${a} = 1"));
        assert_eq!(super::and(&["${a} = 1".into()], Some("${b} > 2")).as_deref(), Some("(${a} = 1) and (${b} > 2)"));
    }
}

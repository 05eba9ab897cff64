//! From a JSON path of the built survey (`$.pages[3].questions[1].choices[0].label.es`) back to the sheet, row and
//! column it came from, so that a problem the shared checks find is reported at its cell.
//!
//! The builder registers each object it creates (page, question, choice, statement) at its row; a path is located
//! by its longest registered prefix, and the rest of the path names the field and language, hence the column.

use std::collections::HashMap;

use crate::columns::{Column, Field};
use crate::problems::Problem;
use crate::texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sheet {
    Survey,
    Choices,
    Settings,
}

#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub sheet: Sheet,
    pub row: Option<u32>,
    /// The field the whole place stands for (a section is a group's label); `None`: the path's next part names it.
    pub field: Option<Field>,
    /// A cell known outright (settings), which wins over any field.
    pub cell: Option<(usize, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct Locator {
    places: HashMap<String, Place>,
}

/// What a locator needs to name columns: each sheet's name and columns, and the default language.
pub(crate) struct Sheets<'a> {
    pub names: [&'a str; 3],
    pub columns: [&'a [Column]; 3],
    pub default_language: &'a str,
}

impl Locator {
    pub fn row(&mut self, path: impl Into<String>, sheet: Sheet, row: u32) {
        self.places.insert(path.into(), Place { sheet, row: Some(row), field: None, cell: None });
    }

    pub fn field(&mut self, path: impl Into<String>, sheet: Sheet, row: u32, field: Field) {
        self.places.insert(path.into(), Place { sheet, row: Some(row), field: Some(field), cell: None });
    }

    pub fn cell(&mut self, path: impl Into<String>, sheet: Sheet, row: Option<u32>, cell: Option<(usize, String)>) {
        self.places.insert(path.into(), Place { sheet, row, field: None, cell });
    }

    pub fn locate(&self, path: &str, message: &str, sheets: &Sheets<'_>) -> Problem {
        let parts: Vec<&str> = path.split('.').collect();
        for cut in (1..=parts.len()).rev() {
            let Some(place) = self.places.get(&parts[..cut].join(".")) else { continue };
            let rest = &parts[cut..];
            let i = place.sheet as usize;
            let sheet = sheets.names[i];
            if let Some((index, header)) = &place.cell {
                return Problem::new(sheet, place.row, Some((*index, header)), message);
            }
            let (field, lang) = match (&place.field, rest) {
                (Some(f), [lang, ..]) => (Some(f.clone()), Some(*lang)),
                (Some(f), []) => (Some(f.clone()), None),
                (None, [name, lang, ..]) => (field_named(name), Some(*lang)),
                (None, [name]) => (field_named(name), None),
                (None, []) => (None, None),
            };
            let find = |f: &Field| texts::column_of(sheets.columns[i], f, lang, sheets.default_language).cloned();
            // `required_if` is written in `required` (an expression) unless `quire::required_if` holds it.
            let column = field.and_then(|f| find(&f).or_else(|| find(&Field::Required).filter(|_| is_required(&f))));
            let at = column.as_ref().map(|c| (c.index, c.header.as_str()));
            return Problem::new(sheet, place.row, at, format!("{message} ({path})"));
        }
        Problem::new(sheets.names[0], None, None, format!("{message} ({path})"))
    }
}

fn is_required(f: &Field) -> bool {
    matches!(f, Field::Quire(name) if name == "required_if")
}

/// The column a model field comes from.
fn field_named(name: &str) -> Option<Field> {
    let base = name.split('[').next().unwrap_or(name);
    Some(match base {
        "text" | "title" | "label" | "section" => Field::Label,
        "help" => Field::Hint,
        "required_message" => Field::RequiredMessage,
        "constraint_message" => Field::ConstraintMessage,
        "relevant" => Field::Relevant,
        "required" => Field::Required,
        "constraint" => Field::Constraint,
        "calculation" => Field::Calculation,
        "default" => Field::Default,
        "read_only" => Field::ReadOnly,
        "choice_filter" => Field::ChoiceFilter,
        "id" | "code" => Field::Name,
        "choices" | "scale" | "statements" | "type" | "questions" => Field::Type,
        "visible_if" | "from_roster" | "min" | "max" | "min_selected" | "max_selected" | "max_length"
        | "required_if" => Field::Quire(base.to_owned()),
        _ => return None,
    })
}

//! What building questions needs from the rest of the import (columns, choice lists, languages), and where it puts
//! what it finds (problems, the locator).

use crate::choices::{Lists, Located};
use crate::columns::{Column, Field};
use crate::locate::Locator;
use crate::problems::Problems;
use crate::texts::Languages;

/// What building needs from the rest of the import, and where it puts what it finds.
pub(crate) struct Ctx<'a> {
    pub sheet: &'a str,
    pub columns: &'a [Column],
    pub lists: &'a Lists,
    pub langs: &'a Languages,
    pub used_lists: std::collections::HashSet<String>,
    pub problems: Problems,
    pub locator: Locator,
}

impl Ctx<'_> {
    pub fn error(&mut self, row: u32, field: Option<Field>, message: impl Into<String>) {
        let at = field.and_then(|f| self.columns.iter().find(|c| c.field == f)).map(|c| (c.index, c.header.clone()));
        self.problems.error(self.sheet, Some(row), at.as_ref().map(|(i, h)| (*i, h.as_str())), message);
    }

    pub fn warn(&mut self, row: u32, field: Option<Field>, message: impl Into<String>) {
        let at = field.and_then(|f| self.columns.iter().find(|c| c.field == f)).map(|c| (c.index, c.header.clone()));
        self.problems.warn(self.sheet, Some(row), at.as_ref().map(|(i, h)| (*i, h.as_str())), message);
    }

    /// The choices of a list, marking it used; an error at the row's type when it has none.
    pub fn list(&mut self, row: u32, list: &str) -> Option<Vec<Located>> {
        self.used_lists.insert(list.to_owned());
        let found = self.lists.get(list).cloned();
        if found.is_none() {
            self.error(
                row,
                Some(Field::Type),
                format!("list `{list}` has no choices (no row of the choices sheet names it)"),
            );
        }
        found
    }
}

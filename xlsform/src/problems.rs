//! A problem found in a spreadsheet, located at the sheet, row and column a researcher has to fix.
//!
//! Policy: the importer never stops at the first problem and never drops a row silently. What it cannot take is an
//! error (`Problem` in `Err`); what it takes with a loss that matters nothing to the survey is a warning.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The sheet's name as the workbook spells it (`survey`, `choices`, `settings`), or the file for a workbook-wide
    /// problem.
    pub sheet: String,
    /// 1-based spreadsheet row, as the spreadsheet program numbers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// The column's header, e.g. `constraint` or `label::Español (es)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The cell as a spreadsheet names it (`C14`), when both row and column are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    pub message: String,
}

/// A column of a sheet: its 0-based index (for the cell's letter) and its header.
pub(crate) type Col<'a> = (usize, &'a str);

impl Problem {
    pub(crate) fn new(sheet: &str, row: Option<u32>, column: Option<Col<'_>>, message: impl Into<String>) -> Self {
        let cell = match (row, column) {
            (Some(row), Some((index, _))) => Some(format!("{}{row}", column_letter(index))),
            _ => None,
        };
        let column = column.map(|(_, header)| header.to_owned());
        Problem { sheet: sheet.to_owned(), row, column, cell, message: message.into() }
    }

    /// A problem with a whole sheet or workbook (no row to point at).
    pub fn sheet(sheet: &str, message: impl Into<String>) -> Self {
        Problem::new(sheet, None, None, message)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sheet)?;
        match (self.row, &self.column) {
            (Some(_), Some(col)) if self.cell.is_some() => {
                write!(f, "!{} ({col})", self.cell.as_deref().unwrap_or_default())?
            }
            (Some(row), Some(col)) => write!(f, "!{row} ({col})")?,
            (Some(row), None) => write!(f, "!{row}")?,
            (None, Some(col)) => write!(f, " ({col})")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// `0` → `A`, `27` → `AB`.
fn column_letter(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s
}

/// Collects problems of one import, split into what refuses the form and what only warns.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl Problems {
    pub fn error(&mut self, sheet: &str, row: Option<u32>, column: Option<Col<'_>>, message: impl Into<String>) {
        self.errors.push(Problem::new(sheet, row, column, message));
    }

    pub fn warn(&mut self, sheet: &str, row: Option<u32>, column: Option<Col<'_>>, message: impl Into<String>) {
        self.warnings.push(Problem::new(sheet, row, column, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_sheet_row_and_column() {
        let p = Problem::new("survey", Some(14), Some((2, "constraint")), "unbalanced parenthesis");
        assert_eq!(p.to_string(), "survey!C14 (constraint): unbalanced parenthesis");
        assert_eq!(Problem::new("survey", Some(3), None, "x").to_string(), "survey!3: x");
        assert_eq!(Problem::sheet("settings", "no form_id").to_string(), "settings: no form_id");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}

//! `data.xlsx`: the same rows as `data.csv` for people who open data in Excel, numbers as numbers, with a sheet of
//! variables (the codebook) and one of missing codes. Built in memory, so it is offered only up to `MAX_CELLS`.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::codebook;
use super::layout::{Layout, FIXED};
use super::missing::Missing;

/// The largest workbook Quire builds: a school of a few hundred is far below; a whole state is for data.csv.
pub const MAX_CELLS: usize = 2_000_000;

/// Whether a column holds numbers (the fixed `status` and `duration_min`, and every numeric variable).
pub fn numeric_columns(layout: &Layout) -> Vec<bool> {
    FIXED
        .iter()
        .map(|f| matches!(*f, "status" | "duration_min"))
        .chain(layout.variables.iter().map(|v| v.measure.is_numeric()))
        .collect()
}

pub fn workbook(layout: &Layout, rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let numeric = numeric_columns(layout);
    let data = book.add_worksheet();
    data.set_name("data")?;
    for (c, name) in layout.header().enumerate() {
        data.write_string_with_format(0, c as u16, name, &bold)?;
    }
    data.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if numeric[c] => data.write_number(r, c as u16, n)?,
                _ if cell.is_empty() => data,
                _ => data.write_string(r, c as u16, cell)?,
            };
        }
    }
    let vars = book.add_worksheet();
    vars.set_name("variables")?;
    for (r, row) in codebook::csv_rows(layout).iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if r == 0 {
                vars.write_string_with_format(0, c as u16, cell, &bold)?;
            } else {
                vars.write_string(r as u32, c as u16, cell)?;
            }
        }
    }
    vars.set_freeze_panes(1, 1)?;
    let missing = book.add_worksheet();
    missing.set_name("missing codes")?;
    missing.write_string_with_format(0, 0, "code", &bold)?;
    missing.write_string_with_format(0, 1, "meaning", &bold)?;
    for (i, m) in Missing::ALL.iter().enumerate() {
        missing.write_number(i as u32 + 1, 0, layout.missing.code(*m) as f64)?;
        missing.write_string(i as u32 + 1, 1, m.label(&layout.default_language))?;
    }
    book.save_to_buffer()
}

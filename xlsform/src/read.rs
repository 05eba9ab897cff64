//! Sheets → rows of trimmed strings. Everything after this module sees text only, the way pyxform does: numbers
//! written back as integers where whole (`1.0` → `1`), booleans as `TRUE`/`FALSE`, dates as `YYYY-MM-DD`.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Cell, Data, Range, Reader, Sheets, Xlsx};

use crate::problems::Problem;

/// One sheet: its header row and its non-empty rows.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// The sheet's name as the workbook spells it.
    pub sheet: String,
    pub headers: Vec<String>,
    pub header_row: u32,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// 1-based row number in the spreadsheet.
    pub number: u32,
    pub cells: Vec<String>,
}

impl Row {
    pub fn get(&self, col: usize) -> &str {
        self.cells.get(col).map(String::as_str).unwrap_or("")
    }
}

/// The three sheets XLSForm reads; a missing `choices` or `settings` sheet is an empty one.
#[derive(Debug, Default)]
pub(crate) struct Workbook {
    pub survey: Table,
    pub choices: Option<Table>,
    pub settings: Option<Table>,
}

/// The most rows and columns of a sheet Quire reads. A workbook states where its cells are, and calamine's
/// `worksheet_range` makes a dense grid from the first to the last: one cell at XFD1048576 in a 5 KB file asked for
/// 512 GiB and aborted the process (a hostile upload, found by `examples`-style probing). An `.xlsx` is therefore
/// read cell by cell, and a value beyond these bounds refuses the form at its cell.
const MAX_ROWS: u32 = 10_000;
const MAX_COLUMNS: u32 = 200;

/// The most an `.xlsx` may unpack to, by what its parts declare: a zip of 8 MiB can unpack to gigabytes.
const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// Refuses an `.xlsx` whose parts declare more than `MAX_UNPACKED` (a `.xls` is not a zip and passes).
fn unpacked_size(bytes: &[u8], file_name: &str) -> Result<(), Problem> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        total = total.saturating_add(zip.by_index_raw(i).map(|f| f.size()).unwrap_or(0));
    }
    if total > MAX_UNPACKED {
        let message = format!("unpacks to {} MiB; Quire reads workbooks of at most 256 MiB unpacked", total >> 20);
        return Err(Problem::sheet(file_name, message));
    }
    Ok(())
}

pub(crate) fn workbook(bytes: &[u8], file_name: &str) -> Result<Workbook, Vec<Problem>> {
    unpacked_size(bytes, file_name).map_err(|p| vec![p])?;
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| vec![Problem::sheet(file_name, format!("not a readable .xlsx or .xls workbook: {e}"))])?;
    let names = book.sheet_names();
    let mut find = |wanted: &str| -> Result<Option<Table>, Problem> {
        let Some(name) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted)) else { return Ok(None) };
        let cannot = |e: &dyn std::fmt::Display| Problem::sheet(name, format!("cannot be read: {e}"));
        let range = match &mut book {
            // Sparse, bounded (see MAX_ROWS).
            Sheets::Xlsx(x) => bounded(x, name)?,
            // A legacy .xls holds at most 65,536 × 256 cells: its dense grid is bounded by the format.
            other => other.worksheet_range(name).map_err(|e| cannot(&e))?,
        };
        Ok(Some(table(name, &range)))
    };
    let (survey, choices, settings) = (find("survey"), find("choices"), find("settings"));
    let mut problems = Vec::new();
    let mut keep = |r: Result<Option<Table>, Problem>| r.map_err(|p| problems.push(p)).ok().flatten();
    let (survey, choices, settings) = (keep(survey), keep(choices), keep(settings));
    match survey {
        Some(survey) if problems.is_empty() => Ok(Workbook { survey, choices, settings }),
        None if problems.is_empty() => {
            let found = names.join(", ");
            Err(vec![Problem::sheet(file_name, format!("has no sheet named `survey` (its sheets: {found})"))])
        }
        _ => Err(problems),
    }
}

/// An `.xlsx` sheet read cell by cell into a grid no larger than `MAX_ROWS` × `MAX_COLUMNS`.
fn bounded<RS: std::io::Read + std::io::Seek>(book: &mut Xlsx<RS>, name: &str) -> Result<Range<Data>, Problem> {
    let mut reader =
        book.worksheet_cells_reader(name).map_err(|e| Problem::sheet(name, format!("cannot be read: {e}")))?;
    let mut cells = Vec::new();
    loop {
        match reader.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                let value = Data::from(cell.get_value().clone());
                if value == Data::Empty {
                    continue;
                }
                if row >= MAX_ROWS || col >= MAX_COLUMNS {
                    let message = format!(
                        "holds a value at row {}, column {}: Quire reads at most {MAX_ROWS} rows and {MAX_COLUMNS} \
                         columns of a sheet",
                        row + 1,
                        col + 1
                    );
                    return Err(Problem::sheet(name, message));
                }
                cells.push(Cell::new((row, col), value));
            }
            Ok(None) => break,
            Err(e) => return Err(Problem::sheet(name, format!("cannot be read: {e}"))),
        }
    }
    Ok(Range::from_sparse(cells))
}

fn table(name: &str, range: &calamine::Range<Data>) -> Table {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    // Cells left of the used range are empty: pad so that column indexes are the sheet's own (A = 0).
    let pad = first_col as usize;
    let mut rows = range.rows().enumerate().map(|(i, cells)| Row {
        number: first_row + i as u32 + 1,
        cells: std::iter::repeat_n(String::new(), pad).chain(cells.iter().map(cell_text)).collect(),
    });
    let Some(header) = rows.next() else { return Table { sheet: name.to_owned(), ..Table::default() } };
    let rows = rows.filter(|r| r.cells.iter().any(|c| !c.is_empty())).collect();
    Table { sheet: name.to_owned(), headers: header.cells, header_row: header.number, rows }
}

/// A cell as pyxform reads it, trimmed.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            if (h, min, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{s:02}")
            }
        }
    }
}

/// `1.0` → `1`; other floats as Rust prints them (shortest text that reads back the same).
pub(crate) fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_pyxform_reads_them() {
        assert_eq!(cell_text(&Data::Float(1.0)), "1");
        assert_eq!(cell_text(&Data::Float(-2.5)), "-2.5");
        assert_eq!(cell_text(&Data::Int(7)), "7");
        assert_eq!(cell_text(&Data::String("  yes \n".into())), "yes");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn a_file_that_is_no_workbook_is_one_problem() {
        let e = workbook(b"not a spreadsheet", "form.xlsx").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].sheet, "form.xlsx");
    }
}

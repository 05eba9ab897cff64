//! XLSForm spreadsheets (`.xlsx`, `.xls`) to Quire surveys and back.
//!
//! `import` reads the `survey`, `choices` and `settings` sheets into a `Survey` and runs Quire's structural checks
//! on it; every problem is reported at once, at its sheet, row and column, and nothing is dropped unseen: what Quire
//! cannot take (repeats, locations, media, external choices, times, …) refuses the form, what it can take with a
//! loss that changes nothing a respondent answers (metadata rows, display-only appearances) is a warning.
//! `export` writes a survey as an XLSForm that a researcher can edit and import again to the same survey.
//!
//! The mapping rules are in `docs/xlsform.md`; each module's first lines hold its own part of them.

mod build;
mod choices;
mod columns;
mod ctx;
mod expressions;
mod groups;
mod import;
mod languages;
mod likert;
mod locate;
mod looks;
mod pages;
mod placed;
mod problems;
mod quire_columns;
mod read;
mod rows;
mod settings;
mod texts;
mod types;
mod write;
mod write_rows;

use quire_shared::Survey;

pub use build::DEFAULT_MAX_LENGTH;
pub use import::Imported;
pub use problems::Problem;
pub use write::ExportError;

/// Reads an XLSForm (`.xlsx` or `.xls`; the format is told from the content). `file_name` names the workbook in
/// problems and gives the survey's id when the settings have no `form_id`.
pub fn import(bytes: &[u8], file_name: &str) -> Result<Imported, Vec<Problem>> {
    // A workbook is a stranger's file: should a reader ever panic on one, the upload is refused, not the server.
    std::panic::catch_unwind(|| import::run(bytes, file_name)).unwrap_or_else(|_| {
        Err(vec![Problem::sheet(file_name, "the workbook could not be read (the spreadsheet reader failed on it)")])
    })
}

/// `import` of a file, for a command line: the survey as pretty JSON and its warnings, or every problem.
pub fn import_path(path: &std::path::Path) -> Result<(String, Vec<Problem>), Vec<Problem>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(path).map_err(|e| vec![Problem::sheet(&path.display().to_string(), e.to_string())])?;
    let imported = import(&bytes, &name)?;
    let json =
        serde_json::to_string_pretty(&imported.survey).map_err(|e| vec![Problem::sheet(&name, e.to_string())])?;
    Ok((json, imported.warnings))
}

/// Writes a survey as an XLSForm workbook (`.xlsx`).
pub fn export(survey: &Survey) -> Result<Vec<u8>, ExportError> {
    write::workbook(survey)
}

/// `export` of a survey file's JSON.
pub fn export_json(json: &str) -> Result<Vec<u8>, ExportError> {
    let survey: Survey = serde_json::from_str(json).map_err(|e| ExportError::Json(e.to_string()))?;
    export(&survey)
}

//! The `settings` sheet: the survey's id, title and default language. Other settings are display or server options
//! (`version`, `instance_name`, `style`, …): accepted with a warning when they hold a value.

use std::collections::BTreeMap;

use crate::languages;
use crate::problems::Problems;
use crate::read::Table;

#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub form_id: Option<(String, Place)>,
    /// `form_title` (language `None`) and the translations, `quire::form_title::Spanish (es)` (or without `quire::`).
    pub title: BTreeMap<Option<String>, (String, Place)>,
    pub default_language: Option<(String, Place)>,
    pub sheet: String,
    /// The sheet has columns for the title's translations (Quire's export writes them even empty), so a title given
    /// only in `form_title` is not every language's.
    pub translated_title: bool,
}

/// The settings cell a value came from: its row and column.
#[derive(Debug, Clone, Default)]
pub(crate) struct Place {
    pub row: u32,
    pub index: usize,
    pub header: String,
}

/// Settings that change nothing Quire does: no warning even when set.
const QUIET: &[&str] = &["version"];

pub(crate) fn parse(table: Option<&Table>, problems: &mut Problems) -> Settings {
    let Some(table) = table else { return Settings { sheet: "settings".into(), ..Settings::default() } };
    let mut s = Settings { sheet: table.sheet.clone(), ..Settings::default() };
    // pyxform reads the first row under the headers only.
    let Some(row) = table.rows.first() else { return s };
    for (index, header) in table.headers.iter().enumerate() {
        let value = row.get(index);
        let header = header.trim();
        s.translated_title |= header.to_lowercase().replace("quire::", "").starts_with("form_title::");
        if value.is_empty() || header.is_empty() {
            continue;
        }
        let place = Place { row: row.number, index, header: header.to_owned() };
        // Quire writes a title's translations as `quire::form_title::Spanish (es)`, which pyxform leaves alone.
        let own = header.strip_prefix("quire::").unwrap_or(header);
        let lower = own.to_lowercase().replace(' ', "_");
        match lower.split_once("::").map(|(base, _)| (base, own.split_once("::").map(|(_, l)| l).unwrap_or(""))) {
            None if lower == "form_id" || lower == "id_string" => s.form_id = Some((value.to_owned(), place)),
            None if lower == "form_title" || lower == "title" => {
                s.title.insert(None, (value.to_owned(), place));
            }
            None if lower == "default_language" => s.default_language = Some((value.to_owned(), place)),
            Some(("form_title", lang)) => match languages::code(lang) {
                Some(code) => {
                    s.title.insert(Some(code), (value.to_owned(), place));
                }
                None => problems.error(&s.sheet, Some(row.number), Some((index, header)), "unknown language"),
            },
            _ if QUIET.contains(&lower.as_str()) => {}
            _ => problems.warn(
                &s.sheet,
                Some(row.number),
                Some((index, header)),
                format!("`{header}` is not a setting Quire uses; ignored"),
            ),
        }
    }
    s
}

/// An id Quire accepts (letters, digits, `_`, `-`; at most 64) from a form id or a file name.
pub(crate) fn id_safe(raw: &str) -> String {
    let id: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if id.is_empty() {
        "survey".to_owned()
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_safe() {
        assert_eq!(id_safe("My form (v2).xlsx"), "My_form__v2__xlsx");
        assert_eq!(id_safe(""), "survey");
        assert_eq!(id_safe(&"x".repeat(80)).len(), 64);
    }
}

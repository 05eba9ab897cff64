//! Column headers → what they mean: one `Field` each, with the language of a translated column.
//!
//! Spellings follow pyxform's aliases (`bind::relevant`, `jr:constraintMsg`, `list name`, …), compared without case.
//! Translated columns may be written `label::English (en)`, `label::en`, `label::english` or SurveyCTO's
//! `label:hindi`; `languages::code` maps the language part.

use crate::languages;
use crate::problems::Problems;
use crate::read::Table;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Type,
    Name,
    ListName,
    Label,
    Hint,
    Required,
    RequiredMessage,
    Relevant,
    Constraint,
    ConstraintMessage,
    Calculation,
    Default,
    ReadOnly,
    ChoiceFilter,
    Appearance,
    Trigger,
    /// One of Quire's own columns (`quire::visible_if`, …), which carry what XLSForm has no column for.
    Quire(String),
    /// Shown only (guidance for enumerators, autoplay, extra attributes): a value is accepted with a warning.
    DisplayOnly,
    /// Changes what the form does (repeats, media, external apps): a value refuses the form.
    Unsupported(&'static str),
    /// Anything else: a researcher's own column. On the choices sheet it becomes a choice column.
    Other,
}

impl Field {
    /// Fields Quire reads (a second column of one of them would be ambiguous).
    pub fn is_known(&self) -> bool {
        !matches!(self, Field::Other | Field::DisplayOnly | Field::Unsupported(_))
    }

    /// Fields whose header may carry a language.
    pub fn is_text(&self) -> bool {
        matches!(self, Field::Label | Field::Hint | Field::RequiredMessage | Field::ConstraintMessage)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub index: usize,
    pub header: String,
    pub field: Field,
    /// For a translated field: `Some(code)`, or `None` for the plain column (the default language).
    pub lang: Option<String>,
}

/// The base name's meaning, after lower-casing and turning spaces into underscores.
fn field(base: &str) -> Field {
    match base {
        "type" => Field::Type,
        "name" | "value" => Field::Name,
        "list_name" => Field::ListName,
        "label" | "caption" => Field::Label,
        "hint" | "body::hint" => Field::Hint,
        "required" | "bind::required" => Field::Required,
        "required_message" | "jr:requiredmsg" | "bind::jr:requiredmsg" => Field::RequiredMessage,
        "relevant" | "relevance" | "bind::relevant" => Field::Relevant,
        "constraint" | "bind::constraint" => Field::Constraint,
        "constraint_message" | "jr:constraintmsg" | "bind::jr:constraintmsg" => Field::ConstraintMessage,
        "calculation" | "calculate" | "bind::calculate" => Field::Calculation,
        "default" => Field::Default,
        "read_only" | "readonly" | "bind::readonly" => Field::ReadOnly,
        "choice_filter" => Field::ChoiceFilter,
        "appearance" | "body::appearance" | "control::appearance" => Field::Appearance,
        "trigger" => Field::Trigger,
        "guidance_hint" | "autoplay" | "style" | "flash" | "comments" | "comment" | "notes" => Field::DisplayOnly,
        "repeat_count" | "jr:count" | "bind::jr:count" => Field::Unsupported("repeats are not supported"),
        "image" | "audio" | "video" | "big-image" | "media::image" | "media::audio" | "media::video"
        | "media::big-image" => Field::Unsupported("media (images, audio, video) are not supported"),
        "parameters" => Field::Unsupported("parameters (randomize, seed, start/end/step, …) are not supported"),
        "intent" | "body::intent" => Field::Unsupported("launching another app (intent) is not supported"),
        "save_to" => Field::Unsupported("entities (save_to) are not supported"),
        // SurveyCTO writes `media:image:english` with single colons.
        b if b.starts_with("media:") => Field::Unsupported("media (images, audio, video) are not supported"),
        b if b.starts_with("quire::") => Field::Quire(b["quire::".len()..].to_owned()),
        b if b.starts_with("instance::") || b.starts_with("body::") || b.starts_with("bind::") => Field::DisplayOnly,
        _ => Field::Other,
    }
}

/// The headers of one sheet. A translated header whose language cannot be mapped is a problem naming the column
/// (a warning only when the column is empty: templates carry such placeholders).
pub(crate) fn parse(table: &Table, problems: &mut Problems) -> Vec<Column> {
    let mut columns = Vec::new();
    for (index, header) in table.headers.iter().enumerate().filter(|(_, h)| !h.trim().is_empty()) {
        let header = header.trim().to_owned();
        let (field, lang) = match split(&header) {
            Some(parsed) => parsed,
            None => {
                let empty = table.rows.iter().all(|r| r.get(index).is_empty());
                let at = (Some(table.header_row), Some((index, header.as_str())));
                if empty {
                    problems.warn(&table.sheet, at.0, at.1, "an empty column in a language Quire cannot tell; ignored");
                } else {
                    let message = "cannot tell which language this column is in: write it as `label::English (en)`";
                    problems.error(&table.sheet, at.0, at.1, message);
                }
                continue;
            }
        };
        let twin = columns.iter().find(|c: &&Column| {
            c.header.eq_ignore_ascii_case(&header) || (c.field == field && c.lang == lang && field.is_known())
        });
        if let Some(twin) = twin {
            let message = format!("a second `{}` column (pyxform refuses it too)", twin.header);
            problems.error(&table.sheet, Some(table.header_row), Some((index, &header)), message);
            continue;
        }
        columns.push(Column { index, header, field, lang });
    }
    columns
}

/// `None` when the header is translated into a language that cannot be mapped.
fn split(header: &str) -> Option<(Field, Option<String>)> {
    let lower = header.to_lowercase().replace(' ', "_");
    let whole = field(&lower);
    if !matches!(whole, Field::Other) {
        return Some((whole, None));
    }
    // `label::English (en)` (pyxform) or `label:hindi` (SurveyCTO); the base is everything before the first colon
    // run, the language everything after it, in its own spelling.
    let (base, lang) = match header.split_once("::").or_else(|| header.split_once(':')) {
        Some(split) => split,
        None => return Some((Field::Other, None)),
    };
    let f = field(&base.trim().to_lowercase().replace(' ', "_"));
    if !f.is_text() {
        return match f {
            Field::Other => Some((Field::Other, None)),
            f => Some((f, None)),
        };
    }
    languages::code(lang).map(|c| (f, Some(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str]) -> Table {
        let row = crate::read::Row { number: 2, cells: headers.iter().map(|_| "x".to_owned()).collect() };
        Table {
            sheet: "survey".into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            header_row: 1,
            rows: vec![row],
        }
    }

    fn one(h: &str) -> (Field, Option<String>) {
        let mut p = Problems::default();
        let c = parse(&table(&[h]), &mut p);
        assert!(p.errors.is_empty(), "{h}: {:?}", p.errors);
        (c[0].field.clone(), c[0].lang.clone())
    }

    #[test]
    fn language_spellings() {
        for h in ["label::English (en)", "label::English(en)", "label::en", "label::English", "label::english"] {
            assert_eq!(one(h), (Field::Label, Some("en".into())), "{h}");
        }
        assert_eq!(one("label:hindi"), (Field::Label, Some("hi".into())));
        assert_eq!(one("hint::Español (es)"), (Field::Hint, Some("es".into())));
        assert_eq!(one("constraint_message::French (fr)"), (Field::ConstraintMessage, Some("fr".into())));
        assert_eq!(one("jr:constraintMsg"), (Field::ConstraintMessage, None));
        assert_eq!(one("label"), (Field::Label, None));
    }

    #[test]
    fn aliases_and_own_columns() {
        assert_eq!(one("list name").0, Field::ListName);
        assert_eq!(one("bind::relevant").0, Field::Relevant);
        assert_eq!(one("quire::visible_if").0, Field::Quire("visible_if".into()));
        assert!(matches!(one("repeat_count").0, Field::Unsupported(_)));
        assert!(matches!(one("media::image::English (en)").0, Field::Unsupported(_)));
        assert!(matches!(one("media:image:english").0, Field::Unsupported(_)));
        assert_eq!(one("instance::tag").0, Field::DisplayOnly);
        assert_eq!(one("district").0, Field::Other);
    }

    #[test]
    fn a_second_column_for_the_same_thing_is_refused() {
        let mut p = Problems::default();
        let c = parse(&table(&["type", "label", "name", "Label", "label::en", "bind::relevant", "relevant"]), &mut p);
        assert_eq!(c.len(), 5);
        let cells: Vec<_> = p.errors.iter().map(|e| e.cell.clone().unwrap_or_default()).collect();
        assert_eq!(cells, ["D1", "G1"]);
    }

    #[test]
    fn an_unknown_language_names_its_column() {
        let mut p = Problems::default();
        parse(&table(&["type", "label::Klingon"]), &mut p);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].to_string(), "survey!B1 (label::Klingon): cannot tell which language this column is in: write it as `label::English (en)`");
    }
}

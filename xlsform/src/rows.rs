//! Survey rows as typed records: the type, the name, the texts in every language, the raw cells of the other
//! columns. Expressions get ASCII quotes here (spreadsheet programs turn `'` into `’`; pyxform turns them back).

use std::collections::BTreeMap;

use quire_shared::Text;

use crate::columns::{Column, Field};
use crate::problems::Problems;
use crate::read::{Row, Table};
use crate::texts::{self, Languages};
use crate::types::{self, Kind, RowType};

#[derive(Debug, Clone)]
pub(crate) struct SurveyRow {
    pub number: u32,
    pub kind: RowType,
    pub name: String,
    pub label: Option<Text>,
    pub hint: Option<Text>,
    pub required_message: Option<Text>,
    pub constraint_message: Option<Text>,
    /// Untranslated cells by field, only those with a value.
    pub cells: BTreeMap<FieldKey, String>,
    /// Quire's own columns (`quire::visible_if` → `visible_if`).
    pub quire: BTreeMap<String, String>,
}

/// The untranslated fields a row may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FieldKey {
    Required,
    Relevant,
    Constraint,
    Calculation,
    Default,
    ReadOnly,
    ChoiceFilter,
    Appearance,
    Trigger,
}

impl FieldKey {
    pub fn of(field: &Field) -> Option<FieldKey> {
        Some(match field {
            Field::Required => FieldKey::Required,
            Field::Relevant => FieldKey::Relevant,
            Field::Constraint => FieldKey::Constraint,
            Field::Calculation => FieldKey::Calculation,
            Field::Default => FieldKey::Default,
            Field::ReadOnly => FieldKey::ReadOnly,
            Field::ChoiceFilter => FieldKey::ChoiceFilter,
            Field::Appearance => FieldKey::Appearance,
            Field::Trigger => FieldKey::Trigger,
            _ => return None,
        })
    }

    fn is_expression(self) -> bool {
        !matches!(self, FieldKey::Appearance | FieldKey::ReadOnly)
    }
}

impl SurveyRow {
    pub fn cell(&self, key: FieldKey) -> Option<&str> {
        self.cells.get(&key).map(String::as_str)
    }
}

pub(crate) fn parse(table: &Table, columns: &[Column], langs: &Languages, problems: &mut Problems) -> Vec<SurveyRow> {
    let sheet = table.sheet.as_str();
    let type_col = columns.iter().find(|c| c.field == Field::Type);
    let Some(type_col) = type_col else {
        problems.error(sheet, Some(table.header_row), None, "the survey sheet needs a `type` column");
        return Vec::new();
    };
    let name_col = columns.iter().find(|c| c.field == Field::Name);
    if name_col.is_none() {
        problems.error(sheet, Some(table.header_row), None, "the survey sheet needs a `name` column");
    }
    ignored_columns(table, columns, problems);
    let mut rows = Vec::new();
    for row in &table.rows {
        let type_text = row.get(type_col.index).to_owned();
        if type_text.is_empty() {
            // pyxform skips a row without a type; one that holds anything else is likely a mistake.
            problems.warn(sheet, Some(row.number), Some((type_col.index, &type_col.header)), "no type: row ignored");
            continue;
        }
        if type_text.chars().any(char::is_uppercase) {
            let message = "pyxform reads types in lower case only (ODK tools refuse this row); Quire reads it anyway";
            problems.warn(sheet, Some(row.number), Some((type_col.index, &type_col.header)), message);
        }
        if type_text.eq_ignore_ascii_case("calculate_here") {
            let message = "SurveyCTO's `calculate_here` is taken as `calculate`: Quire computes it on every change";
            problems.warn(sheet, Some(row.number), Some((type_col.index, &type_col.header)), message);
        }
        rows.push(one(row, type_text, name_col, columns, langs, sheet, problems));
    }
    rows
}

fn one(
    row: &Row,
    type_text: String,
    name_col: Option<&Column>,
    columns: &[Column],
    langs: &Languages,
    sheet: &str,
    problems: &mut Problems,
) -> SurveyRow {
    // A metadata row is ignored: what its texts lack is no one's concern.
    let mut quiet = Problems::default();
    let metadata = matches!(types::parse(&type_text), RowType::Metadata(_));
    let problems = if metadata { &mut quiet } else { problems };
    let mut text = |f: Field| texts::text(row, columns, &f, langs, sheet, problems);
    let (label, hint) = (text(Field::Label), text(Field::Hint));
    let (required_message, constraint_message) = (text(Field::RequiredMessage), text(Field::ConstraintMessage));
    let mut cells = BTreeMap::new();
    let mut quire = BTreeMap::new();
    for c in columns {
        let v = row.get(c.index);
        if v.is_empty() {
            continue;
        }
        if let Some(key) = FieldKey::of(&c.field) {
            let v = if key.is_expression() { ascii_quotes(v) } else { v.to_owned() };
            cells.insert(key, v);
        } else if let Field::Quire(name) = &c.field {
            quire.insert(name.clone(), v.to_owned());
        }
    }
    let kind = match (types::parse(&type_text), cells.get(&FieldKey::Calculation)) {
        (RowType::Question(Kind::Calculate), Some(c)) if is_device_metadata(c) => RowType::Metadata(c.clone()),
        (kind, _) => kind,
    };
    SurveyRow {
        number: row.number,
        kind,
        name: name_col.map(|c| row.get(c.index).to_owned()).unwrap_or_default(),
        label,
        hint,
        required_message,
        constraint_message,
        cells,
        quire,
    }
}

/// A column Quire does not read is named once, with how many rows hold a value: refused when it changes what the
/// form does, a warning when it only changes how it looks or is the researcher's own.
fn ignored_columns(table: &Table, columns: &[Column], problems: &mut Problems) {
    for c in columns {
        let rows: Vec<u32> = table.rows.iter().filter(|r| !r.get(c.index).is_empty()).map(|r| r.number).collect();
        let Some(&first) = rows.first() else { continue };
        let at = Some((c.index, c.header.as_str()));
        let n = rows.len();
        match &c.field {
            Field::Unsupported(why) => problems.error(&table.sheet, Some(first), at, format!("{why} ({n} rows)")),
            Field::DisplayOnly => problems.warn(
                &table.sheet,
                Some(first),
                at,
                format!("only changes how ODK shows a form; ignored ({n} rows)"),
            ),
            Field::Other | Field::ListName => {
                problems.warn(&table.sheet, Some(first), at, format!("not an XLSForm column; ignored ({n} rows)"))
            }
            _ => {}
        }
    }
}

/// SurveyCTO records device metadata with calculations of its own functions (`device-info()`, `duration()`, …)
/// where ODK has metadata types: the same thing, so the same rule (ignored with a warning).
fn is_device_metadata(calculation: &str) -> bool {
    let c: String = calculation.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let c = c.strip_prefix("once(").and_then(|c| c.strip_suffix(')')).unwrap_or(&c);
    ["device-info()", "duration()", "username()", "version()", "collect-is-phone-app()", "phone-call-log()"]
        .contains(&c)
}

/// Typographic quotes → ASCII, as pyxform does for expressions.
pub(crate) fn ascii_quotes(s: &str) -> String {
    s.replace(['\u{2019}', '\u{2018}'], "'").replace(['\u{201C}', '\u{201D}'], "\"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn surveycto_device_calculations_are_metadata() {
        assert!(super::is_device_metadata("device-info()"));
        assert!(super::is_device_metadata(" once( duration() )"));
        assert!(!super::is_device_metadata("duration() div 60"));
    }

    #[test]
    fn typographic_quotes_become_ascii() {
        assert_eq!(
            super::ascii_quotes("${a} = \u{2018}yes\u{2019} or ${b} = \u{201C}no\u{201D}"),
            "${a} = 'yes' or ${b} = \"no\""
        );
    }
}

//! The `choices` sheet: lists of choices by list name. Columns other than `list_name`, `name` and the labels become
//! the choice's `columns`, which a `choice_filter` reads.

use std::collections::{BTreeMap, HashMap};

use quire_shared::Choice;

use crate::columns::{Column, Field};
use crate::problems::Problems;
use crate::read::Table;
use crate::texts::{self, Languages};

/// A choice with the spreadsheet row it came from.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub row: u32,
    pub choice: Choice,
}

pub(crate) type Lists = HashMap<String, Vec<Located>>;

pub(crate) fn parse(table: &Table, columns: &[Column], langs: &Languages, problems: &mut Problems) -> Lists {
    let sheet = table.sheet.as_str();
    let mut lists = Lists::new();
    let list_col = columns.iter().find(|c| c.field == Field::ListName);
    let name_col = columns.iter().find(|c| c.field == Field::Name);
    if table.rows.is_empty() {
        return lists;
    }
    let (Some(list_col), Some(name_col)) = (list_col, name_col) else {
        problems.error(sheet, Some(table.header_row), None, "the choices sheet needs `list_name` and `name` columns");
        return lists;
    };
    for c in columns.iter().filter(|c| matches!(c.field, Field::Unsupported(_) | Field::DisplayOnly)) {
        let rows: Vec<u32> = table.rows.iter().filter(|r| !r.get(c.index).is_empty()).map(|r| r.number).collect();
        if let (Field::Unsupported(why), Some(&first)) = (&c.field, rows.first()) {
            problems.error(sheet, Some(first), Some((c.index, &c.header)), format!("{why} ({} rows)", rows.len()));
        }
    }
    let extra: Vec<&Column> = columns
        .iter()
        .filter(|c| {
            !matches!(
                c.field,
                Field::ListName | Field::Name | Field::Label | Field::Unsupported(_) | Field::DisplayOnly
            )
        })
        .collect();
    for row in &table.rows {
        let list = row.get(list_col.index);
        let name = row.get(name_col.index);
        if list.is_empty() {
            problems.error(sheet, Some(row.number), Some((list_col.index, &list_col.header)), "no list name");
            continue;
        }
        if name.is_empty() {
            problems.error(sheet, Some(row.number), Some((name_col.index, &name_col.header)), "a choice needs a name");
            continue;
        }
        let label = texts::text(row, columns, &Field::Label, langs, sheet, problems).unwrap_or_default();
        let columns: BTreeMap<String, String> = extra
            .iter()
            .filter(|c| !row.get(c.index).is_empty())
            .map(|c| (c.header.clone(), row.get(c.index).to_owned()))
            .collect();
        let choice = Choice { code: name.to_owned(), label, columns };
        lists.entry(list.to_owned()).or_default().push(Located { row: row.number, choice });
    }
    duplicates(&lists, sheet, name_col, problems);
    lists
}

/// pyxform refuses a list that names a choice twice (unless `allow_choice_duplicates`): answers could not tell them
/// apart.
fn duplicates(lists: &Lists, sheet: &str, name_col: &Column, problems: &mut Problems) {
    for (list, choices) in lists {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for c in choices {
            if let Some(first) = seen.insert(&c.choice.code, c.row) {
                let message = format!("list `{list}` names `{}` twice (first on row {first})", c.choice.code);
                problems.error(sheet, Some(c.row), Some((name_col.index, &name_col.header)), message);
            }
        }
    }
}

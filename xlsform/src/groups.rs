//! `begin group` … `end group` → a tree of rows. Metadata rows leave the tree with a warning; refused rows with an
//! error; unbalanced groups are errors at the row that opens or closes them.

use crate::problems::Problems;
use crate::rows::SurveyRow;
use crate::types::RowType;

#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// Index of a question row in the survey rows.
    Question(usize),
    Group(Group),
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// Index of the `begin group` row.
    pub row: usize,
    pub items: Vec<Item>,
}

pub(crate) fn tree(
    rows: &[SurveyRow],
    sheet: &str,
    type_col: Option<(usize, &str)>,
    problems: &mut Problems,
) -> Vec<Item> {
    let mut stack: Vec<Group> = Vec::new();
    let mut top: Vec<Item> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let item = match &r.kind {
            RowType::Question(_) => Item::Question(i),
            RowType::BeginGroup => {
                stack.push(Group { row: i, items: Vec::new() });
                continue;
            }
            RowType::EndGroup => match stack.pop() {
                Some(g) => Item::Group(g),
                None => {
                    problems.error(sheet, Some(r.number), type_col, "`end group` without a `begin group` before it");
                    continue;
                }
            },
            RowType::Metadata(m) => {
                let message = format!(
                    "`{}` ({m}) is recorded by the data collection device, not asked; Quire ignores it",
                    r.name
                );
                problems.warn(sheet, Some(r.number), type_col, message);
                continue;
            }
            RowType::Refused(why) => {
                problems.error(sheet, Some(r.number), type_col, why.clone());
                continue;
            }
        };
        match stack.last_mut() {
            Some(g) => g.items.push(item),
            None => top.push(item),
        }
    }
    // Groups left open: each is an error; their rows are kept so that later checks still see them.
    while let Some(g) = stack.pop() {
        let name = &rows[g.row].name;
        problems.error(sheet, Some(rows[g.row].number), type_col, format!("group `{name}` has no `end group`"));
        match stack.last_mut() {
            Some(outer) => outer.items.push(Item::Group(g)),
            None => top.push(Item::Group(g)),
        }
    }
    top
}

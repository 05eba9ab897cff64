//! Quire's own columns, for what XLSForm has no column for, so that a survey exported from Quire imports back the
//! same: `quire::visible_if` (a JSON condition), `quire::from_roster`, `quire::required_if` (beside `required`),
//! `quire::min`/`quire::max` on numbers, `quire::min_selected`/`quire::max_selected` on `select_multiple`,
//! `quire::max_length` on `text` (default 10000).

use quire_shared::{Condition, Question, QuestionKind, RosterField};

use crate::columns::Field;
use crate::ctx::Ctx;
use crate::rows::SurveyRow;

pub(crate) fn apply(ctx: &mut Ctx<'_>, r: &SurveyRow, q: &mut Question) {
    for (name, value) in &r.quire {
        if let Err(message) = one(q, name, value) {
            ctx.error(r.number, Some(Field::Quire(name.clone())), message);
        }
    }
}

fn one(q: &mut Question, name: &str, value: &str) -> Result<(), String> {
    match (name, &mut q.kind) {
        ("visible_if", _) => q.visible_if = Some(condition(value)?),
        ("from_roster", _) => q.from_roster = Some(roster(value)?),
        ("required_if", _) => q.required_if = Some(value.to_owned()),
        ("min", QuestionKind::Number { min, .. }) => *min = Some(number(value)?),
        ("max", QuestionKind::Number { max, .. }) => *max = Some(number(value)?),
        ("min_selected", QuestionKind::MultipleChoice { min_selected, .. }) => *min_selected = Some(count(value)?),
        ("max_selected", QuestionKind::MultipleChoice { max_selected, .. }) => *max_selected = Some(count(value)?),
        ("max_length", QuestionKind::FreeText { max_length, .. }) => *max_length = count(value)?,
        ("min" | "max" | "min_selected" | "max_selected" | "max_length", kind) => {
            return Err(format!("does not apply to a {} question", kind.name()))
        }
        _ => return Err(format!("`quire::{name}` is not a column Quire knows")),
    }
    Ok(())
}

pub(crate) fn condition(value: &str) -> Result<Condition, String> {
    serde_json::from_str(value).map_err(|e| format!("not a Quire condition (JSON): {e}"))
}

pub(crate) fn roster(value: &str) -> Result<RosterField, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| format!("`{value}` is not a roster column (school, district, class, role, grade, language)"))
}

fn number(value: &str) -> Result<f64, String> {
    value.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| format!("`{value}` is not a number"))
}

fn count(value: &str) -> Result<u32, String> {
    value.parse::<u32>().map_err(|_| format!("`{value}` is not a whole number"))
}

//! The `appearance` column of a question. Two words change the question Quire asks (`minimal`/`autocomplete` on a
//! `select_one` → a dropdown; `multiline` on `text`); a few change what is collected and are refused (`search()`,
//! external apps `ex:…`, dates asked as `month-year` or `year`); every other word only changes how ODK draws the
//! question and is accepted with a warning.

use crate::columns::Field;
use crate::ctx::Ctx;
use crate::rows::{FieldKey, SurveyRow};
use crate::types::Kind;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Look {
    pub dropdown: bool,
    pub multiline: bool,
}

pub(crate) fn parse(ctx: &mut Ctx<'_>, r: &SurveyRow, kind: &Kind) -> Look {
    let mut look = Look::default();
    let Some(appearance) = r.cell(FieldKey::Appearance) else { return look };
    if appearance.contains("search(") {
        ctx.error(r.number, Some(Field::Appearance), "search() (choices from an external file) is not supported");
        return look;
    }
    let mut shown_only = Vec::new();
    for word in appearance.split_whitespace() {
        match (kind, word) {
            (Kind::SelectOne { .. }, "minimal" | "autocomplete") => look.dropdown = true,
            (Kind::Text, "multiline") => look.multiline = true,
            (Kind::Date, "month-year" | "year") => ctx.error(
                r.number,
                Some(Field::Appearance),
                format!("`{word}`: Quire asks a full date; dates by month or year are not supported"),
            ),
            (_, w) if w.starts_with("ex:") || w.starts_with("printer:") => {
                ctx.error(r.number, Some(Field::Appearance), format!("`{w}`: launching another app is not supported"))
            }
            (_, w) => shown_only.push(w),
        }
    }
    if !shown_only.is_empty() {
        let words = shown_only.join(" ");
        ctx.warn(r.number, Some(Field::Appearance), format!("`{words}` only changes how ODK draws it; ignored"));
    }
    look
}

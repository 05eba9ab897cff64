//! Every expression cell parsed with Quire's engine (`quire_shared::expr`) and checked at its cell: it must parse
//! (functions Quire lacks — `pulldata()`, `instance()`, platform functions — are refused by the parser), every
//! `${name}` must name a question the survey has, and the bare names of a `choice_filter` must be columns of its
//! list. A reference to a metadata row (`${start}`, `${deviceid}`) is refused: Quire does not collect those values.
//! Cells are checked as written, before a nested group's `relevant` joins its questions', so a problem points at
//! the cell that holds it.

use std::collections::HashSet;

use quire_shared::expr::Expr;

use crate::build;
use crate::columns::Field;
use crate::ctx::Ctx;
use crate::rows::{FieldKey, SurveyRow};
use crate::types::{Kind, RowType};

/// A calculation that reads only metadata (`${end} - ${start}`, a module's duration from SurveyCTO's `duration()`)
/// is metadata too: ignored with a warning, as the rows it reads are. Rows are taken in order, so a chain of such
/// calculations goes the same way.
pub(crate) fn metadata_closure(rows: &mut [SurveyRow]) {
    let mut metadata: HashSet<String> =
        rows.iter().filter(|r| matches!(r.kind, RowType::Metadata(_))).map(|r| r.name.clone()).collect();
    for r in rows.iter_mut() {
        let RowType::Question(Kind::Calculate) = r.kind else { continue };
        let Some(expr) = r.cell(FieldKey::Calculation).and_then(|c| Expr::parse(c).ok()) else { continue };
        let refs = expr.refs();
        if !refs.is_empty() && refs.iter().all(|n| metadata.contains(*n)) {
            let names: Vec<String> = refs.iter().map(|n| format!("`{n}`")).collect();
            r.kind = RowType::Metadata(format!("a calculation from {} only", names.join(", ")));
            metadata.insert(r.name.clone());
        }
    }
}

/// Names a reference may use: every question and Likert statement the survey has.
pub(crate) fn check(ctx: &mut Ctx<'_>, rows: &[SurveyRow], known: &HashSet<String>) {
    for r in rows.iter().filter(|r| matches!(r.kind, RowType::Question(_) | RowType::BeginGroup)) {
        let mut cells: Vec<(Field, &str)> = [
            (FieldKey::Relevant, Field::Relevant),
            (FieldKey::Constraint, Field::Constraint),
            (FieldKey::Calculation, Field::Calculation),
            (FieldKey::ChoiceFilter, Field::ChoiceFilter),
            (FieldKey::Required, Field::Required),
        ]
        .into_iter()
        .filter_map(|(key, field)| r.cell(key).map(|v| (field, v)))
        .filter(|(field, v)| *field != Field::Required || build::yes_no(v).is_none())
        .collect();
        if let Some(v) = r.quire.get("required_if") {
            cells.push((Field::Quire("required_if".into()), v));
        }
        for (field, source) in cells {
            one(ctx, rows, r, field, source, known);
        }
    }
}

fn one(ctx: &mut Ctx<'_>, rows: &[SurveyRow], r: &SurveyRow, field: Field, source: &str, known: &HashSet<String>) {
    let expr = match Expr::parse(source) {
        Ok(e) => e,
        Err(e) => {
            ctx.error(r.number, Some(field), explain(&e.to_string()));
            return;
        }
    };
    for name in expr.refs() {
        if known.contains(name) {
            continue;
        }
        let row = rows.iter().find(|o| o.name == name);
        let message = match row.map(|o| &o.kind) {
            Some(RowType::Metadata(m)) => format!("reads `{name}` (`{m}`), which Quire does not collect"),
            // Refused already at its own row: saying it again here would be the same problem twice.
            Some(RowType::Refused(_) | RowType::BeginGroup | RowType::EndGroup) => continue,
            Some(RowType::Question(_)) => continue,
            None => format!("`{name}` names no row of the form"),
        };
        ctx.error(r.number, Some(field.clone()), message);
    }
    if field == Field::ChoiceFilter {
        filter_columns(ctx, r, &expr);
    }
}

/// The engine's reason, with what it means for a form where the cause is a known family of features.
fn explain(message: &str) -> String {
    let why = match message {
        m if m.contains("`pulldata()`") => "pulldata() reads an external CSV file, which Quire does not have",
        m if m.contains("`instance()`") => "instance() reads a list or external data as a node-set, not supported",
        m if ["indexed-repeat()", "position()", "index()", "count()", "sum()"].iter().any(|f| m.contains(f)) => {
            "a function over repeats or node-sets; repeats are not supported"
        }
        m if m.contains("character `[`") => "`[…]` filters a node-set (external data or a repeat), not supported",
        m if [
            "duration()",
            "device-info()",
            "item-at()",
            "difference-in-months()",
            "de-duplicate()",
            "choice-label()",
        ]
        .iter()
        .any(|f| m.contains(f)) =>
        {
            "a SurveyCTO function, not an ODK one"
        }
        _ => return message.to_owned(),
    };
    format!("{message}: {why}")
}

/// A choice filter's bare names are the choices sheet's columns (or `name`, `label`) of the question's list.
fn filter_columns(ctx: &mut Ctx<'_>, r: &SurveyRow, expr: &Expr) {
    let RowType::Question(Kind::SelectOne { list, .. } | Kind::SelectMultiple { list, .. }) = &r.kind else { return };
    let Some(choices) = ctx.lists.get(list) else { return };
    let columns: HashSet<&str> = choices.iter().flat_map(|c| c.choice.columns.keys()).map(String::as_str).collect();
    let missing: Vec<String> = expr
        .columns()
        .into_iter()
        .filter(|c| !columns.contains(c) && !matches!(*c, "name" | "label"))
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        let message = format!("reads {} of list `{list}`, which no choice has", missing.join(", "));
        ctx.error(r.number, Some(Field::ChoiceFilter), message);
    }
}

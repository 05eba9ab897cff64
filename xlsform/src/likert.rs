//! A group that is a Likert matrix: `table-list` (or `likert`) appearance, rows that are all `select_one` over one
//! list, optionally led by ODK's header row (a note, or a `select_one` of the same list with appearance `label`).
//! It becomes one `likert` question: id = the group's name, text = its label, scale = the list, statements = the
//! rows. Question-level columns (relevant, hint, required, Quire's columns) are read from the group's row; the rows
//! may say `required` instead, all alike.

use quire_shared::{QuestionKind, Statement};

use crate::build;
use crate::columns::Field;
use crate::ctx::Ctx;
use crate::groups::{Group, Item};
use crate::placed::Placed;
use crate::quire_columns;
use crate::rows::{FieldKey, SurveyRow};
use crate::types::{Kind, RowType};

/// `Some` when the group is a matrix (built, or `None` inside when its rows had errors).
pub(crate) fn detect(ctx: &mut Ctx<'_>, rows: &[SurveyRow], g: &Group) -> Option<Option<Placed>> {
    let head = &rows[g.row];
    let appearance = head.cell(FieldKey::Appearance).unwrap_or("");
    let table = appearance.split_whitespace().any(|w| w == "table-list" || w == "likert");
    let mut members: Vec<&SurveyRow> = Vec::new();
    for item in &g.items {
        match item {
            Item::Question(i) => members.push(&rows[*i]),
            Item::Group(_) => return not_a_matrix(ctx, head, table),
        }
    }
    let lead = members.first().filter(|r| is_header_row(r, members.get(1).copied())).copied();
    let statements = if lead.is_some() { &members[1..] } else { &members[..] };
    let list = match statements.first().map(|r| &r.kind) {
        Some(RowType::Question(Kind::SelectOne { list, or_other: false })) => list,
        _ => return not_a_matrix(ctx, head, table),
    };
    let likert_rows = statements.iter().all(|r| r.cell(FieldKey::Appearance).is_some_and(|a| a.contains("likert")));
    if !(table || likert_rows && statements.len() > 1) {
        return None;
    }
    if !statements.iter().all(|r| is_statement(r, list)) {
        return not_a_matrix(ctx, head, table);
    }
    Some(build(ctx, head, lead, statements, list))
}

fn not_a_matrix<T>(ctx: &mut Ctx<'_>, head: &SurveyRow, table: bool) -> Option<T> {
    if table {
        let message = "a table-list group that is not a matrix of select_one rows over one list (with nothing else on \
                       them): its questions are asked one by one";
        ctx.warn(head.number, Some(Field::Appearance), message);
    }
    None
}

fn is_header_row(first: &SurveyRow, next: Option<&SurveyRow>) -> bool {
    match (&first.kind, next.map(|n| &n.kind)) {
        (RowType::Question(Kind::Note), Some(_)) => true,
        (
            RowType::Question(Kind::SelectOne { list, .. }),
            Some(RowType::Question(Kind::SelectOne { list: l2, .. })),
        ) => list == l2 && first.cell(FieldKey::Appearance).is_some_and(|a| a.split_whitespace().any(|w| w == "label")),
        _ => false,
    }
}

/// A row that can be a statement: the matrix's list, and nothing a statement cannot hold.
fn is_statement(r: &SurveyRow, list: &str) -> bool {
    let same_list = matches!(&r.kind, RowType::Question(Kind::SelectOne { list: l, or_other: false }) if l == list);
    let only_shown = r.cells.keys().all(|k| matches!(k, FieldKey::Required | FieldKey::Appearance));
    same_list && only_shown && r.quire.is_empty() && r.hint.is_none() && r.label.is_some()
}

fn build(
    ctx: &mut Ctx<'_>,
    head: &SurveyRow,
    lead: Option<&SurveyRow>,
    statements: &[&SurveyRow],
    list: &str,
) -> Option<Placed> {
    let located = ctx.list(head.number, list)?;
    let scale = located.iter().map(|l| l.choice.clone()).collect();
    let items = statements
        .iter()
        .map(|r| Statement { id: r.name.clone(), text: r.label.clone().unwrap_or_default() })
        .collect();
    let mut head = head.clone();
    if let Some(lead) = lead.and_then(|l| l.label.clone()) {
        match (&head.label, &head.hint) {
            (None, _) => head.label = Some(lead),
            (Some(_), None) => head.hint = Some(lead),
            (Some(_), Some(_)) => {
                ctx.warn(head.number, None, "the matrix's header row is not kept (the group has a label and a hint)")
            }
        }
    }
    let kind = QuestionKind::Likert { scale, statements: items };
    let mut q = build_head(ctx, &head, kind)?;
    if !q.required && q.required_if.is_none() {
        let said: Vec<Option<&str>> = statements.iter().map(|r| r.cell(FieldKey::Required)).collect();
        if said.iter().all(|s| *s == said[0]) {
            (q.required, q.required_if) = build::required(said[0]);
        } else {
            ctx.warn(
                head.number,
                Some(Field::Required),
                "the rows differ in `required`: the matrix is asked as optional",
            );
        }
    }
    let mut placed = Placed::new(q, head.number, located.iter().map(|l| l.row).collect());
    placed.statement_rows = statements.iter().map(|r| r.number).collect();
    Some(placed)
}

fn build_head(ctx: &mut Ctx<'_>, head: &SurveyRow, kind: QuestionKind) -> Option<quire_shared::Question> {
    let mut q = build::common(ctx, head, kind)?;
    quire_columns::apply(ctx, head, &mut q);
    Some(q)
}

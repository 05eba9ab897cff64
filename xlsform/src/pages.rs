//! The group tree → pages. A top-level group is a page (id = its name, title = its label or else its name, its
//! `relevant` → the page's). Each run of consecutive top-level questions outside any group becomes a page of its
//! own titled by the form's title, except a run of calculations only, which joins the page before it (or after it,
//! at the start). A nested group becomes a `section` heading on its first question (nested labels are joined with
//! " — "), and its `relevant` is AND-ed into each of its questions'. A Likert group (`likert`) is one question
//! wherever it stands.

use quire_shared::{QuestionKind, Text};

use crate::build;
use crate::columns::Field;
use crate::ctx::Ctx;
use crate::groups::{Group, Item};
use crate::likert;
use crate::placed::{self, Placed};
use crate::quire_columns;
use crate::rows::{FieldKey, SurveyRow};
use crate::types::RowType;

#[derive(Debug)]
pub(crate) struct PageDraft {
    pub id: String,
    pub title: Text,
    pub relevant: Option<String>,
    pub visible_if: Option<quire_shared::Condition>,
    /// The group's row; `None` for a page gathered from ungrouped questions.
    pub row: Option<u32>,
    pub questions: Vec<Placed>,
}

enum Segment {
    Run(Vec<Placed>),
    Page(PageDraft),
}

pub(crate) fn pages(ctx: &mut Ctx<'_>, rows: &[SurveyRow], top: &[Item], title: &Text) -> Vec<PageDraft> {
    let mut segments: Vec<Segment> = Vec::new();
    for item in top {
        let group = match item {
            Item::Group(g) => g,
            Item::Question(_) => {
                let mut out = Vec::new();
                flatten(ctx, rows, std::slice::from_ref(item), &[], &mut out);
                push_run(&mut segments, out);
                continue;
            }
        };
        match likert::detect(ctx, rows, group) {
            Some(built) => push_run(&mut segments, built.into_iter().collect()),
            None => segments.push(Segment::Page(page(ctx, rows, group))),
        }
    }
    join_runs(segments, title)
}

fn push_run(segments: &mut Vec<Segment>, questions: Vec<Placed>) {
    match segments.last_mut() {
        Some(Segment::Run(run)) => run.extend(questions),
        _ => segments.push(Segment::Run(questions)),
    }
}

fn page(ctx: &mut Ctx<'_>, rows: &[SurveyRow], g: &Group) -> PageDraft {
    let head = &rows[g.row];
    group_row_checks(ctx, head, true);
    let mut questions = Vec::new();
    flatten(ctx, rows, &g.items, &[], &mut questions);
    let visible_if = head.quire.get("visible_if").and_then(|v| match quire_columns::condition(v) {
        Ok(c) => Some(c),
        Err(e) => {
            ctx.error(head.number, Some(Field::Quire("visible_if".into())), e);
            None
        }
    });
    let id = if head.name.is_empty() {
        ctx.error(head.number, Some(Field::Name), "a group needs a name");
        format!("group_{}", head.number)
    } else {
        head.name.clone()
    };
    PageDraft {
        title: head.label.clone().unwrap_or_else(|| Text::one(&ctx.langs.default, &id)),
        id,
        relevant: head.cell(FieldKey::Relevant).map(str::to_owned),
        visible_if,
        row: Some(head.number),
        questions,
    }
}

/// Columns a group row does not use: warned, so that nothing is dropped unseen.
fn group_row_checks(ctx: &mut Ctx<'_>, head: &SurveyRow, page: bool) {
    for key in head.cells.keys() {
        let field = match key {
            FieldKey::Relevant => continue,
            FieldKey::Appearance => {
                let a = head.cell(FieldKey::Appearance).unwrap_or_default();
                let message = format!("`{a}` only changes how ODK draws the group; ignored");
                ctx.warn(head.number, Some(Field::Appearance), message);
                continue;
            }
            FieldKey::Required => Field::Required,
            FieldKey::Constraint => Field::Constraint,
            FieldKey::Calculation => Field::Calculation,
            FieldKey::Default => Field::Default,
            FieldKey::ReadOnly => Field::ReadOnly,
            FieldKey::ChoiceFilter => Field::ChoiceFilter,
            FieldKey::Trigger => Field::Trigger,
        };
        ctx.warn(head.number, Some(field), "has no meaning on a group; ignored");
    }
    if head.hint.is_some() {
        ctx.warn(head.number, Some(Field::Hint), "a group's hint is not shown by Quire; ignored");
    }
    for name in head.quire.keys().filter(|n| !(page && *n == "visible_if")) {
        ctx.error(head.number, Some(Field::Quire(name.clone())), "Quire reads this column on a page's group only");
    }
}

/// Questions of `items` in order, nested groups flattened into sections.
fn flatten(ctx: &mut Ctx<'_>, rows: &[SurveyRow], items: &[Item], outer: &[(String, u32)], out: &mut Vec<Placed>) {
    for item in items {
        match item {
            Item::Question(i) => {
                let r = &rows[*i];
                let RowType::Question(kind) = &r.kind else { continue };
                let Some(b) = build::question(ctx, r, kind) else { continue };
                let choice_rows = b.choice_rows;
                let mut p = Placed::new(b.question, b.row, choice_rows);
                inherit(&mut p, outer);
                out.push(p);
                if let Some(other) = b.other {
                    out.push(Placed::new(other, r.number, Vec::new()));
                }
            }
            Item::Group(g) => {
                if let Some(built) = likert::detect(ctx, rows, g) {
                    out.extend(built.map(|mut p| {
                        inherit(&mut p, outer);
                        p
                    }));
                    continue;
                }
                nested(ctx, rows, g, outer, out);
            }
        }
    }
}

fn nested(ctx: &mut Ctx<'_>, rows: &[SurveyRow], g: &Group, outer: &[(String, u32)], out: &mut Vec<Placed>) {
    let head = &rows[g.row];
    group_row_checks(ctx, head, false);
    let mut chain = outer.to_vec();
    if let Some(r) = head.cell(FieldKey::Relevant) {
        chain.push((r.to_owned(), head.number));
    }
    let start = out.len();
    flatten(ctx, rows, &g.items, &chain, out);
    let (Some(first), Some(label)) = (out.get_mut(start), &head.label) else { return };
    first.question.section = Some(match first.question.section.take() {
        None => label.clone(),
        Some(inner) => join_sections(label, &inner),
    });
    first.section_row = Some(head.number);
}

fn join_sections(outer: &Text, inner: &Text) -> Text {
    let mut t = outer.clone();
    for (lang, s) in &inner.0 {
        let joined = match outer.0.get(lang) {
            Some(o) => format!("{o} — {s}"),
            None => s.clone(),
        };
        t.0.insert(lang.clone(), joined);
    }
    t
}

fn inherit(p: &mut Placed, outer: &[(String, u32)]) {
    if outer.is_empty() {
        return;
    }
    let exprs: Vec<String> = outer.iter().map(|(e, _)| e.clone()).collect();
    if p.question.relevant.is_none() {
        p.relevant_row = outer.last().map(|(_, r)| *r);
    }
    p.question.relevant = placed::and(&exprs, p.question.relevant.as_deref());
}

/// Runs of ungrouped questions → pages; a run of calculations only joins a neighbouring page.
fn join_runs(segments: Vec<Segment>, title: &Text) -> Vec<PageDraft> {
    let mut pages: Vec<PageDraft> = Vec::new();
    let mut pending: Vec<Placed> = Vec::new();
    let mut n = 0;
    for s in segments {
        match s {
            Segment::Page(mut p) => {
                p.questions.splice(0..0, std::mem::take(&mut pending));
                pages.push(p);
            }
            Segment::Run(run) if run.iter().all(|p| matches!(p.question.kind, QuestionKind::Calculate { .. })) => {
                match pages.last_mut() {
                    Some(last) => last.questions.extend(run),
                    None => pending.extend(run),
                }
            }
            Segment::Run(mut run) => {
                n += 1;
                run.splice(0..0, std::mem::take(&mut pending));
                let row = None;
                let id = format!("page_{n}");
                pages.push(PageDraft {
                    id,
                    title: title.clone(),
                    relevant: None,
                    visible_if: None,
                    row,
                    questions: run,
                });
            }
        }
    }
    if !pending.is_empty() {
        let id = format!("page_{}", n + 1);
        pages.push(PageDraft {
            id,
            title: title.clone(),
            relevant: None,
            visible_if: None,
            row: None,
            questions: pending,
        });
    }
    pages
}

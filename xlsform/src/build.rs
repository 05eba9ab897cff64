//! One survey row → one Quire question: the type mapping, the columns every question has, and `or_other`.

use quire_shared::{Choice, Question, QuestionKind, Text};

use crate::columns::Field;
use crate::ctx::Ctx;
use crate::looks::{self, Look};
use crate::quire_columns;
use crate::rows::{FieldKey, SurveyRow};
use crate::types::Kind;

/// A text question's length when the form sets none: long enough for any answer a form asks in a cell.
pub const DEFAULT_MAX_LENGTH: u32 = 10_000;

/// A question built from a row, with the rows its choices came from (to locate problems) and, for `or_other`, the
/// text question that follows it.
pub(crate) struct Built {
    pub question: Question,
    pub row: u32,
    pub choice_rows: Vec<u32>,
    pub other: Option<Question>,
}

pub(crate) fn question(ctx: &mut Ctx<'_>, r: &SurveyRow, kind: &Kind) -> Option<Built> {
    let look = looks::parse(ctx, r, kind);
    let (kind, choice_rows, or_other) = question_kind(ctx, r, kind, &look)?;
    let mut q = common(ctx, r, kind)?;
    quire_columns::apply(ctx, r, &mut q);
    let other = or_other.then(|| other_question(ctx, &q));
    Some(Built { question: q, row: r.number, choice_rows, other })
}

type KindParts = (QuestionKind, Vec<u32>, bool);

fn question_kind(ctx: &mut Ctx<'_>, r: &SurveyRow, kind: &Kind, look: &Look) -> Option<KindParts> {
    let (list, or_other) = match kind {
        Kind::SelectOne { list, or_other } | Kind::SelectMultiple { list, or_other } => (Some(list), *or_other),
        _ => (None, false),
    };
    let (mut choices, rows) = match list {
        Some(list) => {
            let located = ctx.list(r.number, list)?;
            (located.iter().map(|l| l.choice.clone()).collect::<Vec<_>>(), located.iter().map(|l| l.row).collect())
        }
        None => (Vec::new(), Vec::new()),
    };
    if or_other {
        // As pyxform does: a choice `other` and a text question `<name>_other` asked when it is chosen.
        choices.push(Choice {
            code: "other".into(),
            label: Text::one(&ctx.langs.default, "Other"),
            columns: Default::default(),
        });
    }
    let qk = match kind {
        Kind::SelectOne { .. } if look.dropdown => QuestionKind::Dropdown { choices },
        Kind::SelectOne { .. } => QuestionKind::SingleChoice { choices },
        Kind::SelectMultiple { .. } => QuestionKind::MultipleChoice { choices, min_selected: None, max_selected: None },
        Kind::Text => QuestionKind::FreeText { max_length: DEFAULT_MAX_LENGTH, multiline: look.multiline },
        Kind::Integer => QuestionKind::Number { min: None, max: None, integer: true },
        Kind::Decimal => QuestionKind::Number { min: None, max: None, integer: false },
        Kind::Date => QuestionKind::Date,
        Kind::Note => QuestionKind::Note,
        Kind::Today => {
            let message = "`today` is kept as a calculation `today()`: the day the form is filled in";
            ctx.warn(r.number, Some(Field::Type), message);
            QuestionKind::Calculate { calculation: "today()".into() }
        }
        Kind::Calculate | Kind::Hidden => match r.cell(FieldKey::Calculation) {
            Some(c) => QuestionKind::Calculate { calculation: c.to_owned() },
            None if *kind == Kind::Hidden => {
                let message = "a `hidden` row without a calculation holds a value set from outside the form, which \
                               Quire does not support";
                ctx.error(r.number, Some(Field::Type), message);
                return None;
            }
            None => {
                ctx.error(r.number, Some(Field::Calculation), "a `calculate` row needs a calculation");
                return None;
            }
        },
    };
    let qk = shown_calculation(ctx, r, qk);
    Some((qk, rows, or_other))
}

/// A read-only question (or a note) with a calculation only shows a computed value: it is taken as a `calculate`,
/// which Quire computes without showing it (a warning says so).
fn shown_calculation(ctx: &mut Ctx<'_>, r: &SurveyRow, kind: QuestionKind) -> QuestionKind {
    let Some(calculation) = r.cell(FieldKey::Calculation) else { return kind };
    let read_only = r.cell(FieldKey::ReadOnly).and_then(yes_no).unwrap_or(false);
    if matches!(kind, QuestionKind::Calculate { .. }) || !(read_only || matches!(kind, QuestionKind::Note)) {
        return kind;
    }
    let message =
        format!("a read-only {} with a calculation is taken as a calculation, which Quire does not show", kind.name());
    ctx.warn(r.number, Some(Field::Calculation), message);
    QuestionKind::Calculate { calculation: calculation.to_owned() }
}

/// The columns every question has.
pub(crate) fn common(ctx: &mut Ctx<'_>, r: &SurveyRow, kind: QuestionKind) -> Option<Question> {
    if r.name.is_empty() {
        ctx.error(r.number, Some(Field::Name), "a question needs a name");
        return None;
    }
    let is_calculate = matches!(kind, QuestionKind::Calculate { .. });
    let (text, help) = match (&r.label, &r.hint) {
        (Some(l), h) => (l.clone(), h.clone()),
        (None, _) if is_calculate => (Text::one(&ctx.langs.default, &r.name), r.hint.clone()),
        (None, Some(h)) => (h.clone(), None),
        (None, None) => {
            ctx.error(r.number, Some(Field::Label), format!("question `{}` needs a label", r.name));
            return None;
        }
    };
    if r.cell(FieldKey::Calculation).is_some() && !is_calculate {
        let message = format!(
            "a calculation on a {} question that can be answered (a computed default): only calculations of their own \
             and read-only questions are supported",
            kind.name()
        );
        ctx.error(r.number, Some(Field::Calculation), message);
    }
    if let Some(t) = r.cell(FieldKey::Trigger) {
        let message = format!("trigger `{t}` ignored: Quire recomputes every calculation on every change");
        ctx.warn(r.number, Some(Field::Trigger), message);
    }
    let (required, required_if) = required(r.cell(FieldKey::Required));
    let read_only = match r.cell(FieldKey::ReadOnly).map(yes_no) {
        Some(Some(b)) => b,
        None => false,
        Some(None) => {
            ctx.error(r.number, Some(Field::ReadOnly), "read_only as an expression is not supported (yes or no)");
            false
        }
    };
    let filter = r.cell(FieldKey::ChoiceFilter).map(str::to_owned);
    if filter.is_some() && kind.codes().is_none() {
        ctx.error(r.number, Some(Field::ChoiceFilter), "a choice filter needs a select question");
    }
    let cell = |k| r.cell(k).map(str::to_owned);
    Some(Question {
        id: r.name.clone(),
        text,
        help,
        required,
        visible_if: None,
        from_roster: None,
        relevant: cell(FieldKey::Relevant),
        required_if,
        required_message: r.required_message.clone(),
        constraint: cell(FieldKey::Constraint),
        constraint_message: r.constraint_message.clone(),
        default: cell(FieldKey::Default),
        read_only,
        choice_filter: filter,
        section: None,
        kind,
    })
}

/// pyxform's spellings of yes and no; `None` for anything else (an expression).
pub(crate) fn yes_no(cell: &str) -> Option<bool> {
    match cell {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "true()" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "false()" | "" => Some(false),
        _ => None,
    }
}

/// `required`: yes → required; no or empty → not; anything else is an expression (`required_if`).
pub(crate) fn required(cell: Option<&str>) -> (bool, Option<String>) {
    match cell.map(|c| (yes_no(c), c)) {
        None => (false, None),
        Some((Some(b), _)) => (b, None),
        Some((None, expr)) => (false, Some(expr.to_owned())),
    }
}

fn other_question(ctx: &Ctx<'_>, q: &Question) -> Question {
    let text = Text::one(&ctx.langs.default, "Specify other.");
    let kind = QuestionKind::FreeText { max_length: DEFAULT_MAX_LENGTH, multiline: false };
    Question {
        relevant: Some(format!("selected(${{{}}}, 'other')", q.id)),
        ..Question::new(format!("{}_other", q.id), text, kind)
    }
}

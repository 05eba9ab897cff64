//! One question on screen, for each kind of the shared model, accessibly: native inputs with real labels,
//! fieldset/legend for groups, errors tied to their field with `aria-describedby`, `required` announced.
//!
//! Text and number inputs are uncontrolled (their value is set once when the page is drawn) so typing never fights a
//! re-render for the caret; choice inputs follow the answers reactively.
//!
//! `field` holds what every kind shares (label, help, error, the answer held); each kind has a file of its own. A new
//! kind is a file here and an arm in `question`.

pub mod date;
pub mod dropdown;
pub mod field;
pub mod free_text;
pub mod likert;
pub mod multiple_choice;
pub mod note;
pub mod number;
pub mod single_choice;

use std::sync::Arc;

use leptos::prelude::*;
use quire_shared::{Question, QuestionKind};

use crate::run::Run;

/// The question `q` of page `page_id`, drawn for its kind.
pub fn question(run: Run, page_id: Arc<str>, q: &Question) -> AnyView {
    let field = field::Field::new(run, page_id, q);
    match &q.kind {
        QuestionKind::SingleChoice { choices } => single_choice::view(field, choices),
        QuestionKind::MultipleChoice { choices, .. } => multiple_choice::view(field, choices),
        QuestionKind::Likert { scale, statements } => likert::view(field, scale, statements),
        QuestionKind::FreeText { max_length, multiline } => free_text::view(field, *max_length, *multiline),
        QuestionKind::Number { min, max, integer } => number::view(field, *min, *max, *integer),
        QuestionKind::Dropdown { choices } => dropdown::view(field, choices),
        QuestionKind::Date => date::view(field),
        QuestionKind::Note => note::view(field),
        // Computed by the run on every change (`run.rs`), never shown.
        QuestionKind::Calculate { .. } => ().into_any(),
    }
}

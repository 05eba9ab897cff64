//! A Likert matrix: statements as rows, one radio group each, the scale as columns. On a phone the column headers
//! are hidden and each radio shows its scale point beside it.

use leptos::prelude::*;
use quire_shared::{AnswerValue, Choice, Statement};

use crate::form::field::Field;

pub fn view(field: Field, scale: &[Choice], statements: &[Statement]) -> AnyView {
    let (run, qid) = (field.run, field.qid.clone());
    // Which rows are unanswered, by their statement ids in the errors (`answers.q.s2`).
    let missing = {
        let qid = qid.clone();
        move |sid: &str| {
            let field = format!("answers.{qid}.{sid}");
            run.errors.with(|es| es.iter().any(|e| e.field == field))
        }
    };
    let head =
        scale.iter().map(|c| view! { <th scope="col" aria-hidden="true">{field.text(&c.label)}</th> }).collect_view();
    let rows = statements
        .iter()
        .map(|s| {
            let sid = s.id.clone();
            let row_id = format!("q-{qid}-{sid}");
            let cells = scale.iter().map(|c| cell(&field, &sid, &row_id, c)).collect_view();
            let invalid_row = {
                let (missing, sid) = (missing.clone(), sid.clone());
                move || missing(&sid).then_some("true")
            };
            view! {
                <tr role="radiogroup" aria-labelledby=row_id.clone() aria-invalid=invalid_row>
                    <th scope="row" id=row_id.clone()>{field.text(&s.text)}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let error = error_view(&field, statements, missing);
    let body = view! {
        <table>
            <thead><tr><td></td>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {error}
    };
    field.fieldset("q likert", body)
}

/// The error names the rows to answer, in the language on screen, so that nobody hunts for them.
fn error_view(
    field: &Field,
    statements: &[Statement],
    missing: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let (run, statements, row_error) = (field.run, statements.to_vec(), field.error());
    let default = run.default_language();
    let message = move || {
        row_error().map(|m| {
            let lang = run.lang.get();
            let rows: Vec<String> = statements
                .iter()
                .filter(|st| missing(&st.id))
                .map(|st| format!("“{}”", st.text.get(&lang, &default)))
                .collect();
            if rows.is_empty() {
                m
            } else {
                format!("{m}: {}", rows.join(", "))
            }
        })
    };
    view! { <p class="error" id=field.err_id()>{message}</p> }
}

/// One radio of a Likert row. Its accessible name is "statement, scale point".
fn cell(field: &Field, sid: &str, row_id: &str, c: &Choice) -> impl IntoView {
    let (qid, current, set) = (field.qid.clone(), field.current(), field.set());
    let code = c.code.clone();
    let label_id = format!("q-{qid}-{sid}-{code}");
    let checked = {
        let (sid, code, current) = (sid.to_owned(), code.clone(), current.clone());
        move || matches!(current(), Some(AnswerValue::Matrix(m)) if m.get(&sid) == Some(&code))
    };
    let choose = {
        let (sid, code) = (sid.to_owned(), code.clone());
        move |_| {
            let mut m = match current() {
                Some(AnswerValue::Matrix(m)) => m,
                _ => Default::default(),
            };
            m.insert(sid.clone(), code.clone());
            set(Some(AnswerValue::Matrix(m)));
        }
    };
    view! {
        <td>
            <label>
                <input type="radio" name=format!("q-{qid}-{sid}") value=code required=field.required
                    aria-labelledby=format!("{row_id} {label_id}") prop:checked=checked on:change=choose />
                <span class="scale-label" id=label_id>{field.text(&c.label)}</span>
            </label>
        </td>
    }
}

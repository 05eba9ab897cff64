//! One question on screen, for each kind of the shared model, accessibly: native inputs with real labels,
//! fieldset/legend for groups, errors tied to their field with `aria-describedby`, `required` announced.
//!
//! Text and number inputs are uncontrolled (their value is set once when the page is drawn) so typing never fights a
//! re-render for the caret; choice inputs follow the answers reactively.

use std::sync::Arc;

use leptos::prelude::*;
use quire_shared::{AnswerValue, Choice, Question, QuestionKind, Text};

use crate::run::Run;

/// A survey text in the language on screen.
fn text(run: Run, t: &Text) -> impl Fn() -> String + Send + Sync + 'static {
    let t = t.clone();
    let default = run.default_language();
    move || t.get(&run.lang.get(), &default).to_owned()
}

pub fn question(run: Run, page_id: Arc<str>, q: &Question) -> AnyView {
    let qid: Arc<str> = q.id.as_str().into();
    let visible = {
        let q = q.clone();
        move || run.question_visible(&q)
    };
    let err_id = format!("q-{qid}-err");
    let help_id = format!("q-{qid}-help");
    let describedby = if q.help.is_some() { format!("{help_id} {err_id}") } else { err_id.clone() };
    let error = {
        let qid = qid.clone();
        move || run.error_for(&qid)
    };
    let invalid = {
        let error = error.clone();
        move || error().is_some().then_some("true")
    };
    let help = q.help.as_ref().map(|h| view! { <p class="help" id=help_id.clone()>{text(run, h)}</p> });
    let label = view! {
        {text(run, &q.text)}
        {q.required.then(|| view! { <span class="req" aria-hidden="true">" *"</span> })}
    };
    let row_error = error.clone();
    let error_view = view! { <p class="error" id=err_id.clone()>{error}</p> };
    let required = q.required;
    let current = {
        let (page_id, qid) = (page_id.clone(), qid.clone());
        move || run.answer(&page_id, &qid)
    };
    let set = {
        let (page_id, qid) = (page_id.clone(), qid.clone());
        move |value: Option<AnswerValue>| run.set_answer(&page_id, &qid, value)
    };
    let kind = q.kind.name();

    match &q.kind {
        QuestionKind::SingleChoice { choices } => {
            let options = choices
                .iter()
                .map(|c| {
                    let code = c.code.clone();
                    let checked = {
                        let (current, code) = (current.clone(), code.clone());
                        move || matches!(current(), Some(AnswerValue::Choice(x)) if x == code)
                    };
                    let set = set.clone();
                    view! {
                        <label class="opt">
                            <input type="radio" name=format!("q-{qid}") value=code.clone() required=required
                                prop:checked=checked
                                on:change=move |_| set(Some(AnswerValue::Choice(code.clone()))) />
                            <span>{text(run, &c.label)}</span>
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="q" data-kind=kind data-question=qid.to_string() hidden=move || !visible()
                    aria-describedby=describedby aria-invalid=invalid>
                    <legend>{label}</legend>
                    {help}
                    <div class="opts">{options}</div>
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        QuestionKind::MultipleChoice { choices, .. } => {
            let order: Arc<Vec<String>> = Arc::new(choices.iter().map(|c| c.code.clone()).collect());
            let options = choices
                .iter()
                .map(|c| {
                    let code = c.code.clone();
                    let checked = {
                        let (current, code) = (current.clone(), code.clone());
                        move || matches!(current(), Some(AnswerValue::Choices(xs)) if xs.contains(&code))
                    };
                    let (set, current, order) = (set.clone(), current.clone(), order.clone());
                    let toggle = move |ev: leptos::ev::Event| {
                        let mut selected = match current() {
                            Some(AnswerValue::Choices(xs)) => xs,
                            _ => Vec::new(),
                        };
                        selected.retain(|x| x != &code);
                        if event_target_checked(&ev) {
                            selected.push(code.clone());
                        }
                        // Stored in the survey's order, whatever the order of clicks.
                        selected.sort_by_key(|x| order.iter().position(|o| o == x));
                        set((!selected.is_empty()).then_some(AnswerValue::Choices(selected)));
                    };
                    view! {
                        <label class="opt">
                            <input type="checkbox" name=format!("q-{qid}") value=c.code.clone()
                                prop:checked=checked on:change=toggle />
                            <span>{text(run, &c.label)}</span>
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="q" data-kind=kind data-question=qid.to_string() hidden=move || !visible()
                    aria-describedby=describedby aria-invalid=invalid>
                    <legend>{label}</legend>
                    {help}
                    <div class="opts">{options}</div>
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        QuestionKind::Likert { scale, statements } => {
            // Which rows are unanswered, by their statement ids in the errors (`answers.q.s2`).
            let missing = {
                let (qid, run) = (qid.clone(), run);
                move |sid: &str| {
                    let field = format!("answers.{qid}.{sid}");
                    run.errors.with(|es| es.iter().any(|e| e.field == field))
                }
            };
            // The error names the rows to answer, in the language on screen, so that nobody hunts for them.
            let error_view = {
                let (statements, missing) = (statements.clone(), missing.clone());
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
                view! { <p class="error" id=err_id.clone()>{message}</p> }
            };
            let head = scale
                .iter()
                .map(|c| view! { <th scope="col" aria-hidden="true">{text(run, &c.label)}</th> })
                .collect_view();
            let rows = statements
                .iter()
                .map(|s| {
                    let sid = s.id.clone();
                    let row_id = format!("q-{qid}-{sid}");
                    let cells = scale
                        .iter()
                        .map(|c| likert_cell(run, &qid, &sid, &row_id, c, required, current.clone(), set.clone()))
                        .collect_view();
                    let invalid_row = {
                        let (missing, sid) = (missing.clone(), sid.clone());
                        move || missing(&sid).then_some("true")
                    };
                    view! {
                        <tr role="radiogroup" aria-labelledby=row_id.clone() aria-invalid=invalid_row>
                            <th scope="row" id=row_id.clone()>{text(run, &s.text)}</th>
                            {cells}
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="q likert" data-kind=kind data-question=qid.to_string() hidden=move || !visible()
                    aria-describedby=describedby aria-invalid=invalid>
                    <legend>{label}</legend>
                    {help}
                    <table>
                        <thead><tr><td></td>{head}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        QuestionKind::FreeText { max_length, multiline } => {
            let id = format!("q-{qid}");
            let initial = match current() {
                Some(AnswerValue::Text(t)) => t,
                _ => String::new(),
            };
            let on_input = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                set((!value.trim().is_empty()).then_some(AnswerValue::Text(value)));
            };
            let input = if *multiline {
                view! {
                    <textarea id=id.clone() rows="4" maxlength=*max_length required=required
                        aria-describedby=describedby aria-invalid=invalid on:input=on_input>{initial}</textarea>
                }
                .into_any()
            } else {
                view! {
                    <input type="text" id=id.clone() maxlength=*max_length required=required value=initial
                        aria-describedby=describedby aria-invalid=invalid on:input=on_input />
                }
                .into_any()
            };
            view! {
                <div class="q" data-kind=kind data-question=qid.to_string() hidden=move || !visible()>
                    <label for=id>{label}</label>
                    {help}
                    {input}
                    {error_view}
                </div>
            }
            .into_any()
        }
        QuestionKind::Number { min, max, integer } => {
            let id = format!("q-{qid}");
            let initial = match current() {
                Some(AnswerValue::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let on_input = move |ev: leptos::ev::Event| {
                // The browser gives "" for anything that is not a number; that counts as no answer.
                let value = event_target_value(&ev);
                set(value.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(AnswerValue::Number));
            };
            view! {
                <div class="q" data-kind=kind data-question=qid.to_string() hidden=move || !visible()>
                    <label for=id.clone()>{label}</label>
                    {help}
                    <input type="number" id=id inputmode=if *integer { "numeric" } else { "decimal" }
                        step=if *integer { "1" } else { "any" } min=min.map(|m| m.to_string())
                        max=max.map(|m| m.to_string()) required=required value=initial
                        aria-describedby=describedby aria-invalid=invalid on:input=on_input />
                    {error_view}
                </div>
            }
            .into_any()
        }
        QuestionKind::Dropdown { choices } => {
            let id = format!("q-{qid}");
            let options = choices
                .iter()
                .map(|c| {
                    let code = c.code.clone();
                    let selected = {
                        let (current, code) = (current.clone(), code.clone());
                        move || matches!(current(), Some(AnswerValue::Choice(x)) if x == code)
                    };
                    view! { <option value=code prop:selected=selected>{text(run, &c.label)}</option> }
                })
                .collect_view();
            let on_change = move |ev: leptos::ev::Event| {
                let value = event_target_value(&ev);
                set((!value.is_empty()).then_some(AnswerValue::Choice(value)));
            };
            let choose = move || crate::ui::t(&run.lang.get(), crate::ui::Msg::Choose);
            view! {
                <div class="q" data-kind=kind data-question=qid.to_string() hidden=move || !visible()>
                    <label for=id.clone()>{label}</label>
                    {help}
                    <select id=id required=required aria-describedby=describedby aria-invalid=invalid
                        on:change=on_change>
                        <option value="">{choose}</option>
                        {options}
                    </select>
                    {error_view}
                </div>
            }
            .into_any()
        }
    }
}

/// One radio of a Likert row. Its accessible name is "statement, scale point"; on a phone the scale point is shown
/// beside it (the column headers are hidden there).
#[allow(clippy::too_many_arguments)]
fn likert_cell(
    run: Run,
    qid: &str,
    sid: &str,
    row_id: &str,
    c: &Choice,
    required: bool,
    current: impl Fn() -> Option<AnswerValue> + Clone + Send + Sync + 'static,
    set: impl Fn(Option<AnswerValue>) + Clone + Send + Sync + 'static,
) -> impl IntoView {
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
                <input type="radio" name=format!("q-{qid}-{sid}") value=code required=required
                    aria-labelledby=format!("{row_id} {label_id}") prop:checked=checked on:change=choose />
                <span class="scale-label" id=label_id>{text(run, &c.label)}</span>
            </label>
        </td>
    }
}

//! Any number of answers: checkboxes, stored in the survey's order whatever the order of clicks.

use std::sync::Arc;

use leptos::prelude::*;
use quire_shared::{AnswerValue, Choice};

use crate::form::field::Field;

pub fn view(field: Field, choices: &[Choice]) -> AnyView {
    let (current, set, qid) = (field.current(), field.set(), field.qid.clone());
    let order: Arc<Vec<String>> = Arc::new(choices.iter().map(|c| c.code.clone()).collect());
    let options = choices
        .iter()
        .map(|c| {
            let code = c.code.clone();
            let offered = field.offered(c);
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
                selected.sort_by_key(|x| order.iter().position(|o| o == x));
                set((!selected.is_empty()).then_some(AnswerValue::Choices(selected)));
            };
            view! {
                <label class="opt" hidden=move || !offered()>
                    <input type="checkbox" name=format!("q-{qid}") value=c.code.clone()
                        prop:checked=checked on:change=toggle />
                    <span>{field.text(&c.label)}</span>
                </label>
            }
        })
        .collect_view();
    field.fieldset("q", view! { <div class="opts">{options}</div> {field.error_view()} })
}

//! One answer of a few: radio buttons.

use leptos::prelude::*;
use quire_shared::{AnswerValue, Choice};

use crate::form::field::Field;

pub fn view(field: Field, choices: &[Choice]) -> AnyView {
    let (set, qid) = (field.set(), field.qid.clone());
    let options = choices
        .iter()
        .map(|c| {
            let code = c.code.clone();
            let offered = field.offered(c);
            let checked = field.chosen(code.clone());
            let set = set.clone();
            view! {
                <label class="opt" hidden=move || !offered()>
                    <input type="radio" name=format!("q-{qid}") value=code.clone() required=field.required
                        prop:checked=checked
                        on:change=move |_| set(Some(AnswerValue::Choice(code.clone()))) />
                    <span>{field.text(&c.label)}</span>
                </label>
            }
        })
        .collect_view();
    field.fieldset("q", view! { <div class="opts">{options}</div> {field.error_view()} })
}

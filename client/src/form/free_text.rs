//! Free text: one line or several. A blank answer counts as no answer.

use leptos::prelude::*;
use quire_shared::AnswerValue;

use crate::form::field::Field;

pub fn view(field: Field, max_length: u32, multiline: bool) -> AnyView {
    let id = format!("q-{}", field.qid);
    let initial = match field.current()() {
        Some(AnswerValue::Text(t)) => t,
        _ => String::new(),
    };
    let set = field.set();
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        set((!value.trim().is_empty()).then_some(AnswerValue::Text(value)));
    };
    let (required, describedby, invalid) = (field.required, field.describedby(), field.invalid());
    let input = if multiline {
        view! {
            <textarea id=id.clone() rows="4" maxlength=max_length required=required
                aria-describedby=describedby aria-invalid=invalid on:input=on_input>{initial}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input type="text" id=id.clone() maxlength=max_length required=required value=initial
                aria-describedby=describedby aria-invalid=invalid on:input=on_input />
        }
        .into_any()
    };
    field.labelled(id, input)
}

//! A calendar date: the browser's own date picker, which reads and writes `YYYY-MM-DD` whatever the locale shows.

use leptos::prelude::*;
use quire_shared::AnswerValue;

use crate::form::field::Field;

pub fn view(field: Field) -> AnyView {
    let id = format!("q-{}", field.qid);
    let initial = match field.current()() {
        Some(AnswerValue::Text(t)) => t,
        _ => String::new(),
    };
    let set = field.set();
    let on_input = move |ev: leptos::ev::Event| {
        // The browser gives "" until the date is whole; that counts as no answer.
        let value = event_target_value(&ev);
        set((!value.is_empty()).then_some(AnswerValue::Text(value)));
    };
    let input = view! {
        <input type="date" id=id.clone() required=field.required value=initial
            aria-describedby=field.describedby() aria-invalid=field.invalid() on:input=on_input />
    };
    field.labelled(id, input)
}

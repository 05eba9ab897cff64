//! A number, whole or not, within the survey's bounds (the browser's own spinner and keyboard).

use leptos::prelude::*;
use quire_shared::AnswerValue;

use crate::form::field::Field;

pub fn view(field: Field, min: Option<f64>, max: Option<f64>, integer: bool) -> AnyView {
    let id = format!("q-{}", field.qid);
    let initial = match field.current()() {
        Some(AnswerValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let set = field.set();
    let on_input = move |ev: leptos::ev::Event| {
        // The browser gives "" for anything that is not a number; that counts as no answer.
        let value = event_target_value(&ev);
        set(value.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(AnswerValue::Number));
    };
    let input = view! {
        <input type="number" id=id.clone() inputmode=if integer { "numeric" } else { "decimal" }
            step=if integer { "1" } else { "any" } min=min.map(|m| m.to_string())
            max=max.map(|m| m.to_string()) required=field.required value=initial
            aria-describedby=field.describedby() aria-invalid=field.invalid() on:input=on_input />
    };
    field.labelled(id, input)
}

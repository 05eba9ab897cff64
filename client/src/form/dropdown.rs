//! One answer of many: a select, with an empty first option meaning no answer.

use leptos::prelude::*;
use quire_shared::{AnswerValue, Choice};

use crate::form::field::Field;
use crate::ui::{t, Msg};

pub fn view(field: Field, choices: &[Choice]) -> AnyView {
    let id = format!("q-{}", field.qid);
    let options = choices
        .iter()
        .map(|c| {
            let offered = field.offered(c);
            view! {
                <option value=c.code.clone() disabled=move || !offered()
                    prop:selected=field.chosen(c.code.clone())>{field.text(&c.label)}</option>
            }
        })
        .collect_view();
    let set = field.set();
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        set((!value.is_empty()).then_some(AnswerValue::Choice(value)));
    };
    let run = field.run;
    let choose = move || t(&run.lang.get(), Msg::Choose);
    let input = view! {
        <select id=id.clone() required=field.required aria-describedby=field.describedby()
            aria-invalid=field.invalid() on:change=on_change>
            <option value="">{choose}</option>
            {options}
        </select>
    };
    field.labelled(id, input)
}

//! A note: text the survey shows between questions, never answered.

use leptos::prelude::*;

use crate::form::field::Field;

pub fn view(field: Field) -> AnyView {
    let visible = field.visible();
    view! {
        <div class="q note" data-kind=field.kind() data-question=field.qid.to_string() hidden=move || !visible()>
            <p>{field.label()}</p>
            {field.help()}
        </div>
    }
    .into_any()
}

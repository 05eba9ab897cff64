//! The thank-you screen, and "next person" on a shared computer.

use leptos::prelude::*;

use crate::browser::tab;
use crate::run::Run;
use crate::screens::screen::{Screen, TAB_FINISHED, TAB_RESPONDENT};
use crate::sync::status::SyncStatus;
use crate::ui::{t, Msg};

pub fn done_view(run: Run, status: SyncStatus, screen: RwSignal<Screen>) -> impl IntoView {
    let lang = run.lang;
    tab::set(TAB_FINISHED, &lang.get_untracked());
    let next_person = move |_| {
        tab::remove(TAB_FINISHED);
        tab::remove(TAB_RESPONDENT);
        status.active.set(None);
        screen.set(Screen::SignIn { error: None });
    };
    view! {
        <section class="done">
            <h2 id="done-title" tabindex="-1">{move || t(&lang.get(), Msg::DoneTitle)}</h2>
            <p data-synced=move || status.all_stored().to_string()>
                {move || t(&lang.get(), if status.all_stored() { Msg::DoneSynced } else { Msg::DonePending })}
            </p>
            <button type="button" on:click=next_person>{move || t(&lang.get(), Msg::NextPerson)}</button>
        </section>
    }
}

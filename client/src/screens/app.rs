//! How the app starts: one tab holds the app lock, opens the local database, starts the sync loop, and resumes the
//! respondent signed in on this tab, or asks for an access code. Also the small screens around the survey.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser::{self, tab, Alarm};
use crate::ctx::Ctx;
use crate::screens::open::open;
use crate::screens::preview;
use crate::screens::screen::{Screen, TAB_FINISHED, TAB_RESPONDENT};
use crate::screens::sign_in::{sign_in, sign_in_view};
use crate::screens::survey::survey_view;
use crate::storage::store::{Store, DB_NAME};
use crate::sync;
use crate::ui::{self, t, Msg};

#[component]
pub fn App() -> impl IntoView {
    let screen = RwSignal::new(Screen::Starting);
    // What is typed in the sign-in field outlives the sign-in screen, so a wrong code can be corrected instead of
    // typed again; it is cleared once someone is signed in (the next person on a shared computer starts empty).
    let entered = RwSignal::new(String::new());
    let ctx: RwSignal<Option<Ctx>> = RwSignal::new(None);
    // The language of the screens around the survey: the browser's until a survey language is known.
    let lang = RwSignal::new(ui::browser_language());
    spawn_local(start(screen, ctx, lang));

    view! {
        <main>
            {move || match (screen.get(), ctx.get()) {
                (Screen::Starting, _) => view! { <p role="status">{move || t(&lang.get(), Msg::Opening)}</p> }.into_any(),
                (Screen::OtherTab, _) => view! {
                    <section>
                        <h1>{move || t(&lang.get(), Msg::OtherTabTitle)}</h1>
                        <p role="status">{move || t(&lang.get(), Msg::OtherTabBody)}</p>
                    </section>
                }.into_any(),
                (Screen::NoStorage(e), _) => view! {
                    <section>
                        <h1>{move || t(&lang.get(), Msg::NoStorageTitle)}</h1>
                        <p role="alert">{move || t(&lang.get(), Msg::NoStorageBody)} " (" {e} ")"</p>
                    </section>
                }.into_any(),
                (Screen::Problem(msg), _) =>
                    view! { <p class="problem" role="alert">{move || t(&lang.get(), msg)}</p> }.into_any(),
                // A preview never signs anyone in (their data would land in the preview's database): "next person"
                // after a finished preview starts the preview again.
                (Screen::SignIn { .. }, Some(c)) if c.preview => {
                    let _ = web_sys::window().map(|w| w.location().reload());
                    view! { <p role="status">{move || t(&lang.get(), Msg::Loading)}</p> }.into_any()
                }
                (Screen::SignIn { error }, Some(c)) => sign_in_view(c, screen, entered, lang, error).into_any(),
                (Screen::Loading, _) | (Screen::SignIn { .. }, None) =>
                    view! { <p role="status">{move || t(&lang.get(), Msg::Loading)}</p> }.into_any(),
                (Screen::AlreadyCompleted, _) => view! {
                    <section>
                        <h1>{move || t(&lang.get(), Msg::CompletedTitle)}</h1>
                        <p>{move || t(&lang.get(), Msg::CompletedBody)}</p>
                        <button type="button" on:click=move |_| screen.set(Screen::SignIn { error: None })>
                            {move || t(&lang.get(), Msg::Back)}
                        </button>
                    </section>
                }.into_any(),
                (Screen::Finished(lang), _) => {
                    // Only what is sure: they finished. Whether every answer reached the server was shown before.
                    let next_person = move |_| {
                        tab::remove(TAB_FINISHED);
                        screen.set(Screen::SignIn { error: None });
                    };
                    view! {
                        <section class="done">
                            <h1>{t(&lang, Msg::DoneTitle)}</h1>
                            <button type="button" on:click=next_person>{t(&lang, Msg::NextPerson)}</button>
                        </section>
                    }.into_any()
                }
                (Screen::Survey(run), Some(c)) => survey_view(c, screen, run).into_any(),
                (Screen::Survey(_), None) => ().into_any(),
            }}
        </main>
    }
}

/// Takes the app lock, opens the store, starts the sync loop, then puts up the first screen.
async fn start(screen: RwSignal<Screen>, ctx: RwSignal<Option<Ctx>>, lang: RwSignal<String>) {
    // A preview holds no lock, registers nothing and syncs nothing: it must not touch a respondent's app.
    if let Some((id, version)) = preview::requested() {
        return preview::start(id, version, screen, ctx).await;
    }
    browser::register_service_worker();
    browser::hold_app_lock(|| screen.set(Screen::OtherTab)).await;
    let store = match Store::open(DB_NAME).await {
        Ok(s) => s,
        Err(e) => return screen.set(Screen::NoStorage(e.to_string())),
    };
    let alarm = Alarm::default();
    let c = Ctx::new(store.clone(), alarm.clone());
    ctx.set(Some(c));
    {
        let alarm = alarm.clone();
        browser::on_online(move || alarm.wake(browser::Wake::Online));
    }
    browser::on_hide(move || {
        if let Screen::Survey(run) = screen.get_untracked() {
            run.flush();
        }
    });
    spawn_local(sync::deliver::run(store.clone(), alarm, c.status));

    let resumed = match tab::get(TAB_RESPONDENT).and_then(|id| id.parse().ok()) {
        Some(rid) => match store.session(rid).await {
            Ok(Some(session)) => open(c, session, false).await.ok(),
            _ => None,
        },
        None => None,
    };
    match (resumed, browser::take_code_param()) {
        (Some(run), _) => screen.set(Screen::Survey(run)),
        (None, Some(code)) => sign_in(c, screen, code, lang.get_untracked()).await,
        (None, None) => match tab::get(TAB_FINISHED) {
            Some(lang) => screen.set(Screen::Finished(lang)),
            None => screen.set(Screen::SignIn { error: None }),
        },
    }
}

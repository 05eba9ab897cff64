//! The survey screen: title, language, progress, what is saved, and the page on screen.

use std::sync::Arc;

use leptos::prelude::*;
use quire_shared::visibility;

use crate::browser::tab;
use crate::ctx::Ctx;
use crate::form;
use crate::run::Run;
use crate::screens::done::done_view;
use crate::screens::screen::{Screen, TAB_RESPONDENT};
use crate::sync::status::SyncStatus;
use crate::ui::{self, t, Msg};

pub fn survey_view(ctx: Ctx, screen: RwSignal<Screen>, run: Run) -> impl IntoView {
    let survey = run.survey();
    let s = survey.survey();
    let default = s.default_language.clone();
    let lang = run.lang;
    let title = {
        let (t, d) = (s.title.clone(), default.clone());
        move || t.get(&lang.get(), &d).to_owned()
    };
    let switcher = language_switcher(run);
    let status = ctx.status;
    let preview = ctx.preview;
    let status_text = move || if preview { t(&lang.get(), Msg::Preview) } else { status_text(status, &lang.get()) };
    let sign_out = move |_| {
        run.flush();
        tab::remove(TAB_RESPONDENT);
        status.active.set(None);
        screen.set(Screen::SignIn { error: None });
    };
    // A save the server refused takes the respondent to what to fix (and reopens a refused finish).
    Effect::new(move |_| status.rejected.with(|r| run.show_refused(r)));
    // Counted over the pages this respondent will see given their answers so far (the page on screen included), so
    // that "Page 3 of 33" means 30 more to go; the total changes as answers open or close skip-logic branches.
    let counts = Memo::new(move |_| {
        let survey = run.survey();
        let index = run.page.get();
        run.active.with(|a| {
            let shown: Vec<usize> = (0..survey.survey().pages.len())
                .filter(|&i| i == index || visibility::page_visible(&survey, i, a))
                .collect();
            (shown.iter().position(|&i| i == index).map_or(1, |p| p + 1), shown.len())
        })
    });
    let progress = move || {
        let (n, total) = counts.get();
        t(&lang.get(), Msg::PageOf).replace("{n}", &n.to_string()).replace("{total}", &total.to_string())
    };
    view! {
        <header class="bar">
            <h1 class="survey-title">{title}</h1>
            {switcher}
            {(!preview).then(|| view! {
                <button type="button" class="quiet" on:click=sign_out>{move || t(&lang.get(), Msg::SignOut)}</button>
            })}
        </header>
        <div class="progress">
            <progress max=move || counts.get().1 value=move || counts.get().0 aria-hidden="true"></progress>
            <span>{progress}</span>
        </div>
        <p class="sync" class:preview=preview role="status" data-pending=move || status.pending.get()
            data-rejected=move || status.rejected.with(Vec::len)>{status_text}</p>
        {move || run.storage_problem.get().map(|m| view! { <p class="problem" role="alert">{t(&lang.get(), m)}</p> })}
        {move || run.refused.get().map(|m| view! { <p class="problem refused" role="alert">{t(&lang.get(), m)}</p> })}
        {move || if run.finished.get() { done_view(run, status, screen).into_any() } else { page_view(run).into_any() }}
    }
}

/// The page on screen, drawn afresh for each page (keyed by its index): no input, value or checked state is carried
/// over from the page before, so every input starts from the answer held.
fn page_view(run: Run) -> impl IntoView {
    view! {
        <For each=move || std::iter::once(run.page.get()) key=|index| *index let:index>
            {page_form(run, index)}
        </For>
    }
}

fn page_form(run: Run, index: usize) -> impl IntoView {
    let lang = run.lang;
    let survey = run.survey();
    let page = &survey.survey().pages[index];
    let default = survey.survey().default_language.clone();
    let title = {
        let t = page.title.clone();
        move || t.get(&lang.get(), &default).to_owned()
    };
    let page_id: Arc<str> = page.id.as_str().into();
    // A question that opens a section (an XLSForm group within the page's group) comes under its heading.
    let questions = page
        .questions
        .iter()
        .map(|q| {
            let heading = q.section.as_ref().map(|s| view! { <h3 class="section">{form::field::text(run, s)}</h3> });
            view! { {heading} {form::question(run, page_id.clone(), q)} }
        })
        .collect_view();
    // autocomplete=off: the browser must not refill inputs from its own memory after a reload; they show what the
    // app holds.
    view! {
        <form class="page" data-page=page.id.clone() on:submit=move |ev| { ev.prevent_default(); run.next(); }
            on:keydown=keep_enter_in_inputs autocomplete="off" novalidate>
            <h2 id="page-title" tabindex="-1">{title}</h2>
            <div id="error-summary" tabindex="-1" role="alert">
                {move || run.errors.with(|e| !e.is_empty()).then(|| t(&lang.get(), Msg::FixErrors))}
            </div>
            {questions}
            <div class="nav">
                <button type="button" class="secondary" hidden=move || run.is_first_page() on:click=move |_| run.back()>
                    {move || t(&lang.get(), Msg::Back)}
                </button>
                <button type="submit">
                    {move || t(&lang.get(), if run.is_last_page() { Msg::Finish } else { Msg::Next })}
                </button>
            </div>
        </form>
    }
}

/// Enter in an answer field does not turn the page (a browser submits a form on Enter in any of its inputs): a
/// respondent finishing a number or a line of text expects to stay, not to find the next page. The Next button, and
/// Enter on it, still turn it; Enter in a multi-line answer still starts a new line.
fn keep_enter_in_inputs(ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let in_input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| e.tag_name().eq_ignore_ascii_case("input"));
    if ev.key() == "Enter" && in_input {
        ev.prevent_default();
    }
}

/// The survey's languages to choose from, when it has more than one.
fn language_switcher(run: Run) -> Option<impl IntoView> {
    let (lang, survey) = (run.lang, run.survey());
    let s = survey.survey();
    let languages: Vec<String> =
        std::iter::once(s.default_language.clone()).chain(s.languages.iter().cloned()).collect();
    (languages.len() > 1).then(|| {
        let options = languages
            .into_iter()
            .map(|l| {
                let selected = {
                    let l = l.clone();
                    move || lang.get() == l
                };
                view! { <option value=l.clone() prop:selected=selected>{ui::language_name(&l).to_owned()}</option> }
            })
            .collect_view();
        view! {
            <span class="lang">
                <label for="language">{move || t(&lang.get(), Msg::Language)}</label>
                <select id="language" on:change=move |ev| run.set_language(event_target_value(&ev))>{options}</select>
            </span>
        }
    })
}

/// What the status line says of the respondent's saves.
fn status_text(status: SyncStatus, l: &str) -> &'static str {
    if status.rejected.with(|r| !r.is_empty()) {
        t(l, Msg::NotAccepted)
    } else if status.pending.get() == 0 {
        t(l, Msg::AllSaved)
    } else if status.signed_out.get() {
        t(l, Msg::SignInAgain)
    } else if status.failing.get() {
        t(l, Msg::SavedLocally)
    } else {
        t(l, Msg::Saving)
    }
}

//! The respondent app's components and its API calls.

pub mod api;

use leptos::prelude::*;
use leptos::task::spawn_local;
use quire_shared::{LoginResponse, ValidSurvey};

/// What the app shows: the sign-in form, or the survey once it is downloaded.
#[derive(Clone)]
enum Screen {
    SignIn { error: Option<String> },
    Loading,
    Ready { login: LoginResponse, survey: std::sync::Arc<ValidSurvey> },
}

#[component]
pub fn App() -> impl IntoView {
    let screen = RwSignal::new(Screen::SignIn { error: None });
    let code = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        screen.set(Screen::Loading);
        let entered = code.get_untracked();
        spawn_local(async move {
            match api::sign_in(&entered).await {
                Ok((login, survey)) => screen.set(Screen::Ready { login, survey: std::sync::Arc::new(survey) }),
                Err(message) => screen.set(Screen::SignIn { error: Some(message) }),
            }
        });
    };
    view! {
        <main>
            {move || match screen.get() {
                Screen::SignIn { error } => view! {
                    <form on:submit=submit aria-labelledby="signin-title">
                        <h1 id="signin-title">"Sign in to your survey"</h1>
                        <label for="code">"Access code"</label>
                        <input id="code" name="code" autocomplete="off" autocapitalize="characters" required
                            aria-describedby="code-error"
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                        <p id="code-error" role="alert">{error}</p>
                        <button type="submit">"Start"</button>
                    </form>
                }.into_any(),
                Screen::Loading => view! { <p role="status">"Loading your survey…"</p> }.into_any(),
                Screen::Ready { login, survey } => {
                    let s = survey.survey();
                    let lang = s.default_language.clone();
                    view! {
                        <section>
                            <h1>{s.title.get(&lang, &lang).to_owned()}</h1>
                            <p role="status">
                                {format!("{} pages. ", s.pages.len())}
                                {if login.resume.completed { "You have already completed this survey." } else { "Ready to start." }}
                            </p>
                        </section>
                    }.into_any()
                }
            }}
        </main>
    }
}

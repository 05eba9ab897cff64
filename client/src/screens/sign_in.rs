//! The sign-in screen and signing in: locally when the code matches a respondent on this browser (offline too),
//! else through the server, downloading the survey file unless this browser has that version.

use leptos::prelude::*;
use leptos::task::spawn_local;
use sha2::{Digest, Sha256};

use crate::api;
use crate::browser;
use crate::ctx::Ctx;
use crate::screens::open::{open, storage_problem};
use crate::screens::screen::Screen;
use crate::storage::records::{LocalPage, Session};
use crate::ui::{self, t, Msg, APP_LANGUAGES};

pub fn sign_in_view(
    ctx: Ctx,
    screen: RwSignal<Screen>,
    code: RwSignal<String>,
    lang: RwSignal<String>,
    error: Option<Msg>,
) -> impl IntoView {
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let entered = code.get_untracked();
        screen.set(Screen::Loading);
        spawn_local(async move {
            sign_in(ctx, screen, entered, lang.get_untracked()).await;
            if !matches!(screen.get_untracked(), Screen::SignIn { .. }) {
                code.set(String::new());
            }
        });
    };
    let invalid = error.is_some().then_some("true");
    let switcher = APP_LANGUAGES
        .iter()
        .map(|l| {
            let l = (*l).to_owned();
            let current = {
                let l = l.clone();
                move || (lang.get() == l).then_some("true")
            };
            let name = ui::language_name(&l).to_owned();
            view! {
                <button type="button" class="quiet" lang=l.clone() aria-pressed=current
                    on:click=move |_| lang.set(l.clone())>{name}</button>
            }
        })
        .collect_view();
    view! {
        <form on:submit=submit aria-labelledby="signin-title" novalidate>
            <div class="lang" role="group" aria-label=move || t(&lang.get(), Msg::Language)>{switcher}</div>
            <h1 id="signin-title">{move || t(&lang.get(), Msg::SignInTitle)}</h1>
            <p id="code-help">{move || t(&lang.get(), Msg::SignInHelp)}</p>
            <label for="code">{move || t(&lang.get(), Msg::AccessCode)}</label>
            <input id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" required
                aria-describedby="code-help code-error" aria-invalid=invalid
                prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            <p id="code-error" role="alert">{move || error.map(|m| t(&lang.get(), m))}</p>
            <button type="submit">{move || t(&lang.get(), Msg::Start)}</button>
        </form>
    }
}

fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Signs a respondent in. A code that matches a respondent already on this browser resumes locally (offline too);
/// any other goes to the server, and the survey file is downloaded unless this browser already has that version.
pub async fn sign_in(ctx: Ctx, screen: RwSignal<Screen>, entered: String, lang: String) {
    // The server's rule (`quire_shared::access_code`), so a code typed differently still finds its respondent here.
    let code = quire_shared::access_code::normalize(&entered);
    if code.is_empty() {
        return screen.set(Screen::SignIn { error: Some(Msg::EnterCode) });
    }
    let store = ctx.store();
    let local =
        store.sessions().await.unwrap_or_default().into_iter().find(|s| code_hash(&s.salt, &code) == s.code_hash);
    if let Some(session) = local {
        let rid = session.respondent_id;
        match open(ctx, session, false).await {
            Ok(run) => {
                screen.set(Screen::Survey(run));
                // A fresh token for later syncs (the old one may be close to expiry); offline, the old one stays.
                if let Ok(login) = api::login(&code).await {
                    if let Ok(Some(mut s)) = store.session(rid).await {
                        s.token = login.token;
                        let _ = store.put_session(&s).await;
                        ctx.status.signed_out.set(false);
                        ctx.saved().await;
                    }
                }
            }
            Err(message) => screen.set(Screen::SignIn { error: Some(message) }),
        }
        return;
    }
    let result = async {
        let login = api::login(&code).await.map_err(|e| sign_in_problem(&e))?;
        if login.resume.completed {
            return Ok(None);
        }
        if store.survey(&login.survey_version).await.ok().flatten().is_none() {
            let (_, text) =
                api::survey(&login.survey_url, &login.survey_version).await.map_err(|e| sign_in_problem(&e))?;
            store.put_survey(&login.survey_version, &text).await.map_err(storage_problem)?;
        }
        let salt = hex::encode(((browser::random() * 2f64.powi(52)) as u64).to_be_bytes());
        let session = Session {
            respondent_id: login.respondent_id,
            token: login.token,
            survey_id: login.survey_id,
            survey_version: login.survey_version,
            survey_url: login.survey_url,
            code_hash: code_hash(&salt, &code),
            salt,
            page: login.resume.last_page.clone().unwrap_or_default(),
            // The language chosen at sign-in, if the survey has it (`open` falls back to the survey's default).
            language: lang,
            next_revision: login.resume.last_revision + 1,
            finished: false,
            roster: login.roster,
        };
        // What the server holds (answered on another device) becomes this browser's starting point.
        let pages: Vec<(String, LocalPage)> = login
            .resume
            .pages
            .into_iter()
            // Whether the server's copy was a draft is not known: the next page turn saves it as final.
            .map(|p| (p.page_id, LocalPage { revision: p.revision, answers: p.answers, draft: true, sent: None }))
            .collect();
        store.start_session(&session, &pages).await.map_err(storage_problem)?;
        open(ctx, session, true).await.map(Some)
    }
    .await;
    match result {
        Ok(Some(run)) => screen.set(Screen::Survey(run)),
        Ok(None) => screen.set(Screen::AlreadyCompleted),
        Err(message) => screen.set(Screen::SignIn { error: Some(message) }),
    }
}

/// Why signing in failed, for the respondent.
fn sign_in_problem(e: &api::ApiError) -> Msg {
    match e {
        api::ApiError::Network => Msg::Unreachable,
        api::ApiError::Busy { .. } => Msg::Busy,
        api::ApiError::Unauthorized(_) => Msg::WrongCode,
        api::ApiError::Refused { status: 400, .. } => Msg::EnterCode,
        api::ApiError::Refused { status, message } => {
            web_sys::console::error_1(&format!("quire: sign-in refused ({status}): {message}").into());
            Msg::SignInFailed
        }
    }
}

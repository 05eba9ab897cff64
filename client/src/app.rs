//! The app's screens and how it starts: one tab holds the app lock, opens the local database, starts the sync loop,
//! and resumes the respondent signed in on this tab, or asks for an access code.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use quire_shared::visibility::{self, AllAnswers};
use quire_shared::ValidSurvey;
use sha2::{Digest, Sha256};

use crate::api;
use crate::browser::{self, tab, Alarm};
use crate::run::Run;
use crate::store::{LocalPage, Session, Store, DB_NAME};
use crate::sync::{self, SyncStatus};
use crate::ui::{self, t, Msg, APP_LANGUAGES};

/// Per-tab key naming the respondent signed in on this tab.
const TAB_RESPONDENT: &str = "quire.respondent";
/// Per-tab key set when this tab's respondent has finished (its value: the language they used), so that a reload of
/// the thank-you screen says they have finished even after their local data was deleted, instead of asking for a
/// code. Cleared by "next person" and by any sign-in.
const TAB_FINISHED: &str = "quire.finished";

struct Services {
    store: Store,
    alarm: Alarm,
}

/// The services every screen needs, as a `Copy` handle (the store and timers are not `Send`; Leptos keeps them).
#[derive(Clone, Copy)]
pub struct Ctx {
    services: StoredValue<Services, LocalStorage>,
    pub status: SyncStatus,
}

impl Ctx {
    pub fn store(&self) -> Store {
        self.services.with_value(|s| s.store.clone())
    }

    fn alarm(&self) -> Alarm {
        self.services.with_value(|s| s.alarm.clone())
    }

    /// Called after every local save: recount what is pending and wake the sync loop.
    pub async fn saved(&self) {
        self.alarm().wake(browser::Wake::Saved);
        self.status.refresh(&self.store()).await;
    }
}

// One value, held in one signal: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Screen {
    Starting,
    /// Another tab of this browser has the app open.
    OtherTab,
    SignIn {
        error: Option<Msg>,
    },
    Loading,
    Survey(Run),
    AlreadyCompleted,
    /// This tab's respondent finished; their local data may already be gone. The language they used.
    Finished(String),
    /// IndexedDB cannot be opened (e.g. disabled by policy): nothing could be kept safe.
    NoStorage(String),
}

#[component]
pub fn App() -> impl IntoView {
    let screen = RwSignal::new(Screen::Starting);
    // What is typed in the sign-in field outlives the sign-in screen, so a wrong code can be corrected instead of
    // typed again; it is cleared once someone is signed in (the next person on a shared computer starts empty).
    let entered = RwSignal::new(String::new());
    let ctx: RwSignal<Option<Ctx>> = RwSignal::new(None);
    // The language of the screens around the survey: the browser's until a survey language is known.
    let lang = RwSignal::new(ui::browser_language());
    spawn_local(async move {
        browser::register_service_worker();
        browser::hold_app_lock(|| screen.set(Screen::OtherTab)).await;
        let store = match Store::open(DB_NAME).await {
            Ok(s) => s,
            Err(e) => return screen.set(Screen::NoStorage(e.to_string())),
        };
        let alarm = Alarm::default();
        let c = Ctx {
            services: StoredValue::new_local(Services { store: store.clone(), alarm: alarm.clone() }),
            status: SyncStatus::new(),
        };
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
        spawn_local(sync::run(store.clone(), alarm, c.status));

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
    });

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

fn sign_in_view(
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

fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Signs a respondent in. A code that matches a respondent already on this browser resumes locally (offline too);
/// any other goes to the server, and the survey file is downloaded unless this browser already has that version.
async fn sign_in(ctx: Ctx, screen: RwSignal<Screen>, entered: String, lang: String) {
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

fn storage_problem(e: crate::store::StoreError) -> Msg {
    web_sys::console::error_1(&format!("quire: local storage: {e}").into());
    e.msg()
}

/// Puts a respondent on screen from what this browser holds: no network needed. `from_server`: the answers came
/// from another device, where the respondent may already have left the last saved page.
async fn open(ctx: Ctx, mut session: Session, from_server: bool) -> Result<Run, Msg> {
    let store = ctx.store();
    let text = store.survey(&session.survey_version).await.map_err(storage_problem)?.ok_or(Msg::SurveyMissing)?;
    let survey = ValidSurvey::parse(&text).map_err(|e| {
        web_sys::console::error_1(&format!("quire: the stored survey does not parse: {e:?}").into());
        Msg::SurveyDamaged
    })?;
    let pages = store.answers(session.respondent_id).await.map_err(storage_problem)?;
    match survey.page_index(&session.page) {
        None => session.page = survey.survey().pages[0].id.clone(),
        Some(index) if from_server => {
            // The server knows which page was saved last, not whether the respondent went on: go on if they could.
            let held: AllAnswers = pages.iter().map(|(p, l)| (p.clone(), l.answers.clone())).collect();
            let active = visibility::active_answers(&survey, &held);
            if held.contains_key(&session.page)
                && visibility::page_problems(&survey, index, &held, &active, true).is_empty()
            {
                if let Some(next) = visibility::next_page(&survey, index, &active) {
                    session.page = survey.survey().pages[next].id.clone();
                }
            }
        }
        Some(_) => {}
    }
    let languages = std::iter::once(&survey.survey().default_language).chain(&survey.survey().languages);
    if !languages.clone().any(|l| *l == session.language) {
        session.language = survey.survey().default_language.clone();
    }
    tab::set(TAB_RESPONDENT, &session.respondent_id.to_string());
    tab::remove(TAB_FINISHED);
    ctx.status.active.set(Some(session.respondent_id));
    ctx.status.signed_out.set(false);
    ctx.status.refresh(&store).await;
    spawn_local(async {
        browser::request_persistence().await;
    });
    let run = Run::new(ctx, Arc::new(survey), session, pages);
    // Answers held but not yet queued (the tab closed a moment after typing) are queued now.
    run.flush();
    Ok(run)
}

fn survey_view(ctx: Ctx, screen: RwSignal<Screen>, run: Run) -> impl IntoView {
    let survey = run.survey();
    let s = survey.survey();
    let default = s.default_language.clone();
    let lang = run.lang;
    let title = {
        let (t, d) = (s.title.clone(), default.clone());
        move || t.get(&lang.get(), &d).to_owned()
    };
    let languages: Vec<String> = std::iter::once(default.clone()).chain(s.languages.iter().cloned()).collect();
    let switcher = (languages.len() > 1).then(|| {
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
    });
    let status = ctx.status;
    let status_text = move || {
        let l = lang.get();
        if status.rejected.with(|r| !r.is_empty()) {
            t(&l, Msg::NotAccepted)
        } else if status.pending.get() == 0 {
            t(&l, Msg::AllSaved)
        } else if status.signed_out.get() {
            t(&l, Msg::SignInAgain)
        } else if status.failing.get() {
            t(&l, Msg::SavedLocally)
        } else {
            t(&l, Msg::Saving)
        }
    };
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
            <button type="button" class="quiet" on:click=sign_out>{move || t(&lang.get(), Msg::SignOut)}</button>
        </header>
        <div class="progress">
            <progress max=move || counts.get().1 value=move || counts.get().0 aria-hidden="true"></progress>
            <span>{progress}</span>
        </div>
        <p class="sync" role="status" data-pending=move || status.pending.get()
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
    let questions = page.questions.iter().map(|q| crate::form::question(run, page_id.clone(), q)).collect_view();
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

fn done_view(run: Run, status: SyncStatus, screen: RwSignal<Screen>) -> impl IntoView {
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

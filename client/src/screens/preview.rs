//! The preview of a survey version for its authors: the respondent app itself on that version, nothing sent.
//!
//! Started by the address `/?preview=ID/VERSION` (the admin's preview link). The version comes from the admin API
//! with the author's session; answers live in an IndexedDB database of their own (`quire-preview`, emptied at every
//! start), apart from any respondent's on this browser; the sync loop never starts, so nothing reaches the server.

use leptos::prelude::*;
use quire_shared::{Roster, ValidSurvey};
use uuid::Uuid;

use crate::browser::{self, Alarm};
use crate::ctx::Ctx;
use crate::run::Run;
use crate::screens::open::open;
use crate::screens::screen::Screen;
use crate::storage::records::Session;
use crate::storage::store::Store;
use crate::ui::Msg;

/// The preview's own database: never the respondents'.
const PREVIEW_DB: &str = "quire-preview";
/// The one "respondent" of a preview.
const PREVIEWER: Uuid = Uuid::from_u128(1);

/// `ID/VERSION` from the address, if this tab is a preview.
pub fn requested() -> Option<(String, String)> {
    let spec = browser::query_param("preview")?;
    let (id, version) = spec.split_once('/')?;
    Some((id.to_owned(), version.to_owned()))
}

/// Opens the preview of `version`, or says why it cannot.
pub async fn start(id: String, version: String, screen: RwSignal<Screen>, ctx: RwSignal<Option<Ctx>>) {
    match open_preview(&id, &version, ctx).await {
        Ok(run) => screen.set(Screen::Survey(run)),
        Err(msg) => screen.set(Screen::Problem(msg)),
    }
}

async fn open_preview(id: &str, version: &str, ctx: RwSignal<Option<Ctx>>) -> Result<Run, Msg> {
    let url = format!("/admin/surveys/{}/versions/{}/survey.json", encode(id), encode(version));
    let text = fetch_text(&url).await.ok_or(Msg::PreviewFailed)?;
    let survey = ValidSurvey::parse_published(&text).map_err(|_| Msg::PreviewFailed)?;
    let store = Store::open(PREVIEW_DB).await.map_err(|_| Msg::NoStorageBody)?;
    // Whatever an earlier preview left: gone, so every preview starts on page one with nothing answered.
    store.forget(PREVIEWER).await.map_err(|_| Msg::StorageFailed)?;
    store.put_survey(version, &text).await.map_err(|_| Msg::StorageFailed)?;
    let s = survey.survey();
    let session = Session {
        respondent_id: PREVIEWER,
        token: String::new(),
        survey_id: s.id.clone(),
        survey_version: version.to_owned(),
        survey_url: url,
        code_hash: String::new(),
        salt: String::new(),
        page: s.pages[0].id.clone(),
        language: s.default_language.clone(),
        next_revision: 1,
        finished: false,
        roster: Roster::default(),
    };
    store.start_session(&session, &[]).await.map_err(|_| Msg::StorageFailed)?;
    let c = Ctx::preview(store, Alarm::default());
    ctx.set(Some(c));
    open(c, session, false).await
}

async fn fetch_text(url: &str) -> Option<String> {
    let response = gloo_net::http::Request::get(url).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.text().await.ok()
}

fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

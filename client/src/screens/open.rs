//! Puts a respondent on screen from what this browser holds.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use quire_shared::visibility::{self, AllAnswers};
use quire_shared::ValidSurvey;

use crate::browser::{self, tab};
use crate::ctx::Ctx;
use crate::run::Run;
use crate::screens::screen::{TAB_FINISHED, TAB_RESPONDENT};
use crate::storage::error::StoreError;
use crate::storage::records::Session;
use crate::ui::Msg;

pub fn storage_problem(e: StoreError) -> Msg {
    web_sys::console::error_1(&format!("quire: local storage: {e}").into());
    e.msg()
}

/// Puts a respondent on screen from what this browser holds: no network needed. `from_server`: the answers came
/// from another device, where the respondent may already have left the last saved page.
pub async fn open(ctx: Ctx, mut session: Session, from_server: bool) -> Result<Run, Msg> {
    let store = ctx.store();
    let text = store.survey(&session.survey_version).await.map_err(storage_problem)?.ok_or(Msg::SurveyMissing)?;
    let survey = ValidSurvey::parse_published(&text).map_err(|e| {
        web_sys::console::error_1(&format!("quire: the stored survey does not parse: {e:?}").into());
        Msg::SurveyDamaged
    })?;
    let pages = store.answers(session.respondent_id).await.map_err(storage_problem)?;
    match survey.page_index(&session.page) {
        None => session.page = survey.survey().pages[0].id.clone(),
        Some(index) if from_server => {
            // The server knows which page was saved last, not whether the respondent went on: go on if they could.
            let held: AllAnswers = pages.iter().map(|(p, l)| (p.clone(), l.answers.clone())).collect();
            let active = visibility::active_with_roster(&survey, &held, &session.roster);
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
    run.hold_defaults(run.page.get_untracked());
    // Answers held but not yet queued (the tab closed a moment after typing) are queued now.
    run.flush();
    Ok(run)
}

//! One respondent taking the survey on this browser: the answers on screen, page turns, and the saves that write
//! them to IndexedDB (with their outbox entry) before anything else happens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use quire_shared::{validate_page_answers, AnswerError, AnswerValue, PageAnswers, PageSave, Question, ValidSurvey};

use crate::app::Ctx;
use crate::browser;
use crate::navigation::{self, AllAnswers, Known};
use crate::store::{LocalPage, Session, StoreError};
use crate::ui::Msg;

/// How long typing or clicking may go on before the page's answers are written as a draft.
const DRAFT_DEBOUNCE: Duration = Duration::from_millis(400);

/// Cheap to copy: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Run {
    ctx: Ctx,
    survey: StoredValue<Arc<ValidSurvey>>,
    session: StoredValue<Session>,
    pub answers: RwSignal<AllAnswers>,
    /// Index of the page on screen.
    pub page: RwSignal<usize>,
    pub lang: RwSignal<String>,
    pub errors: RwSignal<Vec<AnswerError>>,
    pub finished: RwSignal<bool>,
    /// What was last written for each page (answers, draft?), so unchanged pages are not saved again.
    last_saved: StoredValue<HashMap<String, (PageAnswers, bool)>>,
    debounce: StoredValue<Option<TimeoutHandle>>,
    pub storage_problem: RwSignal<Option<Msg>>,
}

impl Run {
    pub fn new(ctx: Ctx, survey: Arc<ValidSurvey>, session: Session, pages: Vec<(String, LocalPage)>) -> Run {
        let page = survey.page_index(&session.page).unwrap_or(0);
        let last_saved = pages.iter().map(|(p, l)| (p.clone(), (l.answers.clone(), l.draft))).collect();
        let answers: AllAnswers = pages.into_iter().map(|(p, l)| (p, l.answers)).collect();
        Run {
            ctx,
            lang: RwSignal::new(session.language.clone()),
            finished: RwSignal::new(session.finished),
            survey: StoredValue::new(survey),
            session: StoredValue::new(session),
            answers: RwSignal::new(answers),
            page: RwSignal::new(page),
            errors: RwSignal::new(Vec::new()),
            last_saved: StoredValue::new(last_saved),
            debounce: StoredValue::new(None),
            storage_problem: RwSignal::new(None),
        }
    }

    pub fn survey(&self) -> Arc<ValidSurvey> {
        self.survey.get_value()
    }

    pub fn default_language(&self) -> String {
        self.survey.with_value(|s| s.survey().default_language.clone())
    }

    pub fn question_visible(&self, q: &Question) -> bool {
        let survey = self.survey();
        self.answers.with(|a| navigation::question_visible(&survey, q, a))
    }

    pub fn answer(&self, page: &str, question: &str) -> Option<AnswerValue> {
        self.answers.with(|a| a.get(page).and_then(|p| p.get(question)).cloned())
    }

    /// The first error about a question (or one of its statements).
    pub fn error_for(&self, question: &str) -> Option<String> {
        let field = format!("answers.{question}");
        self.errors.with(|es| {
            es.iter()
                .find(|e| e.field == field || e.field.strip_prefix(&field).is_some_and(|r| r.starts_with('.')))
                .map(|e| e.message.clone())
        })
    }

    pub fn is_last_page(&self) -> bool {
        let survey = self.survey();
        let index = self.page.get();
        self.answers.with(|a| navigation::next_page(&survey, index, a).is_none())
    }

    pub fn is_first_page(&self) -> bool {
        let survey = self.survey();
        let index = self.page.get();
        self.answers.with(|a| navigation::previous_page(&survey, index, a).is_none())
    }

    pub fn set_answer(&self, page: &str, question: &str, value: Option<AnswerValue>) {
        self.answers.update(|all| {
            let answers = all.entry(page.to_owned()).or_default();
            match value {
                Some(v) => answers.insert(question.to_owned(), v),
                None => answers.remove(question),
            };
        });
        if self.errors.with_untracked(|e| !e.is_empty()) {
            // Re-check as the respondent corrects, without new complaints about what they have not reached yet.
            let index = self.page.get_untracked();
            self.errors.update(|es| {
                let fixed = self.check(index, true).err().unwrap_or_default();
                es.retain(|e| fixed.iter().any(|f| f.field == e.field));
            });
        }
        self.schedule_draft();
    }

    fn schedule_draft(&self) {
        self.cancel_draft();
        let run = *self;
        let handle = set_timeout_with_handle(
            move || {
                run.debounce.set_value(None);
                let index = run.page.get_untracked();
                run.save(index, true, false, index);
            },
            DRAFT_DEBOUNCE,
        );
        self.debounce.set_value(handle.ok());
    }

    fn cancel_draft(&self) -> bool {
        match self.debounce.try_update_value(Option::take).flatten() {
            Some(handle) => {
                handle.clear();
                true
            }
            None => false,
        }
    }

    /// Writes a pending draft now (the page is being hidden or closed, or the respondent signs out).
    pub fn flush(&self) {
        if self.cancel_draft() && !self.finished.get_untracked() {
            let index = self.page.get_untracked();
            self.save(index, true, false, index);
        }
    }

    fn check(&self, index: usize, required: bool) -> Result<PageAnswers, Vec<AnswerError>> {
        let survey = self.survey();
        self.answers.with_untracked(|all| {
            let page = &survey.survey().pages[index];
            let answers = navigation::answers_to_send(&survey, index, all);
            let known = Known { survey: &survey, answers: all };
            validate_page_answers(&survey, &page.id, &answers, &known, required).map(|()| answers)
        })
    }

    /// Next (or Finish on the last page): checks the page with the shared validation, saves it, turns the page.
    pub fn next(&self) {
        let start = browser::perf_now();
        self.cancel_draft();
        let index = self.page.get_untracked();
        if let Err(errors) = self.check(index, true) {
            self.errors.set(errors);
            after_render(|| browser::focus("error-summary"));
            return;
        }
        let survey = self.survey();
        match self.answers.with_untracked(|a| navigation::next_page(&survey, index, a)) {
            Some(next) => {
                self.save(index, false, false, next);
                self.errors.set(Vec::new());
                self.page.set(next);
                after_render(move || {
                    browser::focus("page-title");
                    browser::record_page_turn(start);
                });
            }
            None => {
                self.save(index, false, true, index);
                self.finished.set(true);
                after_render(|| browser::focus("done-title"));
            }
        }
    }

    pub fn back(&self) {
        let start = browser::perf_now();
        self.cancel_draft();
        let index = self.page.get_untracked();
        let survey = self.survey();
        if let Some(previous) = self.answers.with_untracked(|a| navigation::previous_page(&survey, index, a)) {
            self.save(index, true, false, previous);
            self.errors.set(Vec::new());
            self.page.set(previous);
            after_render(move || {
                browser::focus("page-title");
                browser::record_page_turn(start);
            });
        }
    }

    pub fn set_language(&self, lang: String) {
        self.lang.set(lang.clone());
        self.session.update_value(|s| s.language = lang);
        let (store, session) = (self.ctx.store(), self.session.get_value());
        spawn_local(async move {
            let _ = store.put_session(&session).await;
        });
    }

    /// Saves page `index` and records `now_on` as the page on screen, in one IndexedDB transaction with the outbox
    /// entry; then wakes the sync loop. A draft keeps only the answers that pass the checks (never a value the server
    /// would refuse); a page left with Next has passed them all.
    fn save(&self, index: usize, draft: bool, finishes: bool, now_on: usize) {
        let survey = self.survey();
        let page_id = survey.survey().pages[index].id.clone();
        let mut answers = match self.check(index, false) {
            Ok(a) => a,
            Err(errors) => {
                let mut a = self.answers.with_untracked(|all| navigation::answers_to_send(&survey, index, all));
                a.retain(|q, _| !errors.iter().any(|e| e.field.split('.').nth(1) == Some(q.as_str())));
                a
            }
        };
        answers.retain(|_, v| !v.is_empty());
        let now_on_id = survey.survey().pages[now_on].id.clone();
        let unchanged = !finishes
            && self
                .last_saved
                .with_value(|m| m.get(&page_id).is_some_and(|(a, was_draft)| *a == answers && (draft || !was_draft)));
        let moved = self.session.with_value(|s| s.page != now_on_id);
        if unchanged && !moved {
            return;
        }
        let mut save = None;
        self.session.update_value(|s| {
            s.page = now_on_id;
            s.finished |= finishes;
            if !unchanged {
                save = Some(PageSave {
                    page_id: page_id.clone(),
                    revision: s.next_revision,
                    answers: answers.clone(),
                    // A broken device clock is moved into the window the server accepts (`quire_shared::storable`).
                    client_time: quire_shared::clamp_client_time(browser::now()),
                    finishes,
                    draft,
                });
                s.next_revision += 1;
            }
        });
        if save.is_some() {
            self.last_saved.update_value(|m| {
                m.insert(page_id, (answers, draft));
            });
            // Shown as pending at once; the recount after the write corrects it.
            self.ctx.status.pending.update(|n| *n += 1);
        }
        let (run, store, session) = (*self, self.ctx.store(), self.session.get_value());
        spawn_local(async move {
            let result = match &save {
                Some(save) => store.save_page(&session, save).await,
                None => store.put_session(&session).await,
            };
            match result {
                Ok(()) => {
                    run.storage_problem.set(None);
                    run.ctx.saved().await;
                }
                Err(e) => {
                    web_sys::console::error_1(&format!("quire: cannot save on this computer: {e}").into());
                    run.storage_problem.set(Some(match e {
                        StoreError::Full => Msg::StorageFull,
                        StoreError::Other(_) => Msg::StorageFailed,
                    }));
                }
            }
        });
    }
}

/// Runs `f` once Leptos has applied the pending DOM updates (they run as queued tasks, before this one).
fn after_render(f: impl FnOnce() + 'static) {
    spawn_local(async move { f() });
}

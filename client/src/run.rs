//! One respondent taking the survey on this browser: the answers on screen, page turns, and the saves that write
//! them to IndexedDB (with their outbox entries) before anything else happens.
//!
//! What the respondent gives is *held* and written to IndexedDB at once, hidden answers included (they come back if
//! the respondent changes their mind); what counts and is sent are the *active* answers, by the rule of
//! `quire_shared::visibility`, which the server applies too.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use quire_shared::app_text::Problem;
use quire_shared::expr::Env;
use quire_shared::odk::{self, Form};
use quire_shared::roster;
use quire_shared::visibility::{self, AllAnswers, Known, LastSaved};
use quire_shared::{AnswerError, AnswerValue, PageSave, Question, ValidSurvey};

use crate::browser;
use crate::ctx::Ctx;
use crate::storage::error::StoreError;
use crate::storage::records::{LocalPage, Rejected, Session};
use crate::ui::Msg;

/// How long typing or clicking may go on before the page's answers are queued for the server as a draft. (They are
/// on this device at once: `write_held`.)
const DRAFT_DEBOUNCE: Duration = Duration::from_millis(400);

/// Cheap to copy: every field is a handle into Leptos' arena.
#[derive(Clone, Copy)]
pub struct Run {
    ctx: Ctx,
    survey: StoredValue<Arc<ValidSurvey>>,
    session: StoredValue<Session>,
    /// Every answer given, by page: what the screen shows.
    pub held: RwSignal<AllAnswers>,
    /// The answers that count.
    pub active: Memo<AllAnswers>,
    /// Index of the page on screen.
    pub page: RwSignal<usize>,
    pub lang: RwSignal<String>,
    pub errors: RwSignal<Vec<AnswerError>>,
    pub finished: RwSignal<bool>,
    /// Each page's record on this device: held answers and what its latest save sent.
    pages: StoredValue<HashMap<String, LocalPage>>,
    debounce: StoredValue<Option<TimeoutHandle>>,
    pub storage_problem: RwSignal<Option<Msg>>,
    /// The server refused a save: what to tell the respondent (shown until it is answered by a new save).
    pub refused: RwSignal<Option<Msg>>,
}

impl Run {
    pub fn new(ctx: Ctx, survey: Arc<ValidSurvey>, session: Session, pages: Vec<(String, LocalPage)>) -> Run {
        let page = survey.page_index(&session.page).unwrap_or(0);
        let held = RwSignal::new(pages.iter().map(|(p, l)| (p.clone(), l.answers.clone())).collect::<AllAnswers>());
        // What the roster answers counts like an answer (conditions, completion) but is neither shown nor held nor
        // sent: `pages_to_save` sends only what the respondent gave.
        let active = {
            let (survey, roster) = (survey.clone(), session.roster.clone());
            Memo::new(move |_| held.with(|h| visibility::active_with_roster(&survey, h, &roster)))
        };
        Run {
            ctx,
            lang: RwSignal::new(session.language.clone()),
            finished: RwSignal::new(session.finished),
            survey: StoredValue::new(survey),
            session: StoredValue::new(session),
            held,
            active,
            page: RwSignal::new(page),
            errors: RwSignal::new(Vec::new()),
            pages: StoredValue::new(pages.into_iter().collect()),
            debounce: StoredValue::new(None),
            storage_problem: RwSignal::new(None),
            refused: RwSignal::new(None),
        }
    }

    pub fn survey(&self) -> Arc<ValidSurvey> {
        self.survey.get_value()
    }

    pub fn default_language(&self) -> String {
        self.survey.with_value(|s| s.survey().default_language.clone())
    }

    /// Shown on its page: its condition holds, and the roster does not answer it.
    pub fn question_visible(&self, q: &Question) -> bool {
        if self.session.with_value(|s| roster::fills(q, &s.roster)) {
            return false;
        }
        let survey = self.survey();
        self.active.with(|a| visibility::question_visible(&survey, q, a))
    }

    /// An answer as a text pipes it in (`${name}`): its ODK value among the answers that count, `""` if none.
    pub fn piped(&self, name: &str) -> String {
        let survey = self.survey();
        self.active.with(|a| Form::new(&survey, &Known { survey: &survey, answers: a }).get(name).unwrap_or_default())
    }

    /// Whether the question's choice filter keeps `choice`, given the answers so far (an undecided filter keeps it).
    pub fn choice_offered(&self, q: &Question, choice: &quire_shared::Choice) -> bool {
        let survey = self.survey();
        // Without a filter nothing to follow: no reactive read of the answers for every choice on screen.
        if survey.logic().question(&q.id).is_none_or(|l| l.choice_filter.is_none()) {
            return true;
        }
        self.active.with(|a| odk::choice_offered(&survey, q, choice, &Known { survey: &survey, answers: a }))
    }

    /// Puts the survey's defaults on page `index` the first time it is shown (a page already held keeps what the
    /// respondent made of it, a cleared default included).
    pub fn hold_defaults(&self, index: usize) {
        let survey = self.survey();
        let Some(page) = survey.survey().pages.get(index) else { return };
        // (A calculation held for the page, `hold_clock_values`, is not the respondent's doing.)
        let calculation = |q: &str| survey.question(q).is_some_and(|q| !q.kind.is_answered());
        let started = self.held.with_untracked(|h| h.get(&page.id).is_some_and(|p| p.keys().any(|q| !calculation(q))));
        if started {
            return;
        }
        let defaults: Vec<_> = page
            .questions
            .iter()
            .filter_map(|q| quire_shared::answer::default_answer(q).map(|v| (q.id.clone(), v)))
            .collect();
        if defaults.is_empty() {
            return;
        }
        self.held.update(|h| {
            let held = h.entry(page.id.clone()).or_default();
            for (q, v) in defaults {
                held.entry(q).or_insert(v);
            }
        });
        self.write_held(&page.id);
    }

    /// A calculation that reads the clock (`today()`, `now()`) keeps the value it first had: it is held once computed
    /// (`visibility::calculated` then keeps it, here and on the server), so its page is not saved again each time
    /// the clock moves. Only on the page on screen: holding one on a page not reached would save that page early,
    /// and the server would count it as reached (the dashboard's last page, the export's "not reached").
    fn hold_clock_values(&self, index: usize) {
        let survey = self.survey();
        let Some(page) = survey.survey().pages.get(index) else { return };
        let mut found = Vec::new();
        self.active.with_untracked(|active| {
            self.held.with_untracked(|held| {
                let clock = |q: &&Question| survey.logic().question(&q.id).is_some_and(|l| l.clock);
                for q in page.questions.iter().filter(clock) {
                    let holds = held.get(&page.id).is_some_and(|p| p.contains_key(&q.id));
                    match active.get(&page.id).and_then(|p| p.get(&q.id)) {
                        Some(v) if !holds => found.push((page.id.clone(), q.id.clone(), v.clone())),
                        _ => {}
                    }
                }
            })
        });
        for (page, question, value) in found {
            self.held.update(|h| {
                h.entry(page.clone()).or_default().insert(question, value);
            });
            self.write_held(&page);
        }
    }

    /// The answer held for a question: what its inputs show.
    pub fn answer(&self, page: &str, question: &str) -> Option<AnswerValue> {
        self.held.with(|a| a.get(page).and_then(|p| p.get(question)).cloned())
    }

    /// The first error about a question (or one of its statements), in the language on screen.
    /// (A survey's own message, such as a constraint's, may pipe answers in: `${name}`.)
    pub fn error_for(&self, question: &str) -> Option<String> {
        let field = format!("answers.{question}");
        let lang = self.lang.get();
        let text = self.errors.with(|es| {
            es.iter()
                .find(|e| e.field == field || e.field.strip_prefix(&field).is_some_and(|r| r.starts_with('.')))
                .map(|e| e.text(&lang))
        })?;
        Some(if text.contains("${") { quire_shared::text::pipe(&text, |name| self.piped(name)) } else { text })
    }

    pub fn is_last_page(&self) -> bool {
        let survey = self.survey();
        let index = self.page.get();
        self.active.with(|a| visibility::next_page(&survey, index, a).is_none())
    }

    pub fn is_first_page(&self) -> bool {
        let survey = self.survey();
        let index = self.page.get();
        self.active.with(|a| visibility::previous_page(&survey, index, a).is_none())
    }

    pub fn set_answer(&self, page: &str, question: &str, value: Option<AnswerValue>) {
        self.held.update(|all| {
            let answers = all.entry(page.to_owned()).or_default();
            match value {
                Some(v) => answers.insert(question.to_owned(), v),
                None => answers.remove(question),
            };
        });
        self.write_held(page);
        self.hold_clock_values(self.page.get_untracked());
        if self.errors.with_untracked(|e| !e.is_empty()) {
            // Re-check as the respondent corrects, without new complaints about what they have not reached yet; an
            // error about a question that is now hidden goes with it.
            let index = self.page.get_untracked();
            let now = self.check(index, true);
            self.errors.update(|es| es.retain(|e| now.iter().any(|f| f.field == e.field)));
        }
        self.schedule_draft();
    }

    /// Writes what a page holds to IndexedDB now (the transaction starts in this task), so that a reload or a closed
    /// tab a moment after typing keeps it.
    fn write_held(&self, page: &str) {
        let answers = self.held.with_untracked(|h| h.get(page).cloned().unwrap_or_default());
        let local = self.pages.try_update_value(|m| {
            let local = m.entry(page.to_owned()).or_default();
            local.answers = answers;
            local.clone()
        });
        let Some(local) = local else { return };
        let (run, store, rid, page) = (*self, self.ctx.store(), self.respondent(), page.to_owned());
        let write = store.put_page(rid, &page, &local);
        spawn_local(async move {
            run.storage_result(write.await);
        });
    }

    fn respondent(&self) -> uuid::Uuid {
        self.session.with_value(|s| s.respondent_id)
    }

    fn storage_result(&self, result: Result<(), StoreError>) -> bool {
        match result {
            Ok(()) => {
                self.storage_problem.set(None);
                true
            }
            Err(e) => {
                web_sys::console::error_1(&format!("quire: cannot save on this computer: {e}").into());
                self.storage_problem.set(Some(e.msg()));
                false
            }
        }
    }

    fn schedule_draft(&self) {
        self.cancel_draft();
        let run = *self;
        let handle = set_timeout_with_handle(
            move || {
                run.debounce.set_value(None);
                let index = run.page.get_untracked();
                run.spawn_save(index, true, false, index);
            },
            DRAFT_DEBOUNCE,
        );
        self.debounce.set_value(handle.ok());
    }

    fn cancel_draft(&self) {
        if let Some(handle) = self.debounce.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    /// Queues what changed as a draft now (the page is being hidden or closed, the respondent signs out, or the app
    /// opens on answers that were held but not yet queued).
    pub fn flush(&self) {
        self.cancel_draft();
        if !self.finished.get_untracked() {
            let index = self.page.get_untracked();
            self.spawn_save(index, true, false, index);
        }
    }

    /// What keeps the respondent on page `index`: only ever about questions they can see.
    fn check(&self, index: usize, required: bool) -> Vec<AnswerError> {
        let survey = self.survey();
        let active = self.active.get_untracked();
        self.held.with_untracked(|held| visibility::page_problems(&survey, index, held, &active, required))
    }

    fn show_errors(&self, errors: Vec<AnswerError>) {
        self.errors.set(errors);
        after_render(browser::focus_first_invalid);
    }

    fn turn_to(&self, index: usize, start: f64) {
        self.hold_defaults(index);
        self.hold_clock_values(index);
        self.page.set(index);
        after_render(move || {
            browser::focus("page-title");
            browser::record_page_turn(start);
        });
    }

    /// Next (or Finish on the last page): checks the page with the shared rules, saves it, turns the page.
    pub fn next(&self) {
        let start = browser::perf_now();
        self.cancel_draft();
        let index = self.page.get_untracked();
        let errors = self.check(index, true);
        if !errors.is_empty() {
            return self.show_errors(errors);
        }
        let survey = self.survey();
        let active = self.active.get_untracked();
        if let Some(next) = visibility::next_page(&survey, index, &active) {
            self.spawn_save(index, false, false, next);
            self.errors.set(Vec::new());
            return self.turn_to(next, start);
        }
        // Finish means complete: every page this respondent sees was left with Next and has its required answers.
        // A page whose latest save the server refused is not final.
        let (last, refused) = (self.last_saved(), self.refused_pages());
        let this = survey.survey().pages[index].id.clone();
        let is_final = |p: &str| p == this || (!refused.contains(p) && last.get(p).is_some_and(|(_, draft)| !draft));
        if let Some(first) = visibility::incomplete_pages(&survey, &active, is_final).first() {
            let target = survey.page_index(first).unwrap_or(index);
            self.turn_to(target, start);
            return self.show_errors(self.check(target, true));
        }
        // The thank-you screen shows once the finish is on this device: a tab closed after it loses nothing.
        let (run, write) = (*self, self.save(index, false, true, index));
        spawn_local(async move {
            if write.await {
                run.errors.set(Vec::new());
                run.finished.set(true);
                after_render(|| browser::focus("done-title"));
            }
        });
    }

    pub fn back(&self) {
        let start = browser::perf_now();
        self.cancel_draft();
        let index = self.page.get_untracked();
        let survey = self.survey();
        if let Some(previous) = self.active.with_untracked(|a| visibility::previous_page(&survey, index, a)) {
            self.spawn_save(index, true, false, previous);
            self.errors.set(Vec::new());
            self.turn_to(previous, start);
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

    /// What each page's latest save sent.
    fn last_saved(&self) -> LastSaved {
        self.pages.with_value(|m| m.iter().filter_map(|(p, l)| l.last_saved().map(|s| (p.clone(), s))).collect())
    }

    fn refused_pages(&self) -> HashSet<String> {
        self.ctx.status.rejected.with_untracked(|r| r.iter().map(|r| r.save.page_id.clone()).collect())
    }

    /// The server refused saves of this respondent: they stay on the device, and the respondent is taken to the page
    /// to fix (for a refused finish, the first incomplete page it names), with the problems marked. A refusal about a
    /// page this survey does not have means the survey itself changed: told plainly, answers kept.
    pub fn show_refused(&self, rejected: &[Rejected]) {
        let Some(first) = rejected.iter().min_by_key(|r| r.save.revision) else {
            return self.refused.set(None);
        };
        let survey = self.survey();
        let named = first.errors.iter().find_map(|e| e.field.strip_prefix("pages.")).map(str::to_owned);
        let Some(target) = survey.page_index(named.as_deref().unwrap_or(&first.save.page_id)) else {
            return self.refused.set(Some(Msg::SurveyChanged));
        };
        if rejected.iter().any(|r| r.save.finishes) && self.finished.get_untracked() {
            self.finished.set(false);
            self.session.update_value(|s| s.finished = false);
            let (store, session) = (self.ctx.store(), self.session.get_value());
            spawn_local(async move {
                let _ = store.put_session(&session).await;
            });
        }
        self.refused.set(Some(Msg::Refused));
        self.turn_to(target, browser::perf_now());
        let mut errors = self.check(target, true);
        if errors.is_empty() {
            // The app sees no problem with the page: mark the questions the server named, in the respondent's words.
            errors = first
                .errors
                .iter()
                .filter(|e| e.field.starts_with("answers."))
                .map(|e| AnswerError::of(e.field.clone(), Problem::Refused))
                .collect();
        }
        self.show_errors(errors);
    }

    fn spawn_save(&self, index: usize, draft: bool, finishes: bool, now_on: usize) {
        let write = self.save(index, draft, finishes, now_on);
        spawn_local(async move {
            write.await;
        });
    }

    /// Saves what changed (page `index`, and any page whose active answers the change altered; see
    /// `visibility::pages_to_save`) and records `now_on` as the page on screen, in one IndexedDB transaction with the
    /// outbox entries. Prepared now, in this task; the returned future writes it and says whether it is on the
    /// device, then wakes the sync loop.
    fn save(&self, index: usize, draft: bool, finishes: bool, now_on: usize) -> impl Future<Output = bool> + 'static {
        let survey = self.survey();
        let active = self.active.get_untracked();
        // A refused save is answered by the respondent saving its page again (on screen, with Next or a draft), never
        // behind their back: so only the page on screen counts as unsaved when refused.
        let mut last = self.last_saved();
        if self.refused_pages().contains(&survey.survey().pages[index].id) {
            last.remove(&survey.survey().pages[index].id);
        }
        let mut due =
            self.held.with_untracked(|held| visibility::pages_to_save(&survey, held, &active, &last, index, draft));
        if finishes && !due.iter().any(|(i, _, _)| *i == index) {
            // The last page was saved unchanged before: the finish is a save of its own.
            due.push((index, visibility::page_answers(&active, &survey.survey().pages[index].id), false));
        }
        let now_on_id = survey.survey().pages[now_on].id.clone();
        let mut saves = Vec::new();
        self.session.update_value(|s| {
            s.page = now_on_id;
            s.finished |= finishes;
            for (i, answers, draft) in due {
                saves.push(PageSave {
                    page_id: survey.survey().pages[i].id.clone(),
                    revision: s.next_revision,
                    answers,
                    // A broken device clock is moved into the window the server accepts (`quire_shared::storable`).
                    client_time: quire_shared::clamp_client_time(browser::now()),
                    finishes: finishes && i == index,
                    draft,
                });
                s.next_revision += 1;
            }
        });
        let held = self.held.get_untracked();
        let locals: Vec<(String, LocalPage)> = self
            .pages
            .try_update_value(|m| {
                saves
                    .iter()
                    .map(|save| {
                        let local = m.entry(save.page_id.clone()).or_default();
                        local.revision = save.revision;
                        local.draft = save.draft;
                        local.sent = Some(save.answers.clone());
                        local.answers = held.get(&save.page_id).cloned().unwrap_or_default();
                        (save.page_id.clone(), local.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !saves.is_empty() {
            // Shown as pending at once; the recount after the write corrects it.
            self.ctx.status.pending.update(|n| *n += saves.len());
        }
        let (run, session) = (*self, self.session.get_value());
        let write = self.ctx.store().save_pages(&session, &saves, &locals);
        async move {
            let ok = run.storage_result(write.await);
            if ok {
                run.ctx.saved().await;
            }
            ok
        }
    }
}

/// Runs `f` once Leptos has applied the pending DOM updates (they run as queued tasks, before this one).
fn after_render(f: impl FnOnce() + 'static) {
    spawn_local(async move { f() });
}

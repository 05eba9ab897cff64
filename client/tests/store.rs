//! The local database and its outbox, in headless Chromium against the browser's real IndexedDB. Each test opens a
//! database of its own name and deletes it at the end.

// Clippy does not see `#[wasm_bindgen_test]` functions as tests, so `allow-unwrap-in-tests` does not reach them.
#![allow(clippy::unwrap_used)]

use ::idb::Database;
use quire_client::storage::db::{self, Tx};
use quire_client::storage::error::StoreError;
use quire_client::storage::records::{outbox_key, respondent_of, to_json, LocalPage, Rejected, Session};
use quire_client::storage::schema::{self, create_store, Step, ANSWERS, OUTBOX, SESSIONS, STEPS, VERSION};
use quire_client::storage::store::Store;
use quire_shared::{AnswerValue, PageAnswers, PageSave};
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_name() -> String {
    format!("quire-test-{}", js_sys::Math::random().to_bits())
}

fn uuid() -> Uuid {
    let hi = (js_sys::Math::random() * 2f64.powi(52)) as u128;
    let lo = (js_sys::Math::random() * 2f64.powi(52)) as u128;
    Uuid::from_u128((hi << 64) | lo)
}

fn session(rid: Uuid) -> Session {
    Session {
        respondent_id: rid,
        token: "token".into(),
        survey_id: "s".into(),
        survey_version: "v1".into(),
        survey_url: "/static/surveys/v1.json".into(),
        code_hash: "h".into(),
        salt: "salt".into(),
        page: "p1".into(),
        language: "en".into(),
        next_revision: 1,
        finished: false,
        roster: Default::default(),
    }
}

fn save(page: &str, revision: u64, text: &str) -> PageSave {
    let answers: PageAnswers = [("q".to_owned(), AnswerValue::Text(text.into()))].into();
    PageSave {
        page_id: page.into(),
        revision,
        answers,
        client_time: time::OffsetDateTime::UNIX_EPOCH,
        finishes: false,
        draft: true,
    }
}

async fn open(name: &str) -> Store {
    Store::open(name).await.unwrap_or_else(|e| panic!("open {name}: {e}"))
}

#[wasm_bindgen_test]
async fn a_page_save_writes_answers_outbox_and_session_together_and_survives_reopening() {
    let name = fresh_name();
    let store = open(&name).await;
    let rid = uuid();
    let mut s = session(rid);
    s.next_revision = 2;
    s.page = "p2".into();
    store.save_page(&s, &save("p1", 1, "hello")).await.unwrap();
    store.close();

    let store = open(&name).await;
    assert_eq!(store.session(rid).await.ok().flatten(), Some(s));
    let answers = store.answers(rid).await.unwrap_or_default();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].0, "p1");
    assert_eq!(answers[0].1.answers, save("p1", 1, "hello").answers);
    assert!(answers[0].1.draft);
    let pending = store.pending().await.unwrap_or_default();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].save, save("p1", 1, "hello"));
    assert_eq!(respondent_of(&pending[0].key), Some(rid));
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn a_newer_save_replaces_the_older_one_and_an_old_ack_cannot_delete_it() {
    let name = fresh_name();
    let store = open(&name).await;
    let rid = uuid();
    let s = session(rid);
    store.save_page(&s, &save("p1", 1, "first")).await.unwrap();
    store.save_page(&s, &save("p2", 2, "other page")).await.unwrap();
    // The first save is in flight (its key was read) when the respondent changes the page again.
    let in_flight = store.pending().await.unwrap_or_default();
    store.save_page(&s, &save("p1", 3, "second")).await.unwrap();
    // Revision 10 sorts after 9 only if keys are zero-padded.
    store.save_page(&s, &save("p1", 10, "third")).await.unwrap();

    let pending = store.pending().await.unwrap_or_default();
    let revisions: Vec<(String, u64)> = pending.iter().map(|p| (p.save.page_id.clone(), p.save.revision)).collect();
    assert_eq!(revisions, [("p1".to_owned(), 10), ("p2".to_owned(), 2)]);

    // The server acknowledges the batch that was in flight: p1 rev 1 and p2 rev 2.
    let keys: Vec<String> = in_flight.iter().map(|p| p.key.clone()).collect();
    store.acknowledge(&keys).await.unwrap();
    let pending = store.pending().await.unwrap_or_default();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].save, save("p1", 10, "third"));
    assert_eq!(store.pending_count(rid).await, Ok(1));
    store.acknowledge(&[pending[0].key.clone()]).await.unwrap();
    assert_eq!(store.pending_count(rid).await, Ok(0));
    // The answers stay: only the outbox empties.
    assert_eq!(store.answers(rid).await.unwrap_or_default().len(), 2);
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn respondents_on_one_browser_are_kept_apart_and_forgetting_one_leaves_the_other() {
    let name = fresh_name();
    let store = open(&name).await;
    let (a, b) = (uuid(), uuid());
    store.save_page(&session(a), &save("p1", 1, "a's answer")).await.unwrap();
    store.save_page(&session(b), &save("p1", 1, "b's answer")).await.unwrap();
    assert_eq!(store.answers(b).await.unwrap_or_default()[0].1.answers, save("p1", 1, "b's answer").answers);
    assert_eq!(store.pending_count(a).await, Ok(1));
    assert_eq!(store.sessions().await.unwrap_or_default().len(), 2);

    store.forget(a).await.unwrap();
    assert_eq!(store.session(a).await, Ok(None));
    assert_eq!(store.answers(a).await, Ok(vec![]));
    assert_eq!(store.pending_count(a).await, Ok(0));
    assert!(store.session(b).await.ok().flatten().is_some());
    assert_eq!(store.pending_count(b).await, Ok(1));
    assert_eq!(store.answers(b).await.unwrap_or_default().len(), 1);
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn surveys_are_kept_by_version() {
    let name = fresh_name();
    let store = open(&name).await;
    assert_eq!(store.survey("v1").await, Ok(None));
    store.put_survey("v1", "{\"id\":\"s\"}").await.unwrap();
    assert_eq!(store.survey("v1").await, Ok(Some("{\"id\":\"s\"}".to_owned())));
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn a_refused_save_leaves_the_outbox_for_rejected_and_a_new_save_of_its_page_answers_it() {
    let name = fresh_name();
    let store = open(&name).await;
    let rid = uuid();
    let s = session(rid);
    store.save_page(&s, &save("p1", 1, "refused")).await.unwrap();
    store.save_page(&s, &save("p2", 2, "fine")).await.unwrap();
    let pending = store.pending().await.unwrap_or_default();
    let errors = vec![quire_shared::AnswerError::new("answers.q", "bad")];
    let refused = Rejected { save: pending[0].save.clone(), errors };
    store.settle(&[pending[1].key.clone()], &[(pending[0].key.clone(), refused.clone())]).await.unwrap();
    // Nothing waits to be sent, and nothing is lost: the refused save is kept with its reasons.
    assert_eq!(store.pending_count(rid).await, Ok(0));
    assert_eq!(store.rejected(rid).await, Ok(vec![refused]));
    // Forgetting the respondent would lose it: the sync loop checks `rejected` first. A new save of the page answers
    // the refusal.
    store.save_page(&s, &save("p1", 3, "fixed")).await.unwrap();
    assert_eq!(store.rejected(rid).await, Ok(vec![]));
    assert_eq!(store.pending_count(rid).await, Ok(1));
    // A refusal that comes back after the page was saved again (the request was in flight meanwhile) is answered by
    // that newer save: it does not stand.
    let late = Rejected { save: save("p1", 2, "in flight"), errors: vec![] };
    let key = format!("{rid}/p1/{:016}", 2);
    store.settle(&[], &[(key, late)]).await.unwrap();
    assert_eq!(store.rejected(rid).await, Ok(vec![]));
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn held_answers_are_kept_apart_from_what_was_sent() {
    let name = fresh_name();
    let store = open(&name).await;
    let rid = uuid();
    let s = session(rid);
    let sent = save("p1", 1, "active");
    let mut held = sent.answers.clone();
    held.insert("hidden".into(), AnswerValue::Text("kept on the device".into()));
    let local = LocalPage { revision: 1, answers: held.clone(), draft: true, sent: Some(sent.answers.clone()) };
    store.save_pages(&s, std::slice::from_ref(&sent), &[("p1".into(), local.clone())]).await.unwrap();
    // Typing after the save: held changes at once, the outbox does not.
    let mut typed = local.clone();
    typed.answers.insert("q".into(), AnswerValue::Text("typed".into()));
    store.put_page(rid, "p1", &typed).await.unwrap();
    let answers = store.answers(rid).await.unwrap_or_default();
    assert_eq!(answers, vec![("p1".to_owned(), typed.clone())]);
    assert_eq!(typed.last_saved(), Some((sent.answers.clone(), true)));
    assert_eq!(store.pending().await.unwrap_or_default()[0].save, sent);
    store.close();
    let _ = db::delete_database(&name).await;
}

// Schema upgrades: a device may hold any older version with unsent answers in it.

/// The schema as the first release wrote it (no `rejected` store).
static SCHEMA_1: [Step; 1] = [STEPS[0]];

fn next_step(db: &Database) -> Result<(), StoreError> {
    create_store(db, "next")
}

fn failing_step(_: &Database) -> Result<(), StoreError> {
    Err(StoreError::Other("this step fails".into()))
}

/// The schema after this one: every step of today's, and one more.
static NEXT: [Step; 3] = [STEPS[0], STEPS[1], next_step];
static BROKEN_NEXT: [Step; 3] = [STEPS[0], STEPS[1], failing_step];

#[wasm_bindgen_test]
async fn a_device_on_the_first_schema_keeps_its_unsent_saves_when_the_app_upgrades() {
    assert_eq!(VERSION, 2);
    let name = fresh_name();
    let rid = uuid();
    // What the first release wrote: a session, held answers and an outbox entry, in its own key and value formats.
    let old = db::open(&name, 1, |db, from, to| schema::upgrade(&SCHEMA_1, db, from, to)).await.unwrap();
    let mut tx: Tx = old.write(&[SESSIONS, ANSWERS, OUTBOX]).unwrap();
    let page = LocalPage { revision: 1, answers: save("p1", 1, "unsent").answers, draft: true, sent: None };
    tx.put(SESSIONS, &rid.to_string(), &to_json(&session(rid)).unwrap());
    tx.put(ANSWERS, &format!("{rid}/p1"), &to_json(&page).unwrap());
    tx.put(OUTBOX, &outbox_key(rid, "p1", 1), &to_json(&save("p1", 1, "unsent")).unwrap());
    tx.commit().await.unwrap();
    old.close();

    let store = open(&name).await;
    let pending = store.pending().await.unwrap();
    assert_eq!(pending.iter().map(|p| &p.save).collect::<Vec<_>>(), [&save("p1", 1, "unsent")]);
    assert_eq!(store.answers(rid).await.unwrap(), vec![("p1".to_owned(), page)]);
    assert_eq!(store.session(rid).await.unwrap(), Some(session(rid)));
    // The store the upgrade added works.
    assert_eq!(store.rejected(rid).await.unwrap(), vec![]);
    store.close();
    let _ = db::delete_database(&name).await;
}

/// Today's schema writes saves of every kind (unsent, refused, held answers); the next schema finds all of them.
async fn written_by_this_schema(name: &str, rid: Uuid) {
    let store = open(name).await;
    let mut s = session(rid);
    s.next_revision = 4;
    store.save_page(&s, &save("p1", 1, "one")).await.unwrap();
    store.save_page(&s, &save("p2", 2, "two")).await.unwrap();
    store.save_page(&s, &save("p3", 3, "refused")).await.unwrap();
    let refused = Rejected { save: save("p3", 3, "refused"), errors: vec![] };
    store.settle(&[], &[(outbox_key(rid, "p3", 3), refused)]).await.unwrap();
    store.close();
}

async fn finds_everything(store: &Store, rid: Uuid) {
    let pending: Vec<PageSave> = store.pending().await.unwrap().into_iter().map(|p| p.save).collect();
    assert_eq!(pending, vec![save("p1", 1, "one"), save("p2", 2, "two")]);
    assert_eq!(store.answers(rid).await.unwrap().len(), 3);
    assert_eq!(store.rejected(rid).await.unwrap().len(), 1);
    assert_eq!(store.session(rid).await.unwrap().map(|s| s.next_revision), Some(4));
}

#[wasm_bindgen_test]
async fn the_next_schema_opens_this_one_and_finds_every_unsent_answer() {
    let name = fresh_name();
    let rid = uuid();
    written_by_this_schema(&name, rid).await;
    let store = Store::open_with(&name, &NEXT).await.unwrap();
    finds_everything(&store, rid).await;
    store.close();
    let _ = db::delete_database(&name).await;
}

#[wasm_bindgen_test]
async fn a_failed_upgrade_changes_nothing() {
    let name = fresh_name();
    let rid = uuid();
    written_by_this_schema(&name, rid).await;
    assert!(Store::open_with(&name, &BROKEN_NEXT).await.is_err());
    // Still at today's version, with everything in it.
    let store = open(&name).await;
    finds_everything(&store, rid).await;
    store.close();
    let _ = db::delete_database(&name).await;
}

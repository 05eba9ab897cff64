//! Quire's local database: sessions, answers, the outbox of page-saves waiting for the server, and survey files.
//!
//! Keys are strings that start with the respondent id, so one respondent's data is one key range: it can be read,
//! synced and deleted without touching anyone else's (shared classroom computers).
//!
//! The outbox keeps at most one save per page: `<respondent>/<page>/<revision, 16 digits>`. Writing a new save of a
//! page deletes the older ones of that page *in the same transaction* (a key-range delete, no read), and an
//! acknowledgement deletes exactly the key it acknowledges. So an ack for an old revision can never delete a newer
//! save, and whatever is in the outbox is always the latest state of its page, safe to send again and again.

use quire_shared::{AnswerError, PageAnswers, PageSave};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::idb::{self, Db, IdbError};

pub const DB_NAME: &str = "quire";
const SESSIONS: &str = "sessions";
const ANSWERS: &str = "answers";
const OUTBOX: &str = "outbox";
const SURVEYS: &str = "surveys";
/// Saves the server refused, with its reasons, keyed like the outbox: kept, shown, never sent again.
const REJECTED: &str = "rejected";
const STORES: &[&str] = &[SESSIONS, ANSWERS, OUTBOX, SURVEYS, REJECTED];
/// Version 2 added `rejected`; opening creates the stores a device lacks and keeps everything else.
const VERSION: u32 = 2;

/// One respondent on this browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub respondent_id: Uuid,
    pub token: String,
    pub survey_id: String,
    pub survey_version: String,
    pub survey_url: String,
    /// Salted SHA-256 of the access code: lets the respondent back in offline without keeping the code itself.
    pub code_hash: String,
    pub salt: String,
    /// The page on screen.
    pub page: String,
    pub language: String,
    /// The revision the next save gets (unique and increasing per respondent).
    pub next_revision: u64,
    /// Finished on this browser (the finishing save may still be in the outbox).
    pub finished: bool,
}

/// One page on this browser: every answer the respondent gave on it (what the screen shows, hidden ones included),
/// and what its latest save sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LocalPage {
    /// Revision of the latest save; 0 if never saved.
    pub revision: u64,
    /// The answers held: written within moments of every change.
    pub answers: PageAnswers,
    /// The latest save was a draft (the respondent had not left the page with Next).
    #[serde(default)]
    pub draft: bool,
    /// The answers of the latest save (the active ones); `None` in data from before hidden answers were kept, where
    /// they equal `answers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<PageAnswers>,
}

impl LocalPage {
    /// What the latest save sent, if the page was ever saved.
    pub fn last_saved(&self) -> Option<(PageAnswers, bool)> {
        (self.revision > 0).then(|| (self.sent.clone().unwrap_or_else(|| self.answers.clone()), self.draft))
    }
}

/// A save the server refused, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    pub save: PageSave,
    pub errors: Vec<AnswerError>,
}

/// A save waiting in the outbox, with the key that acknowledges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub key: String,
    pub save: PageSave,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The browser's storage for this site is full.
    Full,
    Other(String),
}

impl From<IdbError> for StoreError {
    fn from(e: IdbError) -> Self {
        if e.is_quota() {
            StoreError::Full
        } else {
            StoreError::Other(e.to_string())
        }
    }
}

impl StoreError {
    /// What to tell the respondent.
    pub fn msg(&self) -> crate::ui::Msg {
        match self {
            StoreError::Full => crate::ui::Msg::StorageFull,
            StoreError::Other(_) => crate::ui::Msg::StorageFailed,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Full => f.write_str("this browser's storage is full"),
            StoreError::Other(m) => f.write_str(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(e.to_string()))
}

fn page_key(respondent: Uuid, page: &str) -> String {
    format!("{respondent}/{page}")
}

fn outbox_key(respondent: Uuid, page: &str, revision: u64) -> String {
    format!("{respondent}/{page}/{revision:016}")
}

/// The respondent an outbox key belongs to.
pub fn respondent_of(key: &str) -> Option<Uuid> {
    key.split('/').next().and_then(|s| s.parse().ok())
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    pub async fn open(name: &str) -> Result<Store> {
        Ok(Store { db: idb::open(name, VERSION, STORES).await? })
    }

    pub fn close(&self) {
        self.db.close();
    }

    pub async fn session(&self, respondent: Uuid) -> Result<Option<Session>> {
        self.db.get(SESSIONS, &respondent.to_string()).await?.map(|s| from_json(&s)).transpose()
    }

    pub async fn sessions(&self) -> Result<Vec<Session>> {
        self.db.get_prefix(SESSIONS, "").await?.iter().map(|(_, v)| from_json(v)).collect()
    }

    pub async fn put_session(&self, session: &Session) -> Result<()> {
        let mut tx = self.db.write(&[SESSIONS])?;
        tx.put(SESSIONS, &session.respondent_id.to_string(), &to_json(session)?);
        Ok(tx.commit().await?)
    }

    /// Stores a session together with answers that came from the server (resume on a new device).
    pub async fn start_session(&self, session: &Session, pages: &[(String, LocalPage)]) -> Result<()> {
        let mut tx = self.db.write(&[SESSIONS, ANSWERS])?;
        tx.put(SESSIONS, &session.respondent_id.to_string(), &to_json(session)?);
        for (page, local) in pages {
            tx.put(ANSWERS, &page_key(session.respondent_id, page), &to_json(local)?);
        }
        Ok(tx.commit().await?)
    }

    /// Every page's local answers of one respondent, by page id.
    pub async fn answers(&self, respondent: Uuid) -> Result<Vec<(String, LocalPage)>> {
        let prefix = format!("{respondent}/");
        let rows = self.db.get_prefix(ANSWERS, &prefix).await?;
        rows.iter().map(|(k, v)| Ok((k[prefix.len()..].to_owned(), from_json(v)?))).collect()
    }

    /// Records a page-save whose answers are also what is held (see `save_pages`).
    pub fn save_page(
        &self,
        session: &Session,
        save: &PageSave,
    ) -> impl std::future::Future<Output = Result<()>> + 'static {
        let local = LocalPage { revision: save.revision, answers: save.answers.clone(), draft: save.draft, sent: None };
        self.save_pages(session, std::slice::from_ref(save), &[(save.page_id.clone(), local)])
    }

    /// Records page-saves: each page's held answers (`pages`), the outbox entries that will send the saves (replacing
    /// older unsent saves of their pages, and any refused save of those pages, which the new one answers) and the
    /// session (next revision, page on screen), in one transaction: all of it or none of it.
    ///
    /// The transaction is opened and its writes queued before this returns (only the commit is awaited), so that they
    /// are in IndexedDB's hands even if the page goes away before the future runs.
    pub fn save_pages(
        &self,
        session: &Session,
        saves: &[PageSave],
        pages: &[(String, LocalPage)],
    ) -> impl std::future::Future<Output = Result<()>> + 'static {
        let commit = self.queue_pages(session, saves, pages).map(idb::Tx::commit);
        async move { Ok(commit?.await?) }
    }

    fn queue_pages(&self, session: &Session, saves: &[PageSave], pages: &[(String, LocalPage)]) -> Result<idb::Tx> {
        let rid = session.respondent_id;
        let mut tx = self.db.write(&[SESSIONS, ANSWERS, OUTBOX, REJECTED])?;
        for (page, local) in pages {
            tx.put(ANSWERS, &page_key(rid, page), &to_json(local)?);
        }
        for save in saves {
            let key = outbox_key(rid, &save.page_id, save.revision);
            tx.delete_range(OUTBOX, &outbox_key(rid, &save.page_id, 0), &key);
            tx.delete_range(REJECTED, &outbox_key(rid, &save.page_id, 0), &key);
            tx.put(OUTBOX, &key, &to_json(save)?);
        }
        tx.put(SESSIONS, &rid.to_string(), &to_json(session)?);
        Ok(tx)
    }

    /// Writes what a page holds, as the respondent changes it (no save, no outbox entry); queued before it returns,
    /// like `save_pages`.
    pub fn put_page(
        &self,
        respondent: Uuid,
        page: &str,
        local: &LocalPage,
    ) -> impl std::future::Future<Output = Result<()>> + 'static {
        let commit = self.db.write(&[ANSWERS]).map_err(StoreError::from).and_then(|mut tx| {
            tx.put(ANSWERS, &page_key(respondent, page), &to_json(local)?);
            Ok(tx.commit())
        });
        async move { Ok(commit?.await?) }
    }

    /// Everything waiting to be sent, of every respondent on this browser, in key order (respondent, page, revision).
    pub async fn pending(&self) -> Result<Vec<Pending>> {
        let rows = self.db.get_prefix(OUTBOX, "").await?;
        rows.into_iter().map(|(key, v)| Ok(Pending { key, save: from_json(&v)? })).collect()
    }

    /// How many saves of one respondent wait to be sent.
    pub async fn pending_count(&self, respondent: Uuid) -> Result<usize> {
        Ok(self.db.get_prefix(OUTBOX, &format!("{respondent}/")).await?.len())
    }

    /// Removes acknowledged saves. A key whose page has since been saved again is already gone: nothing happens.
    pub async fn acknowledge(&self, keys: &[String]) -> Result<()> {
        self.settle(keys, &[]).await
    }

    /// Applies the server's answer to a batch in one transaction: accepted saves leave the outbox; refused ones move
    /// from the outbox to `rejected`. A refusal that arrives after a newer save of its page is answered already:
    /// `rejected` leaves it out.
    pub async fn settle(&self, accepted: &[String], rejected: &[(String, Rejected)]) -> Result<()> {
        if accepted.is_empty() && rejected.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.write(&[OUTBOX, REJECTED])?;
        for key in accepted {
            tx.delete(OUTBOX, key);
        }
        for (key, r) in rejected {
            tx.delete(OUTBOX, key);
            tx.put(REJECTED, key, &to_json(r)?);
        }
        Ok(tx.commit().await?)
    }

    /// The refused saves of one respondent that still stand, by key. A refusal whose page has a newer save on this
    /// device (the reply came back after the respondent saved the page again) is answered by that save: it is dropped
    /// here, once and for all (revisions only grow), so it can neither take the respondent back nor keep a finished
    /// respondent's data on a shared computer.
    pub async fn rejected(&self, respondent: Uuid) -> Result<Vec<Rejected>> {
        let rows = self.db.get_prefix(REJECTED, &format!("{respondent}/")).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let saved: std::collections::HashMap<String, u64> =
            self.answers(respondent).await?.into_iter().map(|(page, local)| (page, local.revision)).collect();
        let (mut standing, mut answered) = (Vec::new(), Vec::new());
        for (key, value) in rows {
            let r: Rejected = from_json(&value)?;
            if saved.get(&r.save.page_id).is_some_and(|&rev| rev > r.save.revision) {
                answered.push(key);
            } else {
                standing.push(r);
            }
        }
        if !answered.is_empty() {
            let mut tx = self.db.write(&[REJECTED])?;
            for key in &answered {
                tx.delete(REJECTED, key);
            }
            tx.commit().await?;
        }
        Ok(standing)
    }

    /// Deletes everything this browser holds for one respondent (after the server has their completed survey).
    pub async fn forget(&self, respondent: Uuid) -> Result<()> {
        let prefix = format!("{respondent}/");
        let mut tx = self.db.write(&[SESSIONS, ANSWERS, OUTBOX, REJECTED])?;
        tx.delete(SESSIONS, &respondent.to_string());
        tx.delete_prefix(ANSWERS, &prefix);
        tx.delete_prefix(OUTBOX, &prefix);
        tx.delete_prefix(REJECTED, &prefix);
        Ok(tx.commit().await?)
    }

    pub async fn survey(&self, version: &str) -> Result<Option<String>> {
        Ok(self.db.get(SURVEYS, version).await?)
    }

    pub async fn put_survey(&self, version: &str, text: &str) -> Result<()> {
        let mut tx = self.db.write(&[SURVEYS])?;
        tx.put(SURVEYS, version, text);
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_quota_is_told_apart_from_other_failures() {
        let quota = IdbError { name: "QuotaExceededError".into(), message: "full".into() };
        assert_eq!(StoreError::from(quota), StoreError::Full);
        let other = IdbError { name: "AbortError".into(), message: "aborted".into() };
        assert!(matches!(StoreError::from(other), StoreError::Other(m) if m.contains("AbortError")));
    }

    #[test]
    fn outbox_keys_sort_by_respondent_page_revision() {
        let rid = Uuid::from_u128(7);
        let (k9, k10) = (outbox_key(rid, "p1", 9), outbox_key(rid, "p1", 10));
        assert!(k9 < k10, "{k9} < {k10}");
        assert!(outbox_key(rid, "p1", u64::MAX / 4096) > k10);
        assert_eq!(respondent_of(&k10), Some(rid));
        assert_eq!(respondent_of("not-a-key/p1/1"), None);
    }
}

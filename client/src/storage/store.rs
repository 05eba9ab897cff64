//! Quire's local database as the app uses it: sessions, answers, the outbox of page-saves waiting for the server,
//! refused saves, and survey files.
//!
//! The outbox keeps at most one save per page: `<respondent>/<page>/<revision, 16 digits>`. Writing a new save of a
//! page deletes the older ones of that page *in the same transaction* (a key-range delete, no read), and an
//! acknowledgement deletes exactly the key it acknowledges. So an ack for an old revision can never delete a newer
//! save, and whatever is in the outbox is always the latest state of its page, safe to send again and again.

use quire_shared::PageSave;
use uuid::Uuid;

use crate::storage::db::{self, Db, Tx};
use crate::storage::error::Result;
use crate::storage::records::{from_json, outbox_key, page_key, to_json, LocalPage, Pending, Rejected, Session};
use crate::storage::schema::{self, Step, ANSWERS, OUTBOX, REJECTED, SESSIONS, SURVEYS};

pub const DB_NAME: &str = "quire";

#[derive(Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    pub async fn open(name: &str) -> Result<Store> {
        Self::open_with(name, &schema::STEPS).await
    }

    /// Opens with the schema of `steps` (tests open with the next schema, to prove an upgrade keeps what is unsent).
    pub async fn open_with(name: &str, steps: &'static [Step]) -> Result<Store> {
        let version = steps.len() as u32;
        let db = db::open(name, version, move |db, from, to| schema::upgrade(steps, db, from, to)).await?;
        Ok(Store { db })
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
        tx.commit().await
    }

    /// Stores a session together with answers that came from the server (resume on a new device).
    pub async fn start_session(&self, session: &Session, pages: &[(String, LocalPage)]) -> Result<()> {
        let mut tx = self.db.write(&[SESSIONS, ANSWERS])?;
        tx.put(SESSIONS, &session.respondent_id.to_string(), &to_json(session)?);
        for (page, local) in pages {
            tx.put(ANSWERS, &page_key(session.respondent_id, page), &to_json(local)?);
        }
        tx.commit().await
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
        let commit = self.queue_pages(session, saves, pages).map(Tx::commit);
        async move { commit?.await }
    }

    fn queue_pages(&self, session: &Session, saves: &[PageSave], pages: &[(String, LocalPage)]) -> Result<Tx> {
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
        let commit = self.db.write(&[ANSWERS]).and_then(|mut tx| {
            tx.put(ANSWERS, &page_key(respondent, page), &to_json(local)?);
            Ok(tx.commit())
        });
        async move { commit?.await }
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
        tx.commit().await
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
        tx.commit().await
    }

    pub async fn survey(&self, version: &str) -> Result<Option<String>> {
        self.db.get(SURVEYS, version).await
    }

    pub async fn put_survey(&self, version: &str, text: &str) -> Result<()> {
        let mut tx = self.db.write(&[SURVEYS])?;
        tx.put(SURVEYS, version, text);
        tx.commit().await
    }
}

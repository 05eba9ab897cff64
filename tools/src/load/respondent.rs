//! One simulated respondent's state (session, path, pending saves, what was acknowledged) and the request body for
//! what they have pending.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use quire_shared::LoginResponse;
use serde::Serialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::load::conn::Conn;
use crate::load::walk::PathPage;

/// A save waiting to be sent: which page of the path, and the fields the app fills in when it saves.
#[derive(Clone, Copy)]
pub(crate) struct Pending {
    pub(crate) page: usize,
    pub(crate) revision: u64,
    pub(crate) client_time: OffsetDateTime,
    pub(crate) finishes: bool,
}

/// `quire_shared::SyncBatch` as it goes on the wire, borrowing the pre-encoded answers (a test checks that the server's
/// types read it back as the same batch).
#[derive(Serialize)]
struct WireBatch<'a> {
    respondent_id: Uuid,
    saves: Vec<WireSave<'a>>,
}

/// `quire_shared::PageSave` on the wire.
#[derive(Serialize)]
struct WireSave<'a> {
    page_id: &'a str,
    revision: u64,
    answers: &'a RawValue,
    #[serde(with = "time::serde::rfc3339")]
    client_time: OffsetDateTime,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    finishes: bool,
}

/// One simulated respondent: their session, their path through the survey and what the server acknowledged.
pub(crate) struct Respondent {
    pub(crate) login: LoginResponse,
    pub(crate) path: Arc<Vec<PathPage>>,
    next_page: usize,
    next_revision: u64,
    pub(crate) pending: Vec<Pending>,
    /// Revision → (page index in `path`, accepted?) as acknowledged.
    pub(crate) acked: HashMap<u64, (usize, bool)>,
    /// Revisions sent in a request whose answer never came: they may or may not be stored.
    pub(crate) uncertain: HashSet<u64>,
    /// `Authorization: Bearer <token>`, built once.
    pub(crate) auth: hyper::header::HeaderValue,
    /// The respondent's own connection to the server.
    pub(crate) conn: Conn,
}

impl Respondent {
    /// A respondent just signed in; new saves continue above what the server already holds.
    pub(crate) fn new(login: LoginResponse, path: Arc<Vec<PathPage>>) -> Self {
        let next_revision = login.resume.last_revision + 1;
        // A token the server issued is printable ASCII; were it not, the server would refuse the empty header.
        let auth = hyper::header::HeaderValue::from_str(&format!("Bearer {}", login.token))
            .unwrap_or(hyper::header::HeaderValue::from_static(""));
        Respondent {
            auth,
            conn: Conn::default(),
            login,
            path,
            next_page: 0,
            next_revision,
            pending: Vec::new(),
            acked: HashMap::new(),
            uncertain: HashSet::new(),
        }
    }

    pub(crate) fn queue_next(&mut self) {
        let page = self.next_page % self.path.len();
        self.next_page += 1;
        let finishes = self.next_page.is_multiple_of(self.path.len());
        self.pending.push(Pending {
            page,
            revision: self.next_revision,
            client_time: OffsetDateTime::now_utc(),
            finishes,
        });
        self.next_revision += 1;
    }

    /// The request body for everything pending: a `SyncBatch` as the app sends it.
    pub(crate) fn body(&self) -> Vec<u8> {
        let saves = self
            .pending
            .iter()
            .map(|p| {
                let page = &self.path[p.page];
                WireSave {
                    page_id: &page.page_id,
                    revision: p.revision,
                    answers: &page.answers,
                    client_time: p.client_time,
                    finishes: p.finishes,
                }
            })
            .collect();
        serde_json::to_vec(&WireBatch { respondent_id: self.login.respondent_id, saves }).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::walk::{answer_items, student_answers};
    use quire_shared::ValidSurvey;

    /// The generator encodes bodies itself (answers once per page); the server's types must read them back as the
    /// batch the app would have sent, field for field.
    #[test]
    fn wire_body_is_the_shared_sync_batch() {
        let survey = ValidSurvey::parse(include_str!("../../../shared/fixtures/school-climate.json")).unwrap();
        let answers = student_answers(&survey, 7);
        let path: Vec<PathPage> = answers.iter().map(|(p, a)| PathPage::new(p.clone(), a)).collect();
        let login = LoginResponse {
            token: "t".into(),
            respondent_id: Uuid::new_v4(),
            survey_id: "s".into(),
            survey_version: "v".into(),
            survey_url: "/u".into(),
            resume: Default::default(),
            roster: Default::default(),
        };
        let mut r = Respondent::new(login, Arc::new(path));
        for _ in 0..answers.len() + 1 {
            r.queue_next();
        }
        let sent: quire_shared::SyncBatch =
            serde_json::from_slice(&r.body()).unwrap_or_else(|e| panic!("the body does not parse: {e}"));
        let expected: Vec<quire_shared::PageSave> = r
            .pending
            .iter()
            .map(|p| quire_shared::PageSave {
                page_id: answers[p.page].0.clone(),
                revision: p.revision,
                answers: answers[p.page].1.clone(),
                client_time: p.client_time,
                finishes: p.finishes,
                draft: false,
            })
            .collect();
        assert_eq!(sent.respondent_id, r.login.respondent_id);
        assert_eq!(sent.saves, expected);
        assert!(sent.saves[answers.len() - 1].finishes && !sent.saves[0].finishes);
        assert_eq!(r.path[1].items, answer_items(&answers[1].1));
    }
}

//! What the local database holds, and the keys it holds it under.
//!
//! Keys are strings that start with the respondent id, so one respondent's data is one key range: it can be read,
//! synced and deleted without touching anyone else's (shared classroom computers). Values are JSON strings.

use quire_shared::{AnswerError, PageAnswers, PageSave, Roster};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::error::{Result, StoreError};

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
    /// What the respondent's roster row says, from the sign-in: the questions it answers are not asked. (Absent in
    /// sessions from before it was kept: those questions are asked.)
    #[serde(default, skip_serializing_if = "Roster::is_empty")]
    pub roster: Roster,
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

pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

pub fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(e.to_string()))
}

pub fn page_key(respondent: Uuid, page: &str) -> String {
    format!("{respondent}/{page}")
}

pub fn outbox_key(respondent: Uuid, page: &str, revision: u64) -> String {
    format!("{respondent}/{page}/{revision:016}")
}

/// The respondent an outbox key belongs to.
pub fn respondent_of(key: &str) -> Option<Uuid> {
    key.split('/').next().and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

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

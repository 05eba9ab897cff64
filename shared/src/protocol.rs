//! The wire protocol between the respondent app and the ingest API (`/api/v1`).
//!
//! Sync is idempotent by construction: every page-save carries a revision that is unique and increasing per
//! respondent. The server keeps every revision it accepts as history and keeps the highest per page as the current
//! answer, so a batch can be replayed, reordered or retried any number of times and the result is the same.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::answer::AnswerError;
use crate::roster::Roster;
use crate::value::PageAnswers;

/// A batch may hold at least this many page-saves; the server refuses larger ones with 413.
pub const MAX_BATCH_SAVES: usize = 1000;

/// The respondent app keeps a batch's body under this many bytes (at least one save goes in any case), well inside
/// the server's default body limit of 1 MiB (`QUIRE_MAX_BODY_BYTES`).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Revisions travel as JSON numbers, which JavaScript reads as doubles; past 2^53 they would silently collide.
pub const MAX_REVISION: u64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub access_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for `/api/v1/sync`; signed, so the server needs no session lookup.
    pub token: String,
    pub respondent_id: Uuid,
    pub survey_id: String,
    /// The version this respondent started on; it never changes for them.
    pub survey_version: String,
    /// Content-hashed URL of that version's survey file: cacheable forever.
    pub survey_url: String,
    pub resume: ResumeState,
    /// What the respondent's roster row says (`roster.rs`): questions that name a column it holds are not asked.
    #[serde(default, skip_serializing_if = "Roster::is_empty")]
    pub roster: Roster,
}

/// What the server already holds for a respondent, so another device can continue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResumeState {
    /// Latest saved answers of each page.
    pub pages: Vec<SavedPage>,
    /// Page of the most recent save.
    pub last_page: Option<String>,
    /// Highest revision stored; a new device continues numbering above it.
    pub last_revision: u64,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPage {
    pub page_id: String,
    pub revision: u64,
    pub answers: PageAnswers,
}

/// One save of one page's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSave {
    pub page_id: String,
    /// Unique and increasing per respondent (not per page), from 1 up to `MAX_REVISION`.
    pub revision: u64,
    pub answers: PageAnswers,
    /// When the respondent's device made the save (for analysis only; the server never orders by it).
    #[serde(with = "time::serde::rfc3339")]
    pub client_time: OffsetDateTime,
    /// This save finishes the survey.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finishes: bool,
    /// Saved while the respondent is still on the page: required questions are not checked yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// The body of `POST /api/v1/sync`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncBatch {
    /// Must be the token's respondent (403 otherwise): a shared computer never sends one respondent's answers
    /// under another's token.
    pub respondent_id: Uuid,
    pub saves: Vec<PageSave>,
}

/// The reply to a batch: one ack per save, in the order sent. Sent only after the stored ones are committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReply {
    pub acks: Vec<Ack>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    /// Position of the save in the batch.
    pub index: usize,
    /// Echoed when the save could be read far enough to have them.
    pub page_id: Option<String>,
    pub revision: Option<u64>,
    #[serde(flatten)]
    pub status: AckStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AckStatus {
    /// Committed, and now the current answers of its page.
    Stored,
    /// This revision was already stored: nothing changed.
    Duplicate,
    /// Committed to history, but the page already has a higher revision, which stays current.
    Superseded,
    /// Not accepted; the raw save is kept in quarantine on the server. Do not resend it.
    Rejected { errors: Vec<AnswerError> },
}

impl AckStatus {
    pub fn is_accepted(&self) -> bool {
        !matches!(self, AckStatus::Rejected { .. })
    }
}

/// Every error response: `{"error":{"code":"…","message":"…","field":"…"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable, e.g. `malformed_json`, `invalid_token`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_wire_format() {
        let ack = Ack { index: 2, page_id: Some("p1".into()), revision: Some(7), status: AckStatus::Superseded };
        let json = serde_json::to_string(&ack).unwrap_or_default();
        assert_eq!(json, r#"{"index":2,"page_id":"p1","revision":7,"status":"superseded"}"#);
        let rejected = Ack {
            index: 0,
            page_id: None,
            revision: None,
            status: AckStatus::Rejected { errors: vec![AnswerError::new("answers.q", "bad")] },
        };
        let back: Ack = serde_json::from_str(&serde_json::to_string(&rejected).unwrap_or_default()).unwrap();
        assert_eq!(back, rejected);
        assert!(!back.status.is_accepted());
    }

    #[test]
    fn page_save_round_trip_and_defaults() {
        let json =
            r#"{"page_id":"p1","revision":3,"answers":{"q1":{"choice":"2"}},"client_time":"2026-11-21T10:00:00Z"}"#;
        let save: PageSave = serde_json::from_str(json).unwrap();
        assert!(!save.finishes && !save.draft);
        assert_eq!(serde_json::to_string(&save).unwrap_or_default(), json);
        assert!(serde_json::from_str::<PageSave>(&json.replace("\"revision\"", "\"rev\"")).is_err());
    }
}

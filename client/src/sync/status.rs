//! What the status line and the final screen show of delivery, for the respondent on screen.

use leptos::prelude::*;
use uuid::Uuid;

use crate::storage::records::Rejected;
use crate::storage::store::Store;

/// What the status line and the final screen show for the respondent on screen.
#[derive(Clone, Copy)]
pub struct SyncStatus {
    /// Saves of the respondent on screen that the server has not acknowledged yet.
    pub pending: RwSignal<usize>,
    /// Saves of the respondent on screen that the server refused: kept on the device, shown, not sent again.
    pub rejected: RwSignal<Vec<Rejected>>,
    /// The last attempt failed (offline, server down or busy); cleared by the next success.
    pub failing: RwSignal<bool>,
    /// The server no longer accepts this respondent's token: they must enter their code again.
    pub signed_out: RwSignal<bool>,
    /// Who is on screen.
    pub active: RwSignal<Option<Uuid>>,
}

impl SyncStatus {
    pub fn new() -> Self {
        SyncStatus {
            pending: RwSignal::new(0),
            rejected: RwSignal::new(Vec::new()),
            failing: RwSignal::new(false),
            signed_out: RwSignal::new(false),
            active: RwSignal::new(None),
        }
    }

    /// Recounts the on-screen respondent's pending saves and reads their refused ones.
    pub async fn refresh(&self, store: &Store) {
        let (count, rejected) = match self.active.get_untracked() {
            Some(rid) => (store.pending_count(rid).await.unwrap_or(0), store.rejected(rid).await.unwrap_or_default()),
            None => (0, Vec::new()),
        };
        self.pending.set(count);
        // Set only on a change: a new refusal takes the respondent to the page (`run`), a recount must not.
        if self.rejected.with_untracked(|r| *r != rejected) {
            self.rejected.set(rejected);
        }
    }

    /// Nothing of the respondent on screen waits or was refused: the server holds every answer.
    pub fn all_stored(&self) -> bool {
        self.pending.get() == 0 && self.rejected.with(Vec::is_empty)
    }
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self::new()
    }
}

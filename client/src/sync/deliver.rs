//! The loop: one round at a time, each sending one batch of one respondent; waits with backoff after a failure.

use leptos::prelude::*;
use quire_shared::retry;
use quire_shared::{SyncBatch, MAX_BATCH_BYTES, MAX_BATCH_SAVES};
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::browser::{self, Alarm, Wake};
use crate::storage::records::{respondent_of, Pending, Rejected};
use crate::storage::store::Store;
use crate::sync::status::SyncStatus;

enum Round {
    /// Nothing left to send.
    Idle,
    /// Something was delivered; look again at once.
    Progress,
    /// The network or the server failed; wait (at least `retry_after` ms when given).
    Failed { retry_after: Option<f64> },
}

/// Runs for the life of the page. `alarm.wake()` after every new save and when the network comes back.
pub async fn run(store: Store, alarm: Alarm, status: SyncStatus) {
    let mut failures = 0u32;
    loop {
        match round(&store, &status).await {
            Round::Idle => {
                failures = 0;
                status.failing.set(false);
                alarm.sleep(60_000.0).await;
            }
            Round::Progress => {
                failures = 0;
                status.failing.set(false);
            }
            Round::Failed { retry_after } => {
                failures = failures.saturating_add(1);
                status.failing.set(true);
                status.refresh(&store).await;
                // New saves do not cut a backoff short (a down server would get a request per page turn), and
                // nothing cuts short a wait the server asked for; the network coming back ends a plain backoff.
                let until = browser::now_ms() + retry::delay_ms(failures, retry_after, browser::random());
                loop {
                    let left = until - browser::now_ms();
                    if left <= 0.0 {
                        break;
                    }
                    match alarm.sleep(left).await {
                        Wake::Online if retry_after.is_none() => {
                            failures = 0;
                            break;
                        }
                        Wake::Timeout => break,
                        Wake::Saved | Wake::Online => {}
                    }
                }
            }
        }
        status.refresh(&store).await;
    }
}

async fn round(store: &Store, status: &SyncStatus) -> Round {
    let pending = match store.pending().await {
        Ok(p) => p,
        Err(e) => {
            web_sys::console::error_1(&format!("quire: cannot read the outbox: {e}").into());
            return Round::Failed { retry_after: None };
        }
    };
    if pending.is_empty() {
        return Round::Idle;
    }
    // The respondent on screen goes first; then everyone else who left answers on this browser.
    let active = status.active.get_untracked();
    let mut groups: Vec<(Uuid, Vec<Pending>)> = Vec::new();
    for p in pending {
        let Some(rid) = respondent_of(&p.key) else { continue };
        match groups.last_mut() {
            Some((r, g)) if *r == rid => g.push(p),
            _ => groups.push((rid, vec![p])),
        }
    }
    groups.sort_by_key(|(rid, _)| Some(*rid) != active);
    // Oldest first: a save never overtakes the ones made before it (a finishing save comes after the pages it
    // completes, which the server checks).
    for (_, saves) in &mut groups {
        saves.sort_by_key(|p| p.save.revision);
    }

    let mut progress = false;
    let mut unauthorized = false;
    for (rid, saves) in groups {
        match send(store, rid, saves).await {
            Ok(()) => progress = true,
            Err(ApiError::Unauthorized(_)) => {
                // This respondent's token is no longer good; others may still be sent.
                unauthorized = true;
                if Some(rid) == active {
                    status.signed_out.set(true);
                }
            }
            Err(ApiError::Busy { retry_after }) => return Round::Failed { retry_after },
            Err(ApiError::Network) => return Round::Failed { retry_after: None },
            Err(ApiError::Refused { status, message }) => {
                // A batch the server will not take as a whole (should not happen): keep it, it is not lost, and try
                // again later, slowly.
                web_sys::console::error_1(&format!("quire: sync refused ({status}): {message}").into());
                return Round::Failed { retry_after: Some(retry::CAP_MS) };
            }
        }
    }
    if unauthorized {
        Round::Failed { retry_after: Some(retry::CAP_MS) }
    } else if progress {
        Round::Progress
    } else {
        Round::Idle
    }
}

/// How many of the pending saves (oldest first) go into one request: at most `MAX_BATCH_SAVES`, and no more than fit
/// in `MAX_BATCH_BYTES` (always at least one), so that a device back from a long time offline never sends a body
/// the server must refuse as too large (which would stop its sync for good).
fn batch_len(saves: &[Pending]) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for p in saves.iter().take(MAX_BATCH_SAVES) {
        bytes += serde_json::to_string(&p.save).map_or(0, |s| s.len()) + 1;
        if n > 0 && bytes > MAX_BATCH_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// Sends one respondent's pending saves and removes what the server acknowledged.
async fn send(store: &Store, rid: Uuid, mut saves: Vec<Pending>) -> Result<(), ApiError> {
    let session = match store.session(rid).await {
        Ok(Some(s)) => s,
        _ => {
            // Saves without a session cannot be sent (no token) and should not exist; keep them, report once.
            web_sys::console::error_1(&format!("quire: pending saves of {rid} without a session").into());
            return Err(ApiError::Unauthorized("no session".into()));
        }
    };
    saves.truncate(batch_len(&saves));
    let batch = SyncBatch { respondent_id: rid, saves: saves.iter().map(|p| p.save.clone()).collect() };
    let reply = api::sync(&session.token, &batch).await?;
    let mut done = Vec::with_capacity(reply.acks.len());
    let mut refused = Vec::new();
    for ack in &reply.acks {
        let Some(p) = saves.get(ack.index) else { continue };
        match &ack.status {
            quire_shared::AckStatus::Rejected { errors } => {
                // Kept on the device and shown to the respondent (`run`); sending it again would be refused again.
                web_sys::console::warn_1(&format!("quire: save {} rejected: {errors:?}", p.key).into());
                refused.push((p.key.clone(), Rejected { save: p.save.clone(), errors: errors.clone() }));
            }
            _ => done.push(p.key.clone()),
        }
    }
    if let Err(e) = store.settle(&done, &refused).await {
        // The server has the saves; sending them again later is harmless (duplicates are recognised).
        web_sys::console::error_1(&format!("quire: cannot clear acknowledged saves: {e}").into());
    }
    // A finished survey that the server now holds completely leaves nothing behind on a shared computer. A refused
    // save keeps everything: the respondent must see it (a refused finish reopens the survey, `run`).
    if session.finished
        && store.pending_count(rid).await == Ok(0)
        && store.rejected(rid).await.is_ok_and(|r| r.is_empty())
    {
        if let Err(e) = store.forget(rid).await {
            web_sys::console::error_1(&format!("quire: cannot delete local data of {rid}: {e}").into());
        }
    }
    Ok(())
}

//! Sending a respondent's pending saves to the sync (or no-op) endpoint until they are acknowledged, with the app's
//! retry rule, and the counters every request updates: the per-request path whose CPU cost the benchmarks measure.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use quire_shared::{retry, SyncReply};
use rand::Rng;

use crate::load::conn::Target;
use crate::load::respondent::Respondent;

/// What every respondent's task shares: the endpoint, and what was measured.
pub(crate) struct Shared {
    /// The sync (or no-op) endpoint, resolved once.
    target: Target,
    pub(crate) endpoint: &'static str,
    pub(crate) latency: Mutex<Histogram<u64>>,
    pub(crate) errors: Mutex<BTreeMap<String, u64>>,
    pub(crate) requests: AtomicU64,
    pub(crate) saves: AtomicU64,
    pub(crate) answers: AtomicU64,
    /// When counting starts: the run's start plus the warm-up.
    pub(crate) counted_from: OnceLock<Instant>,
}

impl Shared {
    /// Sends to `{base}/api/v1/sync`, or to the no-op endpoint when `noop`.
    pub(crate) fn new(base: &str, noop: bool) -> anyhow::Result<Self> {
        let endpoint = if noop { "/api/v1/bench/noop" } else { "/api/v1/sync" };
        Ok(Shared {
            target: Target::new(base, endpoint)?,
            endpoint,
            latency: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            errors: Mutex::new(BTreeMap::new()),
            requests: AtomicU64::new(0),
            saves: AtomicU64::new(0),
            answers: AtomicU64::new(0),
            counted_from: OnceLock::new(),
        })
    }

    fn error(&self, kind: String) {
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()).entry(kind).or_insert(0) += 1;
    }

    /// Sends what `r` has pending until it is acknowledged or `give_up` passes. `scheduled` is when the first
    /// attempt should have started (steady mode); latency is measured from it.
    pub(crate) async fn deliver(&self, r: &mut Respondent, scheduled: Option<Instant>, give_up: Instant) {
        let mut attempt = 0u32;
        let start = scheduled.unwrap_or_else(Instant::now);
        let counted = self.counted_from.get().is_none_or(|from| start >= *from);
        while !r.pending.is_empty() && Instant::now() < give_up {
            let body = r.body().into();
            let sent = r.conn.post(&self.target, &r.auth, body).await;
            if counted {
                self.requests.fetch_add(1, Ordering::Relaxed);
            }
            let wait = match sent {
                Ok(res) if res.status == 200 => match serde_json::from_slice::<SyncReply>(&res.body) {
                    Ok(reply) => {
                        if counted {
                            let us = start.elapsed().as_micros() as u64;
                            let _ = self.latency.lock().unwrap_or_else(|e| e.into_inner()).record(us.max(1));
                        }
                        for (save, ack) in r.pending.drain(..).zip(reply.acks) {
                            let accepted = ack.status.is_accepted();
                            if accepted && counted {
                                self.saves.fetch_add(1, Ordering::Relaxed);
                                self.answers.fetch_add(r.path[save.page].items, Ordering::Relaxed);
                            } else if !accepted {
                                self.error("rejected_save".into());
                            }
                            r.uncertain.remove(&save.revision);
                            r.acked.insert(save.revision, (save.page, accepted));
                        }
                        return;
                    }
                    Err(_) => {
                        self.error("transport".into());
                        r.uncertain.extend(r.pending.iter().map(|s| s.revision));
                        None
                    }
                },
                Ok(res) => {
                    self.error(res.status.to_string());
                    // 503/429 name a wait; other statuses mean nothing was committed and we back off.
                    retry::retry_after_ms(res.retry_after.as_deref())
                }
                Err(_) => {
                    self.error("transport".into());
                    r.uncertain.extend(r.pending.iter().map(|s| s.revision));
                    None
                }
            };
            // The app's rule (`quire_shared::retry`): the server's Retry-After as a floor, never shortened, else full
            // jitter over an exponential ceiling.
            attempt += 1;
            let sleep = Duration::from_secs_f64(retry::delay_ms(attempt, wait, rand::thread_rng().gen()) / 1000.0);
            tokio::time::sleep(sleep.min(give_up.saturating_duration_since(Instant::now()))).await;
        }
    }
}

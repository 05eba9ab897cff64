//! Prometheus metrics, rendered by hand in the text exposition format: a few counters and histograms do not need a
//! metrics framework. Counted per route template (`/api/v1/sync`), never per raw path, so cardinality stays fixed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quire_shared::{Ack, AckStatus};

use crate::AppState;

const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 500.0];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, buckets: &[f64], v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; buckets.len()];
        }
        for (i, b) in buckets.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, buckets: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in buckets.iter().enumerate() {
            let n = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    batch_sizes: Mutex<Histogram>,
    /// Indexed as stored, duplicate, superseded, rejected.
    saves: [AtomicU64; 4],
    logins: AtomicU64,
    /// Group transactions that failed, indexed as `CommitFailure`.
    commit_failures: [AtomicU64; 3],
    committer_restarts: AtomicU64,
    /// Sign-in attempts turned away by a limit, indexed as respondent, administrator.
    throttled: [AtomicU64; 2],
}

/// Why a group transaction failed (`quire_commit_failures_total{kind}`).
#[derive(Debug, Clone, Copy)]
pub enum CommitFailure {
    /// The database was unreachable, busy or shut down: every request of the group is answered 5xx and retried.
    Transient = 0,
    /// A save the database refused: the group is split until the offender is alone, and only it is rejected.
    Refused = 1,
    /// The write panicked: handled like a refused save.
    Panic = 2,
}

const COMMIT_FAILURES: [&str; 3] = ["transient", "refused", "panic"];

const SAVE_STATUSES: [&str; 4] = ["stored", "duplicate", "superseded", "rejected"];

impl Metrics {
    pub fn record_batch(&self, acks: &[Ack]) {
        for ack in acks {
            let i = match ack.status {
                AckStatus::Stored => 0,
                AckStatus::Duplicate => 1,
                AckStatus::Superseded => 2,
                AckStatus::Rejected { .. } => 3,
            };
            self.saves[i].fetch_add(1, Ordering::Relaxed);
        }
        self.batch_sizes.lock().unwrap_or_else(|e| e.into_inner()).observe(&BATCH_BUCKETS, acks.len() as f64);
    }

    pub fn count_login(&self) {
        self.logins.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_commit_failure(&self, kind: CommitFailure) {
        self.commit_failures[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_committer_restart(&self) {
        self.committer_restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// `admin`: an administrator sign-in; otherwise a respondent's.
    pub fn count_throttled(&self, admin: bool) {
        self.throttled[usize::from(admin)].fetch_add(1, Ordering::Relaxed);
    }

    fn record_request(&self, route: &str, status: u16, seconds: f64) {
        *self.requests.lock().unwrap_or_else(|e| e.into_inner()).entry((route.to_owned(), status)).or_insert(0) += 1;
        self.latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(route.to_owned())
            .or_default()
            .observe(&LATENCY_BUCKETS, seconds);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP quire_http_requests_total HTTP requests by route template and status.\n");
        out.push_str("# TYPE quire_http_requests_total counter\n");
        for ((route, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "quire_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP quire_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE quire_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            h.render(&mut out, "quire_http_request_duration_seconds", &format!("route=\"{route}\""), &LATENCY_BUCKETS);
        }
        out.push_str("# HELP quire_sync_batch_saves Page-saves per sync batch.\n");
        out.push_str("# TYPE quire_sync_batch_saves histogram\n");
        self.batch_sizes.lock().unwrap_or_else(|e| e.into_inner()).render(
            &mut out,
            "quire_sync_batch_saves",
            "",
            &BATCH_BUCKETS,
        );
        out.push_str("# HELP quire_page_saves_total Page-saves received, by outcome.\n");
        out.push_str("# TYPE quire_page_saves_total counter\n");
        for (name, n) in SAVE_STATUSES.iter().zip(&self.saves) {
            let _ = writeln!(out, "quire_page_saves_total{{status=\"{name}\"}} {}", n.load(Ordering::Relaxed));
        }
        // Stored and superseded saves are history rows; stored ones also wrote current_answers; rejected ones quarantine.
        let [stored, _, superseded, rejected] = self.saves.each_ref().map(|a| a.load(Ordering::Relaxed));
        out.push_str("# HELP quire_rows_written_total Rows inserted or updated by ingest, by table.\n");
        out.push_str("# TYPE quire_rows_written_total counter\n");
        for (table, n) in [("page_saves", stored + superseded), ("current_answers", stored), ("quarantine", rejected)] {
            let _ = writeln!(out, "quire_rows_written_total{{table=\"{table}\"}} {n}");
        }
        out.push_str("# HELP quire_logins_total Successful respondent logins.\n");
        out.push_str("# TYPE quire_logins_total counter\n");
        let _ = writeln!(out, "quire_logins_total {}", self.logins.load(Ordering::Relaxed));
        out.push_str("# HELP quire_commit_failures_total Group transactions that failed, by kind.\n");
        out.push_str("# TYPE quire_commit_failures_total counter\n");
        for (name, n) in COMMIT_FAILURES.iter().zip(&self.commit_failures) {
            let _ = writeln!(out, "quire_commit_failures_total{{kind=\"{name}\"}} {}", n.load(Ordering::Relaxed));
        }
        out.push_str("# HELP quire_committer_restarts_total Committer tasks restarted after they stopped.\n");
        out.push_str("# TYPE quire_committer_restarts_total counter\n");
        let _ = writeln!(out, "quire_committer_restarts_total {}", self.committer_restarts.load(Ordering::Relaxed));
        out.push_str("# HELP quire_sign_ins_throttled_total Sign-in attempts turned away by a rate limit.\n");
        out.push_str("# TYPE quire_sign_ins_throttled_total counter\n");
        for (who, n) in ["respondent", "administrator"].iter().zip(&self.throttled) {
            let _ = writeln!(out, "quire_sign_ins_throttled_total{{who=\"{who}\"}} {}", n.load(Ordering::Relaxed));
        }
        out
    }
}

/// Middleware: counts and times every API request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(route) = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let start = Instant::now();
    let response = next.run(req).await;
    state.metrics.record_request(&route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

pub async fn handler(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

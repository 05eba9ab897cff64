//! Prometheus metrics through `prometheus-client`: counters are atomics, label sets are created once, and `/metrics`
//! encodes the registry in the OpenMetrics text format. Requests are counted per route template (`/api/v1/sync`),
//! never per raw path, so the number of series stays fixed.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use quire_shared::{Ack, AckStatus};

const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 500.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Table {
    table: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Who {
    who: &'static str,
}

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// Why a group transaction failed (`quire_commit_failures_total{kind}`).
#[derive(Debug, Clone, Copy)]
pub enum CommitFailure {
    /// The database was unreachable, busy or shut down: every request of the group is answered 5xx and retried.
    Transient,
    /// A save the database refused: the group is split until the offender is alone, and only it is rejected.
    Refused,
    /// The write panicked: handled like a refused save.
    Panic,
}

impl CommitFailure {
    fn label(self) -> &'static str {
        match self {
            CommitFailure::Transient => "transient",
            CommitFailure::Refused => "refused",
            CommitFailure::Panic => "panic",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Latency,
    batch_sizes: Histogram,
    saves: Family<Status, Counter>,
    /// Stored and superseded saves are history rows; stored ones also write current answers; rejected ones quarantine.
    rows: Family<Table, Counter>,
    logins: Counter,
    commit_failures: Family<Kind, Counter>,
    committer_restarts: Counter,
    throttled: Family<Who, Counter>,
    /// Handles to the fixed series, taken once: counting a save is one atomic add, with no lookup in a family.
    fixed: Fixed,
}

#[derive(Default)]
struct Fixed {
    /// stored, duplicate, superseded, rejected
    saves: [Counter; 4],
    /// page_saves, current_answers, quarantine
    rows: [Counter; 3],
    /// respondent, administrator
    throttled: [Counter; 2],
}

const STATUSES: [&str; 4] = ["stored", "duplicate", "superseded", "rejected"];
const TABLES: [&str; 3] = ["page_saves", "current_answers", "quarantine"];
const WHO: [&str; 2] = ["respondent", "administrator"];

impl Default for Metrics {
    fn default() -> Self {
        let m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
            batch_sizes: Histogram::new(BATCH_BUCKETS),
            saves: Family::default(),
            rows: Family::default(),
            logins: Counter::default(),
            commit_failures: Family::default(),
            committer_restarts: Counter::default(),
            throttled: Family::default(),
            fixed: Fixed::default(),
        };
        m.with_registry()
    }
}

impl Metrics {
    /// Registers every metric, and creates each fixed label set so that a series reads 0 before its first event.
    fn with_registry(mut self) -> Self {
        let r = &mut self.registry;
        r.register("quire_http_requests", "HTTP requests by route template and status", self.requests.clone());
        r.register("quire_http_request_duration_seconds", "Time to answer a request", self.latency.clone());
        r.register("quire_sync_batch_saves", "Page-saves per sync batch", self.batch_sizes.clone());
        r.register("quire_page_saves", "Page-saves received, by outcome", self.saves.clone());
        r.register("quire_rows_written", "Rows inserted or updated by ingest, by table", self.rows.clone());
        r.register("quire_logins", "Successful respondent logins", self.logins.clone());
        r.register("quire_commit_failures", "Group transactions that failed, by kind", self.commit_failures.clone());
        r.register(
            "quire_committer_restarts",
            "Committer tasks restarted after they stopped",
            self.committer_restarts.clone(),
        );
        r.register("quire_sign_ins_throttled", "Sign-in attempts turned away by a rate limit", self.throttled.clone());
        // The same counters as the families hold (a `Counter` is a shared handle), so they also read 0 before use.
        self.fixed.saves = STATUSES.map(|status| self.saves.get_or_create(&Status { status }).clone());
        self.fixed.rows = TABLES.map(|table| self.rows.get_or_create(&Table { table }).clone());
        self.fixed.throttled = WHO.map(|who| self.throttled.get_or_create(&Who { who }).clone());
        for kind in [CommitFailure::Transient, CommitFailure::Refused, CommitFailure::Panic] {
            self.commit_failures.get_or_create(&Kind { kind: kind.label() }).inc_by(0);
        }
        self
    }

    pub fn record_batch(&self, acks: &[Ack]) {
        let mut by_status = [0u64; 4];
        for ack in acks {
            let i = match ack.status {
                AckStatus::Stored => 0,
                AckStatus::Duplicate => 1,
                AckStatus::Superseded => 2,
                AckStatus::Rejected { .. } => 3,
            };
            by_status[i] += 1;
        }
        let [stored, duplicate, superseded, rejected] = by_status;
        for (counter, n) in self.fixed.saves.iter().zip([stored, duplicate, superseded, rejected]) {
            if n > 0 {
                counter.inc_by(n);
            }
        }
        let [history, current, quarantine] = &self.fixed.rows;
        history.inc_by(stored + superseded);
        current.inc_by(stored);
        quarantine.inc_by(rejected);
        self.batch_sizes.observe(acks.len() as f64);
    }

    pub fn count_login(&self) {
        self.logins.inc();
    }

    pub fn count_commit_failure(&self, kind: CommitFailure) {
        self.commit_failures.get_or_create(&Kind { kind: kind.label() }).inc();
    }

    pub fn count_committer_restart(&self) {
        self.committer_restarts.inc();
    }

    /// `admin`: an administrator sign-in; otherwise a respondent's.
    pub fn count_throttled(&self, admin: bool) {
        self.fixed.throttled[usize::from(admin)].inc();
    }

    fn record_request(&self, route: String, status: u16, seconds: f64) {
        let route = Route { route };
        self.latency.get_or_create(&route).observe(seconds);
        self.requests.get_or_create(&RouteStatus { route: route.route, status }).inc();
    }

    /// The registry in the OpenMetrics text format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Middleware: counts and times every API request by its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let Some(route) = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let start = Instant::now();
    let response = next.run(req).await;
    metrics.record_request(route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn handler(State(metrics): State<Arc<Metrics>>) -> Response {
    match metrics.render() {
        Ok(text) => {
            ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

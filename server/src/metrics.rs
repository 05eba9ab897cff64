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
}

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
        for status in ["stored", "duplicate", "superseded", "rejected"] {
            self.saves.get_or_create(&Status { status }).inc_by(0);
        }
        for table in ["page_saves", "current_answers", "quarantine"] {
            self.rows.get_or_create(&Table { table }).inc_by(0);
        }
        for kind in [CommitFailure::Transient, CommitFailure::Refused, CommitFailure::Panic] {
            self.commit_failures.get_or_create(&Kind { kind: kind.label() }).inc_by(0);
        }
        for who in ["respondent", "administrator"] {
            self.throttled.get_or_create(&Who { who }).inc_by(0);
        }
        self
    }

    pub fn record_batch(&self, acks: &[Ack]) {
        let (mut stored, mut superseded, mut rejected) = (0, 0, 0);
        for ack in acks {
            let status = match ack.status {
                AckStatus::Stored => {
                    stored += 1;
                    "stored"
                }
                AckStatus::Duplicate => "duplicate",
                AckStatus::Superseded => {
                    superseded += 1;
                    "superseded"
                }
                AckStatus::Rejected { .. } => {
                    rejected += 1;
                    "rejected"
                }
            };
            self.saves.get_or_create(&Status { status }).inc();
        }
        self.rows.get_or_create(&Table { table: "page_saves" }).inc_by(stored + superseded);
        self.rows.get_or_create(&Table { table: "current_answers" }).inc_by(stored);
        self.rows.get_or_create(&Table { table: "quarantine" }).inc_by(rejected);
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
        let who = if admin { "administrator" } else { "respondent" };
        self.throttled.get_or_create(&Who { who }).inc();
    }

    fn record_request(&self, route: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&RouteStatus { route: route.to_owned(), status }).inc();
        self.latency.get_or_create(&Route { route: route.to_owned() }).observe(seconds);
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
    metrics.record_request(&route, response.status().as_u16(), start.elapsed().as_secs_f64());
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

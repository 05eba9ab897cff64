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

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// Why a group transaction failed (`quire_commit_failures_total{kind}`); the value indexes `FAILURE_KINDS`.
#[derive(Debug, Clone, Copy)]
pub enum CommitFailure {
    /// No connection free in time (`WriteError::Busy`): every request of the group is answered 503 and retried.
    Busy = 0,
    /// The database was out of reach or failing over (`WriteError::Unavailable`): 503, retried.
    Unavailable = 1,
    /// Any other error of the transaction (`WriteError::Failed`): 500, retried. Worth a look.
    Failed = 2,
    /// A save the database refused: the group is split until the offender is alone, and only it is rejected.
    Refused = 3,
    /// The write panicked: handled like a refused save.
    Panic = 4,
}

/// Labels of `CommitFailure`, in its order.
const FAILURE_KINDS: [&str; 5] = ["busy", "unavailable", "failed", "refused", "panic"];
const STATUSES: [&str; 4] = ["stored", "duplicate", "superseded", "rejected"];
const TABLES: [&str; 3] = ["page_saves", "current_answers", "quarantine"];
const WHO: [&str; 2] = ["respondent", "administrator"];

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Latency,
    batch_sizes: Histogram,
    logins: Counter,
    committer_restarts: Counter,
    // Series with a fixed label set are handles taken once (`series`): counting is one atomic add, no family lookup.
    /// By `STATUSES`.
    saves: [Counter; 4],
    /// By `TABLES`: stored and superseded saves are history rows; stored ones also write current answers; rejected
    /// ones quarantine.
    rows: [Counter; 3],
    /// By `CommitFailure`.
    commit_failures: [Counter; 5],
    /// By `WHO`.
    throttled: [Counter; 2],
}

/// Registers a counter family whose label `key` takes exactly `values`, and returns one handle per value. Each series
/// exists from the start, so it reads 0 before its first event.
fn series<const N: usize>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    key: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    let family = Family::<Vec<(&'static str, &'static str)>, Counter>::default();
    registry.register(name, help, family.clone());
    values.map(|value| family.get_or_create(&vec![(key, value)]).clone())
}

impl Default for Metrics {
    fn default() -> Self {
        let mut r = Registry::default();
        let requests = Family::<RouteStatus, Counter>::default();
        r.register("quire_http_requests", "HTTP requests by route template and status", requests.clone());
        let latency: Latency = Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        r.register("quire_http_request_duration_seconds", "Time to answer a request", latency.clone());
        let batch_sizes = Histogram::new(BATCH_BUCKETS);
        r.register("quire_sync_batch_saves", "Page-saves per sync batch", batch_sizes.clone());
        let saves = series(&mut r, "quire_page_saves", "Page-saves received, by outcome", "status", STATUSES);
        let rows =
            series(&mut r, "quire_rows_written", "Rows inserted or updated by ingest, by table", "table", TABLES);
        let logins = Counter::default();
        r.register("quire_logins", "Successful respondent logins", logins.clone());
        let commit_failures =
            series(&mut r, "quire_commit_failures", "Group transactions that failed, by kind", "kind", FAILURE_KINDS);
        let committer_restarts = Counter::default();
        r.register(
            "quire_committer_restarts",
            "Committer tasks restarted after they stopped",
            committer_restarts.clone(),
        );
        let throttled =
            series(&mut r, "quire_sign_ins_throttled", "Sign-in attempts turned away by a rate limit", "who", WHO);
        Metrics {
            registry: r,
            requests,
            latency,
            batch_sizes,
            logins,
            committer_restarts,
            saves,
            rows,
            commit_failures,
            throttled,
        }
    }
}

impl Metrics {
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
        for (counter, &n) in self.saves.iter().zip(&by_status) {
            if n > 0 {
                counter.inc_by(n);
            }
        }
        let [stored, _, superseded, rejected] = by_status;
        let [history, current, quarantine] = &self.rows;
        history.inc_by(stored + superseded);
        current.inc_by(stored);
        quarantine.inc_by(rejected);
        self.batch_sizes.observe(acks.len() as f64);
    }

    pub fn count_login(&self) {
        self.logins.inc();
    }

    pub fn count_commit_failure(&self, kind: CommitFailure) {
        self.commit_failures[kind as usize].inc();
    }

    pub fn count_committer_restart(&self) {
        self.committer_restarts.inc();
    }

    /// `admin`: an administrator sign-in; otherwise a respondent's.
    pub fn count_throttled(&self, admin: bool) {
        self.throttled[usize::from(admin)].inc();
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

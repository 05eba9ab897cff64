//! What a run measured, drawn from the counters the sending kept, and its printed form.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::load::cpu::CpuReport;
use crate::load::options::Mode;
use crate::load::sender::Shared;
use crate::load::verify::Verification;

/// What a run measured and what the check found.
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: Mode,
    pub endpoint: &'static str,
    pub respondents: usize,
    pub seconds: f64,
    pub requests: u64,
    pub page_saves: u64,
    pub answers: u64,
    pub requests_per_s: f64,
    pub page_saves_per_s: f64,
    pub answers_per_s: f64,
    pub latency_ms: Latency,
    /// Non-200 answers and transport errors, by status (`transport` for the latter); each was retried.
    pub errors: BTreeMap<String, u64>,
    /// storm: slowest `/healthz` answer while the storm ran.
    pub healthz_max_ms: Option<f64>,
    pub verification: Verification,
    /// CPU time over the counted window, this process's and each `--watch`ed one's, per counted request.
    pub cpu: CpuReport,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    fn from_histogram(hist: &Histogram<u64>) -> Self {
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
        Latency { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99), max: hist.max() as f64 / 1000.0 }
    }
}

impl Report {
    /// The figures `shared` counted over `seconds`, with what the check found.
    pub(crate) fn from_counters(
        mode: Mode,
        shared: &Shared,
        respondents: usize,
        seconds: f64,
        healthz_max_ms: Option<f64>,
        verification: Verification,
    ) -> Report {
        let hist = shared.latency.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (requests, saves, answers) = (
            shared.requests.load(Ordering::Relaxed),
            shared.saves.load(Ordering::Relaxed),
            shared.answers.load(Ordering::Relaxed),
        );
        Report {
            mode,
            endpoint: shared.endpoint,
            respondents,
            seconds,
            requests,
            page_saves: saves,
            answers,
            requests_per_s: requests as f64 / seconds,
            page_saves_per_s: saves as f64 / seconds,
            answers_per_s: answers as f64 / seconds,
            latency_ms: Latency::from_histogram(&hist),
            errors: shared.errors.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            healthz_max_ms,
            verification,
            cpu: CpuReport::default(),
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "mode {:?} on {} with {} respondents, {:.1} s",
            self.mode, self.endpoint, self.respondents, self.seconds
        )?;
        writeln!(
            f,
            "  {:.0} page-saves/s, {:.0} answers/s, {:.0} requests/s ({} saves, {} requests)",
            self.page_saves_per_s, self.answers_per_s, self.requests_per_s, self.page_saves, self.requests
        )?;
        let l = &self.latency_ms;
        writeln!(f, "  latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}", l.p50, l.p95, l.p99, l.max)?;
        writeln!(f, "  errors (each retried): {:?}", self.errors)?;
        if let Some(h) = self.healthz_max_ms {
            writeln!(f, "  /healthz slowest during the run: {h:.1} ms")?;
        }
        let c = &self.cpu;
        let per: Vec<String> = c.us_per_request.iter().map(|(k, v)| format!("{k} {v:.1}")).collect();
        writeln!(f, "  CPU µs per request over {:.1} s: {}", c.window_s, per.join("  "))?;
        let v = &self.verification;
        if v.checked {
            write!(
                f,
                "  verification {}: {} acknowledged, {} rows, {} missing, {} unexpected, {} wrong current, {} quarantined, {} never acknowledged",
                if v.ok() { "PASSED" } else { "FAILED" },
                v.acknowledged,
                v.rows,
                v.missing,
                v.unexpected,
                v.wrong_current,
                v.quarantined,
                v.unacknowledged_at_end
            )
        } else {
            write!(f, "  verification skipped (no-op endpoint)")
        }
    }
}

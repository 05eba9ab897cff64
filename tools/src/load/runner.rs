//! A run from start to report: prepare, send in the chosen mode, check the database, sum up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::load::cpu::{Sample, Watch};
use crate::load::modes::{self, Outcome};
use crate::load::options::{check_loopback, LoadConfig, Mode};
use crate::load::report::Report;
use crate::load::sender::Shared;
use crate::load::setup::Setup;
use crate::load::verify::{verify, Verification};

pub async fn run(pool: &PgPool, config: &LoadConfig) -> anyhow::Result<Report> {
    check_loopback(&config.base)?;
    // A process to watch that cannot be read is an error now, not after the whole run.
    Sample::take(&config.watch)?;
    let setup = Setup::prepare(pool, config).await?;
    let (ended, ended_rx) = tokio::sync::oneshot::channel();
    // A storm is counted whole, however long it takes; the other modes over their planned sending time.
    let run_for = (config.mode != Mode::Storm).then_some(setup.run_for);
    let window = tokio::spawn(cpu_window(setup.shared.clone(), config.watch.clone(), setup.warmup, run_for, ended_rx));
    let outcome = match config.mode {
        Mode::Max => modes::max(&setup, config).await,
        Mode::Storm => modes::storm(&setup, config).await,
        Mode::Steady => modes::steady(&setup, config).await,
    };
    let _ = ended.send(());
    let Outcome { respondents, started, healthz_max } = outcome.inspect_err(|_| window.abort())?;
    let cpu = window.await??;
    let seconds = counted_seconds(&setup, config.mode, started);
    let verification = if config.noop { Verification::default() } else { verify(pool, &respondents).await? };
    let mut report =
        Report::from_counters(config.mode, &setup.shared, respondents.len(), seconds, healthz_max, verification);
    let (from, to, window_s) = cpu;
    report.cpu = from.report(&to, window_s, report.requests);
    if let Some(path) = &config.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report)
}

/// The seconds the rates are over: a storm's whole length; otherwise the sending time after the warm-up (never
/// zero, as it divides).
fn counted_seconds(setup: &Setup, mode: Mode, started: Instant) -> f64 {
    match mode {
        Mode::Storm => started.elapsed().as_secs_f64(),
        _ => setup.run_for.min(started.elapsed()).saturating_sub(setup.warmup).as_secs_f64().max(f64::MIN_POSITIVE),
    }
}

/// CPU samples at the start of the counted window (when the mode sets `counted_from`) and at its end: the sending's
/// planned end (`run_for` after the start, warm-up included), or the mode's end if sooner or if there is no planned
/// end (a storm). Returns both and the seconds between them.
async fn cpu_window(
    shared: Arc<Shared>,
    watch: Vec<Watch>,
    warmup: Duration,
    run_for: Option<Duration>,
    mut ended: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<(Sample, Sample, f64)> {
    let from = loop {
        if let Some(from) = shared.counted_from.get() {
            break *from;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    tokio::time::sleep_until(from.into()).await;
    let (start, at) = (Sample::take(&watch)?, Instant::now());
    match run_for {
        Some(run_for) => {
            let stop = from.checked_sub(warmup).unwrap_or(from) + run_for;
            tokio::select! {
                _ = tokio::time::sleep_until(stop.into()) => {}
                _ = &mut ended => {}
            }
        }
        None => {
            let _ = ended.await;
        }
    }
    Ok((start, Sample::take(&watch)?, at.elapsed().as_secs_f64()))
}

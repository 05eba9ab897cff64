//! A run from start to report: prepare, send in the chosen mode, check the database, sum up.

use std::time::Instant;

use sqlx::PgPool;

use crate::load::modes::{self, Outcome};
use crate::load::options::{check_loopback, LoadConfig, Mode};
use crate::load::report::Report;
use crate::load::setup::Setup;
use crate::load::verify::{verify, Verification};

pub async fn run(pool: &PgPool, config: &LoadConfig) -> anyhow::Result<Report> {
    check_loopback(&config.base)?;
    let setup = Setup::prepare(pool, config).await?;
    let Outcome { respondents, started, healthz_max } = match config.mode {
        Mode::Max => modes::max(&setup, config).await?,
        Mode::Storm => modes::storm(&setup, config).await?,
        Mode::Steady => modes::steady(&setup, config).await?,
    };
    let seconds = counted_seconds(&setup, config.mode, started);
    let verification = if config.noop { Verification::default() } else { verify(pool, &respondents).await? };
    let report =
        Report::from_counters(config.mode, &setup.shared, respondents.len(), seconds, healthz_max, verification);
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

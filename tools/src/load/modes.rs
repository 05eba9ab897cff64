//! The three ways a run sends (`max`, `storm`, `steady`): each starts the clock, drives every respondent's task to
//! its end and hands back the respondents with what was acknowledged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::load::client::{probe_healthz, sign_in, sign_in_all};
use crate::load::options::LoadConfig;
use crate::load::respondent::Respondent;
use crate::load::setup::{Setup, PARALLEL_LOGINS};
use crate::load::walk::student_path;

/// What a mode hands back.
pub(crate) struct Outcome {
    pub(crate) respondents: Vec<Respondent>,
    /// When sending started (after sign-in in `max` and `storm`).
    pub(crate) started: Instant,
    /// storm: slowest `/healthz` answer while the storm ran.
    pub(crate) healthz_max: Option<f64>,
}

/// A fixed number of respondents send batches of `config.batch` as fast as the server answers, for the duration.
pub(crate) async fn max(setup: &Setup, config: &LoadConfig) -> anyhow::Result<Outcome> {
    let Setup { base, http, codes, survey, shared, warmup, run_for, drain } = setup;
    let (drain, run_for) = (*drain, *run_for);
    let people = sign_in_all(http, base, codes, survey, PARALLEL_LOGINS).await?;
    let started = Instant::now();
    let _ = shared.counted_from.set(started + *warmup);
    let stop = started + run_for;
    let batch = config.batch.max(1);
    let tasks: Vec<_> = people
        .into_iter()
        .map(|mut r| {
            let shared = shared.clone();
            tokio::spawn(async move {
                while Instant::now() < stop {
                    while r.pending.len() < batch {
                        r.queue_next();
                    }
                    shared.deliver(&mut r, None, stop + drain).await;
                }
                r
            })
        })
        .collect();
    Ok(Outcome { respondents: join_all(tasks).await?, started, healthz_max: None })
}

/// Every respondent comes back online at once with `config.pending` unsent pages, while `/healthz` is probed.
pub(crate) async fn storm(setup: &Setup, config: &LoadConfig) -> anyhow::Result<Outcome> {
    let Setup { base, http, codes, survey, shared, warmup, drain, .. } = setup;
    let mut people = sign_in_all(http, base, codes, survey, PARALLEL_LOGINS).await?;
    for r in &mut people {
        for _ in 0..config.pending {
            r.queue_next();
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let probe = spawn_probe(base.clone(), done.clone());
    let started = Instant::now();
    let _ = shared.counted_from.set(started + *warmup);
    let give_up = started + *drain;
    let gate = Arc::new(tokio::sync::Barrier::new(people.len()));
    let tasks: Vec<_> = people
        .into_iter()
        .map(|mut r| {
            let (shared, gate) = (shared.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                shared.deliver(&mut r, None, give_up).await;
                r
            })
        })
        .collect();
    let respondents = join_all(tasks).await?;
    done.store(true, Ordering::Relaxed);
    let healthz_max = probe.join().map_err(|_| anyhow::anyhow!("the /healthz probe panicked"))??;
    Ok(Outcome { respondents, started, healthz_max: Some(healthz_max) })
}

/// The probe runs on a thread and runtime of its own, with a connection opened before the storm (as a load
/// balancer's health checker keeps one): it measures the server, not this process's queue of storm tasks.
fn spawn_probe(base: String, done: Arc<AtomicBool>) -> JoinHandle<anyhow::Result<f64>> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async move {
            let prober = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
            prober.get(format!("{base}/healthz")).send().await?;
            anyhow::Ok(probe_healthz(prober, base, done).await)
        })
    })
}

/// Respondents arrive at `config.rate_per_hour` and save a page every `config.think_ms`, up to `config.pages`.
pub(crate) async fn steady(setup: &Setup, config: &LoadConfig) -> anyhow::Result<Outcome> {
    let Setup { base, http, codes, survey, shared, warmup, run_for, drain } = setup;
    let drain = *drain;
    let started = Instant::now();
    let _ = shared.counted_from.set(started + *warmup);
    let interval = Duration::from_secs_f64(3600.0 / config.rate_per_hour);
    let think = Duration::from_millis(config.think_ms);
    let pages = config.pages;
    let stop = started + *run_for;
    let sem = Arc::new(tokio::sync::Semaphore::new(PARALLEL_LOGINS));
    let tasks: Vec<_> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let (shared, http, base, code, sem, survey) =
                (shared.clone(), http.clone(), base.clone(), code.clone(), sem.clone(), survey.clone());
            let arrival = started + interval.mul_f64(i as f64);
            tokio::spawn(async move {
                tokio::time::sleep_until(arrival.into()).await;
                // The respondent's own work, done when they arrive (before their first scheduled save).
                let path = Arc::new(student_path(&survey, i as u64));
                let login = {
                    let _permit = sem.acquire().await;
                    sign_in(&http, &base, &code).await?
                };
                let mut r = Respondent::new(login, path);
                // Page k is saved at arrival + (k+1)·think whatever the network does; like the app, the
                // sender then sends everything pending in one request, so a slow answer makes the next
                // batch larger rather than the respondent slower. Latency counts from the oldest pending
                // save's scheduled time.
                let at = |k: usize| arrival + think.mul_f64(k as f64 + 1.0);
                let mut k = 0;
                while k < pages && at(k) < stop {
                    tokio::time::sleep_until(at(k).into()).await;
                    let oldest = at(k);
                    while k < pages && at(k) <= Instant::now() && at(k) < stop {
                        r.queue_next();
                        k += 1;
                    }
                    shared.deliver(&mut r, Some(oldest), stop + drain).await;
                }
                anyhow::Ok(r)
            })
        })
        .collect();
    let mut respondents = Vec::with_capacity(tasks.len());
    for t in tasks {
        respondents.push(t.await??);
    }
    Ok(Outcome { respondents, started, healthz_max: None })
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<Respondent>>) -> anyhow::Result<Vec<Respondent>> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await?);
    }
    Ok(out)
}

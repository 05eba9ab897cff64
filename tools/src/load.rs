//! The load generator (`quire-load`): real respondents, the real protocol, and a check that the database holds
//! exactly what was acknowledged.
//!
//! It seeds a roster of its own (a school named after the run), signs each respondent in through the API, walks the
//! survey as a student would (skip logic included, answers from `quire_shared::sample`) and sends page-saves the way
//! the app does: whatever is pending in one batch, one request in flight per respondent, retrying after 503/429
//! (honouring `Retry-After`, with jitter) or a transport error. Modes:
//! - `max`: a fixed number of respondents send as fast as the server answers;
//! - `steady`: respondents arrive at a rate per hour and save a page every `think` ms; latency counts from the
//!   scheduled send time, so a slow server cannot hide its queueing (coordinated omission);
//! - `storm`: every respondent comes back online at once with `pending` unsent pages.
//!
//! Loopback only: the base URL must name 127.0.0.0/8 or ::1. Every mode stops by itself.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use quire_shared::{retry, AnswerValue, LoginResponse, PageAnswers, SyncReply, ValidSurvey};
use rand::Rng;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use quire_server::respondent::roster::{self, RosterRow};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Max,
    Steady,
    Storm,
}

#[derive(clap::Args, Debug, Clone)]
pub struct LoadConfig {
    /// The server; loopback addresses only.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base: String,
    #[arg(long, value_enum, default_value = "max")]
    pub mode: Mode,
    /// max: concurrent respondents; storm: respondents coming back at once; steady: ignored (see --rate-per-hour).
    #[arg(long, default_value_t = 64)]
    pub respondents: usize,
    /// max, steady: how long to send, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// max: page-saves per request.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// steady: respondents starting per hour.
    #[arg(long, default_value_t = 36_000.0)]
    pub rate_per_hour: f64,
    /// steady: pages each respondent saves.
    #[arg(long, default_value_t = 10)]
    pub pages: usize,
    /// steady: think time between pages, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// max, steady: the first seconds are not counted in rates and latency (steady: saves scheduled before then), so
    /// that the figures describe the steady state rather than respondents still arriving. Everything sent is still
    /// verified.
    #[arg(long, default_value_t = 0.0)]
    pub warmup: f64,
    /// storm: unsent pages each respondent has.
    #[arg(long, default_value_t = 30)]
    pub pending: usize,
    /// Send to the no-op endpoint (server started with QUIRE_BENCH_ENDPOINTS=true): the HTTP floor. No verification.
    #[arg(long)]
    pub noop: bool,
    /// The survey whose published version respondents take.
    #[arg(long, default_value = "school-climate-2026")]
    pub survey: String,
    /// Give up on a save still unacknowledged this long after the sending ends, in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub drain_timeout: f64,
    /// Write the report as JSON here too.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

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
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Serialize, Default)]
pub struct Verification {
    pub checked: bool,
    pub acknowledged: u64,
    pub rows: u64,
    pub missing: u64,
    pub unexpected: u64,
    pub wrong_current: u64,
    pub quarantined: u64,
    pub unacknowledged_at_end: u64,
}

impl Verification {
    pub fn ok(&self) -> bool {
        !self.checked || (self.missing == 0 && self.unexpected == 0 && self.wrong_current == 0 && self.quarantined == 0)
    }
}

fn check_loopback(base: &str) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(base).context("--base is not a URL")?;
    let host = url.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host.trim_matches(['[', ']']).parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false);
    if !loopback {
        bail!("quire-load only targets loopback (127.0.0.0/8, ::1, localhost), not `{host}`");
    }
    Ok(())
}

/// A page of a respondent's path with its answers already encoded: a page's answers are the same bytes whenever
/// they are sent, and the generator shares the machine with what it measures, so it encodes them once, before the
/// clock starts, instead of rebuilding and re-encoding a `PageAnswers` for every request.
struct PathPage {
    page_id: String,
    answers: Box<RawValue>,
    /// Answer items, as the old system counted rows (`answer_items`).
    items: u64,
}

impl PathPage {
    fn new(page_id: String, answers: &PageAnswers) -> Self {
        let items = answer_items(answers);
        let answers = serde_json::value::to_raw_value(answers).unwrap_or_else(|_| RawValue::NULL.to_owned());
        PathPage { page_id, answers, items }
    }
}

/// A save waiting to be sent: which page of the path, and the fields the app fills in when it saves.
#[derive(Clone, Copy)]
struct Pending {
    page: usize,
    revision: u64,
    client_time: OffsetDateTime,
    finishes: bool,
}

/// `quire_shared::SyncBatch` as it goes on the wire, borrowing the pre-encoded answers (a test checks that the server's
/// types read it back as the same batch).
#[derive(Serialize)]
struct WireBatch<'a> {
    respondent_id: Uuid,
    saves: Vec<WireSave<'a>>,
}

/// `quire_shared::PageSave` on the wire.
#[derive(Serialize)]
struct WireSave<'a> {
    page_id: &'a str,
    revision: u64,
    answers: &'a RawValue,
    #[serde(with = "time::serde::rfc3339")]
    client_time: OffsetDateTime,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    finishes: bool,
}

/// One simulated respondent: their session, their path through the survey and what the server acknowledged.
struct Respondent {
    login: LoginResponse,
    path: Arc<Vec<PathPage>>,
    next_page: usize,
    next_revision: u64,
    pending: Vec<Pending>,
    /// Revision → (page index in `path`, accepted?) as acknowledged.
    acked: HashMap<u64, (usize, bool)>,
    /// Revisions sent in a request whose answer never came: they may or may not be stored.
    uncertain: HashSet<u64>,
}

impl Respondent {
    /// A respondent just signed in; new saves continue above what the server already holds.
    fn new(login: LoginResponse, path: Arc<Vec<PathPage>>) -> Self {
        let next_revision = login.resume.last_revision + 1;
        Respondent {
            login,
            path,
            next_page: 0,
            next_revision,
            pending: Vec::new(),
            acked: HashMap::new(),
            uncertain: HashSet::new(),
        }
    }

    fn queue_next(&mut self) {
        let page = self.next_page % self.path.len();
        self.next_page += 1;
        let finishes = self.next_page.is_multiple_of(self.path.len());
        self.pending.push(Pending {
            page,
            revision: self.next_revision,
            client_time: OffsetDateTime::now_utc(),
            finishes,
        });
        self.next_revision += 1;
    }

    /// The request body for everything pending: a `SyncBatch` as the app sends it.
    fn body(&self) -> Vec<u8> {
        let saves = self
            .pending
            .iter()
            .map(|p| {
                let page = &self.path[p.page];
                WireSave {
                    page_id: &page.page_id,
                    revision: p.revision,
                    answers: &page.answers,
                    client_time: p.client_time,
                    finishes: p.finishes,
                }
            })
            .collect();
        serde_json::to_vec(&WireBatch { respondent_id: self.login.respondent_id, saves }).unwrap_or_default()
    }
}

/// A student's way through the survey, encoded for sending.
fn student_path(survey: &ValidSurvey, seed: u64) -> Vec<PathPage> {
    student_answers(survey, seed).into_iter().map(|(page, answers)| PathPage::new(page, &answers)).collect()
}

/// A student's way through the survey: pages shown given the answers so far, in order, each with the answers the
/// app would send (the active ones, by the app's own rule: `quire_shared::visibility`).
fn student_answers(survey: &ValidSurvey, seed: u64) -> Vec<(String, PageAnswers)> {
    use quire_shared::visibility::{active_answers, next_page, page_answers, page_visible, AllAnswers};
    let mut held = AllAnswers::new();
    let mut path = Vec::new();
    let mut index = (0..survey.survey().pages.len()).find(|&i| page_visible(survey, i, &held));
    while let Some(i) = index {
        let page = &survey.survey().pages[i];
        let mut answers = quire_shared::sample::answer_page(page, seed ^ (path.len() as u64) << 20);
        if page.id == "about" {
            answers.insert("role".into(), AnswerValue::Choice("student".into()));
        }
        held.insert(page.id.clone(), answers);
        let active = active_answers(survey, &held);
        path.push((page.id.clone(), page_answers(&active, &page.id)));
        index = next_page(survey, i, &active);
    }
    path
}

struct Shared {
    http: reqwest::Client,
    /// The sync (or no-op) URL, parsed once.
    url: reqwest::Url,
    endpoint: &'static str,
    latency: Mutex<Histogram<u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
    requests: AtomicU64,
    saves: AtomicU64,
    answers: AtomicU64,
    /// When counting starts: the run's start plus the warm-up.
    counted_from: std::sync::OnceLock<Instant>,
}

impl Shared {
    fn error(&self, kind: String) {
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()).entry(kind).or_insert(0) += 1;
    }

    /// Sends what `r` has pending until it is acknowledged or `give_up` passes. `scheduled` is when the first
    /// attempt should have started (steady mode); latency is measured from it.
    async fn deliver(&self, r: &mut Respondent, scheduled: Option<Instant>, give_up: Instant) {
        let mut attempt = 0u32;
        let start = scheduled.unwrap_or_else(Instant::now);
        let counted = self.counted_from.get().is_none_or(|from| start >= *from);
        while !r.pending.is_empty() && Instant::now() < give_up {
            let sent = self
                .http
                .post(self.url.clone())
                .bearer_auth(&r.login.token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(r.body())
                .send()
                .await;
            if counted {
                self.requests.fetch_add(1, Ordering::Relaxed);
            }
            let wait = match sent {
                Ok(res) if res.status() == 200 => match res.json::<SyncReply>().await {
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
                    self.error(res.status().as_u16().to_string());
                    // 503/429 name a wait; other statuses mean nothing was committed and we back off.
                    retry::retry_after_ms(res.headers().get("retry-after").and_then(|v| v.to_str().ok()))
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

/// Answers as the old system counted them, one row per item: each statement of a Likert matrix is one.
fn answer_items(answers: &PageAnswers) -> u64 {
    answers.values().map(|v| if let AnswerValue::Matrix(m) = v { m.len() as u64 } else { 1 }).sum()
}

async fn sign_in(http: &reqwest::Client, base: &str, code: &str) -> anyhow::Result<LoginResponse> {
    let res =
        http.post(format!("{base}/api/v1/login")).json(&serde_json::json!({ "access_code": code })).send().await?;
    anyhow::ensure!(res.status() == 200, "login answered {}", res.status());
    Ok(res.json().await?)
}

/// Seeds `n` respondents of a school named after this run and returns their codes.
async fn seed(pool: &PgPool, survey: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let school = format!("load-{}", Uuid::new_v4().simple());
    let rows: Vec<RosterRow> = (0..n)
        .map(|i| RosterRow {
            line: 0,
            school: school.clone(),
            class: format!("c{:03}", i / 30),
            role: "student".into(),
            external_id: format!("r{i:07}"),
            name: None,
        })
        .collect();
    Ok(roster::load(pool, survey, &rows).await?.into_iter().map(|r| r.access_code).collect())
}

/// Signs respondents in, `parallel` at a time.
async fn sign_in_all(
    http: &reqwest::Client,
    base: &str,
    codes: &[String],
    survey: &ValidSurvey,
    parallel: usize,
) -> anyhow::Result<Vec<Respondent>> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let (http, base, code, sem) = (http.clone(), base.to_owned(), code.clone(), sem.clone());
        let path = Arc::new(student_path(survey, i as u64));
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            anyhow::Ok(Respondent::new(sign_in(&http, &base, &code).await?, path))
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

pub async fn run(pool: &PgPool, config: &LoadConfig) -> anyhow::Result<Report> {
    check_loopback(&config.base)?;
    let base = config.base.trim_end_matches('/').to_owned();
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(usize::MAX).build()?;
    let (count, parallel_logins) = match config.mode {
        Mode::Max | Mode::Storm => (config.respondents, 64),
        Mode::Steady => ((config.rate_per_hour * config.duration / 3600.0).ceil().max(1.0) as usize, 64),
    };
    let codes = seed(pool, &config.survey, count).await?;
    let first = sign_in(&http, &base, &codes[0]).await?;
    let text = http.get(format!("{base}{}", first.survey_url)).send().await?.text().await?;
    let survey = ValidSurvey::parse(&text).map_err(|e| anyhow::anyhow!("survey file: {e:?}"))?;

    let endpoint = if config.noop { "/api/v1/bench/noop" } else { "/api/v1/sync" };
    let shared = Arc::new(Shared {
        http: http.clone(),
        url: reqwest::Url::parse(&format!("{base}{endpoint}"))?,
        endpoint,
        latency: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
        errors: Mutex::new(BTreeMap::new()),
        requests: AtomicU64::new(0),
        saves: AtomicU64::new(0),
        answers: AtomicU64::new(0),
        counted_from: std::sync::OnceLock::new(),
    });
    let warmup = Duration::from_secs_f64(config.warmup);

    let run_for = Duration::from_secs_f64(config.duration);
    let drain = Duration::from_secs_f64(config.drain_timeout);
    let mut healthz_max = None;
    let started;
    let respondents: Vec<Respondent> = match config.mode {
        Mode::Max => {
            let people = sign_in_all(&http, &base, &codes, &survey, parallel_logins).await?;
            started = Instant::now();
            let _ = shared.counted_from.set(started + warmup);
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
            join_all(tasks).await?
        }
        Mode::Storm => {
            let mut people = sign_in_all(&http, &base, &codes, &survey, parallel_logins).await?;
            for r in &mut people {
                for _ in 0..config.pending {
                    r.queue_next();
                }
            }
            let done = Arc::new(AtomicBool::new(false));
            // The probe runs on a thread and runtime of its own, with a connection opened before the storm (as a load
            // balancer's health checker keeps one): it measures the server, not this process's queue of storm tasks.
            let probe = {
                let (base, done) = (base.clone(), done.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    rt.block_on(async move {
                        let prober = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
                        prober.get(format!("{base}/healthz")).send().await?;
                        anyhow::Ok(probe_healthz(prober, base, done).await)
                    })
                })
            };
            started = Instant::now();
            let _ = shared.counted_from.set(started + warmup);
            let give_up = started + drain;
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
            let out = join_all(tasks).await?;
            done.store(true, Ordering::Relaxed);
            healthz_max = Some(probe.join().map_err(|_| anyhow::anyhow!("the /healthz probe panicked"))??);
            out
        }
        Mode::Steady => {
            started = Instant::now();
            let _ = shared.counted_from.set(started + warmup);
            let interval = Duration::from_secs_f64(3600.0 / config.rate_per_hour);
            let think = Duration::from_millis(config.think_ms);
            let pages = config.pages;
            let stop = started + run_for;
            let sem = Arc::new(tokio::sync::Semaphore::new(parallel_logins));
            let survey = Arc::new(survey);
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
            let mut out = Vec::with_capacity(tasks.len());
            for t in tasks {
                out.push(t.await??);
            }
            out
        }
    };
    let seconds = match config.mode {
        Mode::Storm => started.elapsed().as_secs_f64(),
        _ => run_for.min(started.elapsed()).saturating_sub(warmup).as_secs_f64().max(f64::MIN_POSITIVE),
    };

    let verification = if config.noop { Verification::default() } else { verify(pool, &respondents).await? };
    let hist = shared.latency.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    let (requests, saves, answers) = (
        shared.requests.load(Ordering::Relaxed),
        shared.saves.load(Ordering::Relaxed),
        shared.answers.load(Ordering::Relaxed),
    );
    let report = Report {
        mode: config.mode,
        endpoint: shared.endpoint,
        respondents: respondents.len(),
        seconds,
        requests,
        page_saves: saves,
        answers,
        requests_per_s: requests as f64 / seconds,
        page_saves_per_s: saves as f64 / seconds,
        answers_per_s: answers as f64 / seconds,
        latency_ms: Latency { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99), max: hist.max() as f64 / 1000.0 },
        errors: shared.errors.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        healthz_max_ms: healthz_max,
        verification,
    };
    if let Some(path) = &config.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report)
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<Respondent>>) -> anyhow::Result<Vec<Respondent>> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await?);
    }
    Ok(out)
}

/// Polls `/healthz` every 50 ms until `done`, returning the slowest answer in ms (a failed probe counts as 30 s).
async fn probe_healthz(http: reqwest::Client, base: String, done: Arc<AtomicBool>) -> f64 {
    let mut worst: f64 = 0.0;
    while !done.load(Ordering::Relaxed) {
        let t = Instant::now();
        let ok = http.get(format!("{base}/healthz")).send().await.map(|r| r.status() == 200).unwrap_or(false);
        let ms = if ok { t.elapsed().as_secs_f64() * 1000.0 } else { 30_000.0 };
        worst = worst.max(ms);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worst
}

/// The database must hold exactly what was acknowledged: every accepted revision, nothing that was not sent or
/// could not have been stored, and each page's current answers at its highest acknowledged revision.
async fn verify(pool: &PgPool, respondents: &[Respondent]) -> anyhow::Result<Verification> {
    let ids: Vec<Uuid> = respondents.iter().map(|r| r.login.respondent_id).collect();
    let rows: Vec<(Uuid, i64)> =
        sqlx::query_as("select respondent_id, revision from page_saves where respondent_id = any($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    let current: Vec<(Uuid, String, i64)> =
        sqlx::query_as("select respondent_id, page_id, revision from current_answers where respondent_id = any($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    let (quarantined,): (i64,) = sqlx::query_as("select count(*) from quarantine where respondent_id = any($1)")
        .bind(&ids)
        .fetch_one(pool)
        .await?;
    let mut stored: HashMap<Uuid, HashSet<u64>> = HashMap::new();
    for (id, rev) in &rows {
        stored.entry(*id).or_default().insert(*rev as u64);
    }
    let current: HashMap<(Uuid, String), u64> = current.into_iter().map(|(id, p, r)| ((id, p), r as u64)).collect();
    let mut v =
        Verification { checked: true, rows: rows.len() as u64, quarantined: quarantined as u64, ..Default::default() };
    for r in respondents {
        let id = r.login.respondent_id;
        let empty = HashSet::new();
        let have = stored.get(&id).unwrap_or(&empty);
        let mut highest: HashMap<&str, u64> = HashMap::new();
        for (rev, (page, accepted)) in &r.acked {
            let page = &r.path[*page].page_id;
            if *accepted {
                v.acknowledged += 1;
                if !have.contains(rev) {
                    v.missing += 1;
                }
                let h = highest.entry(page.as_str()).or_insert(0);
                *h = (*h).max(*rev);
            }
        }
        for rev in have {
            if !r.acked.contains_key(rev) && !r.uncertain.contains(rev) {
                v.unexpected += 1;
            }
        }
        for (page, rev) in highest {
            let cur = current.get(&(id, page.to_owned())).copied().unwrap_or(0);
            // A higher revision may be current only if it was sent and its answer lost.
            if cur != rev && !(cur > rev && r.uncertain.contains(&cur)) {
                v.wrong_current += 1;
            }
        }
        v.unacknowledged_at_end += r.pending.len() as u64;
    }
    Ok(v)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback() {
        for ok in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.9.9.9"] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in ["http://10.0.0.1:8080", "http://192.168.1.2", "http://example.com", "nonsense"] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_student_path_follows_skip_logic() {
        let survey = ValidSurvey::parse(include_str!("../../shared/fixtures/school-climate.json")).unwrap();
        let path = student_answers(&survey, 3);
        assert_eq!(path[0].0, "about");
        assert!(path.iter().all(|(p, _)| !p.starts_with("teacher_") && !p.starts_with("parent_")));
        assert!(path.iter().filter(|(p, _)| p.starts_with("student_")).count() == 30);
        assert!(path.len() >= 32);
    }

    /// The generator encodes bodies itself (answers once per page); the server's types must read them back as the
    /// batch the app would have sent, field for field.
    #[test]
    fn wire_body_is_the_shared_sync_batch() {
        let survey = ValidSurvey::parse(include_str!("../../shared/fixtures/school-climate.json")).unwrap();
        let answers = student_answers(&survey, 7);
        let path: Vec<PathPage> = answers.iter().map(|(p, a)| PathPage::new(p.clone(), a)).collect();
        let login = LoginResponse {
            token: "t".into(),
            respondent_id: Uuid::new_v4(),
            survey_id: "s".into(),
            survey_version: "v".into(),
            survey_url: "/u".into(),
            resume: Default::default(),
        };
        let mut r = Respondent::new(login, Arc::new(path));
        for _ in 0..answers.len() + 1 {
            r.queue_next();
        }
        let sent: quire_shared::SyncBatch =
            serde_json::from_slice(&r.body()).unwrap_or_else(|e| panic!("the body does not parse: {e}"));
        let expected: Vec<quire_shared::PageSave> = r
            .pending
            .iter()
            .map(|p| quire_shared::PageSave {
                page_id: answers[p.page].0.clone(),
                revision: p.revision,
                answers: answers[p.page].1.clone(),
                client_time: p.client_time,
                finishes: p.finishes,
                draft: false,
            })
            .collect();
        assert_eq!(sent.respondent_id, r.login.respondent_id);
        assert_eq!(sent.saves, expected);
        assert!(sent.saves[answers.len() - 1].finishes && !sent.saves[0].finishes);
        assert_eq!(r.path[1].items, answer_items(&answers[1].1));
    }
}

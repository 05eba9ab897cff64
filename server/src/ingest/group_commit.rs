//! Group commit: the page-saves of concurrent sync requests share one transaction, and no save can fail another's.
//!
//! Each request hands its checked saves to a bounded queue and waits for its acks. A few committer tasks each take
//! what is queued — waiting at most `max_wait` for more, up to `max_saves` saves — and write it with `Writer`
//! (`store::commit`: one statement for every table). Under load, one fsync then carries the saves of many requests;
//! when idle, a request waits at most `max_wait` longer than it would alone. Each request is still acknowledged only
//! after the transaction holding its saves has committed.
//!
//! Isolation: saves are checked before they join a group (`quire_shared::check_storable`), so a refused group should
//! not happen. If one still does — the database refuses a value, or the write panics — the group is split in halves
//! until the offending save is alone; the others are committed and acknowledged as usual, and only the offender is
//! rejected (and quarantined, which makes the rejection true). A failure that is not the data's fault (the database
//! is down or busy) fails the whole group with a 5xx: the devices retry, which is safe because every save is
//! idempotent.
//!
//! Supervision: a panic inside a write ends that write, not the task; a task that stops anyway is restarted. Both are
//! logged and counted (`quire_commit_failures_total`, `quire_committer_restarts_total`). `/readyz` is red while no
//! committer runs or the last write failed for want of a database (`IngestHealth`).
//!
//! Backpressure: the queue is bounded. When it is full the database is behind, and the request is answered 503
//! with `Retry-After` at once instead of queueing without bound; the client retries later.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use quire_shared::{Ack, AnswerError};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::time::Instant;

use crate::config::ServeConfig;
use crate::http::error::ApiError;
use crate::ingest::check::Checked;
use crate::ingest::store::{self, Job};
use crate::metrics::{CommitFailure, Metrics};

#[derive(Debug, Clone, Copy)]
pub struct GroupCommitConfig {
    /// Longest a committer waits for more requests once it has one.
    pub max_wait: Duration,
    /// Saves in one transaction at most.
    pub max_saves: usize,
    /// Requests waiting at most; beyond, 503.
    pub queue: usize,
    /// Transactions in flight at once.
    pub committers: usize,
}

impl From<&ServeConfig> for GroupCommitConfig {
    fn from(c: &ServeConfig) -> Self {
        GroupCommitConfig {
            max_wait: Duration::from_micros(c.group_commit_wait_us),
            max_saves: c.group_commit_max_saves,
            queue: c.ingest_queue,
            committers: c.committers,
        }
    }
}

/// Writes a group of jobs in one transaction and returns each job's acks. `store::commit` in service; tests put a
/// failing or panicking one in its place.
pub type CommitFn =
    Arc<dyn for<'a> Fn(&'a PgPool, &'a [Job]) -> BoxFuture<'a, Result<Vec<Vec<Ack>>, sqlx::Error>> + Send + Sync>;

pub fn store_commit() -> CommitFn {
    Arc::new(|pool, jobs| Box::pin(store::commit(pool, jobs)))
}

/// Whether ingest can commit, for `/readyz`.
#[derive(Default)]
pub struct IngestHealth {
    committers: AtomicUsize,
    /// Milliseconds since `epoch` of the last write that committed and of the last that failed for want of a
    /// database (0: never).
    last_ok: AtomicU64,
    last_failed: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
}

/// How long after a failed write `/readyz` stays red unless a later write commits. Long enough for a load balancer
/// to notice; short enough that a node with no traffic (sent none because it was red) turns green again by itself.
const RED_AFTER_FAILURE: Duration = Duration::from_secs(5);

impl IngestHealth {
    fn now_ms(&self) -> u64 {
        (self.epoch.get_or_init(Instant::now).elapsed().as_millis() as u64).max(1)
    }

    fn committed(&self) {
        self.last_ok.store(self.now_ms(), Ordering::Relaxed);
    }

    fn failed(&self) {
        self.last_failed.store(self.now_ms(), Ordering::Relaxed);
    }

    /// `Err` with the reason while ingest cannot commit. `group_commit`: committer tasks are expected.
    pub fn check(&self, group_commit: bool) -> Result<(), &'static str> {
        if group_commit && self.committers.load(Ordering::Relaxed) == 0 {
            return Err("no group committer is running");
        }
        let (ok, failed) = (self.last_ok.load(Ordering::Relaxed), self.last_failed.load(Ordering::Relaxed));
        if failed > ok && self.now_ms().saturating_sub(failed) < RED_AFTER_FAILURE.as_millis() as u64 {
            return Err("ingest cannot commit to the database");
        }
        Ok(())
    }
}

/// Writes groups of jobs so that one job's bad save never fails another's.
#[derive(Clone)]
pub struct Writer {
    pool: PgPool,
    commit: CommitFn,
    metrics: Arc<Metrics>,
    pub health: Arc<IngestHealth>,
}

/// Why a write did not happen, kept as a kind all the way to the HTTP edge (not flattened into a string).
#[derive(Debug, Clone)]
pub enum WriteError {
    /// No connection free within the pool's timeout: 503 `overloaded` with `Retry-After`.
    Busy(String),
    /// The database is out of reach or failing over (`db::unavailable`): 503 `unavailable` with `Retry-After`.
    Unavailable(String),
    /// Anything else: 500. Either way nothing was acknowledged and the device sends the saves again.
    Failed(String),
}

impl WriteError {
    fn of(e: &sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => WriteError::Busy(e.to_string()),
            e if crate::db::unavailable(e) => WriteError::Unavailable(e.to_string()),
            _ => WriteError::Failed(e.to_string()),
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Busy(e) | WriteError::Unavailable(e) | WriteError::Failed(e) => f.write_str(e),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Busy(e) => {
                tracing::warn!(error = %e, "ingest found no free connection");
                ApiError::Overloaded("the server is busy; retry shortly")
            }
            WriteError::Unavailable(e) => {
                tracing::warn!(error = %e, "ingest cannot reach the database");
                ApiError::Unavailable("the database is unavailable for a moment; retry shortly")
            }
            WriteError::Failed(e) => ApiError::Internal(anyhow::anyhow!("commit failed: {e}")),
        }
    }
}

/// One try at a write.
enum Attempt {
    Committed(Vec<Vec<Ack>>),
    /// The database is unreachable or busy: nobody's data is at fault.
    Transient(WriteError),
    /// The database refused the data, or the write panicked: some save of the group is at fault.
    Refused(String),
}

impl Writer {
    pub fn new(pool: PgPool, commit: CommitFn, metrics: Arc<Metrics>) -> Self {
        Writer { pool, commit, metrics, health: Arc::default() }
    }

    /// Commits the jobs and returns each job's acks, or the error for the jobs that could not be written.
    pub async fn write(&self, jobs: &[Job]) -> Vec<Result<Vec<Ack>, WriteError>> {
        match self.attempt(jobs).await {
            Attempt::Committed(acks) => acks.into_iter().map(Ok).collect(),
            Attempt::Transient(e) => jobs.iter().map(|_| Err(e.clone())).collect(),
            Attempt::Refused(e) if jobs.len() > 1 => {
                tracing::warn!(error = %e, jobs = jobs.len(), "group refused; splitting it to find the offending save");
                let (left, right) = jobs.split_at(jobs.len() / 2);
                let mut out = Box::pin(self.write(left)).await;
                out.extend(Box::pin(self.write(right)).await);
                out
            }
            Attempt::Refused(e) => match jobs.first() {
                Some(job) => vec![self.isolate(job, &e).await],
                None => Vec::new(),
            },
        }
    }

    async fn attempt(&self, jobs: &[Job]) -> Attempt {
        let result = AssertUnwindSafe((self.commit)(&self.pool, jobs)).catch_unwind().await;
        match result {
            Ok(Ok(acks)) => {
                self.health.committed();
                Attempt::Committed(acks)
            }
            Ok(Err(e)) if refused_data(&e) => {
                self.metrics.count_commit_failure(CommitFailure::Refused);
                Attempt::Refused(e.to_string())
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, requests = jobs.len(), "group commit failed");
                let error = WriteError::of(&e);
                self.metrics.count_commit_failure(match error {
                    WriteError::Busy(_) => CommitFailure::Busy,
                    WriteError::Unavailable(_) => CommitFailure::Unavailable,
                    WriteError::Failed(_) => CommitFailure::Failed,
                });
                self.health.failed();
                Attempt::Transient(error)
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                tracing::error!(panic = %message, requests = jobs.len(), "group commit panicked");
                self.metrics.count_commit_failure(CommitFailure::Panic);
                Attempt::Refused(format!("panic: {message}"))
            }
        }
    }

    /// One request whose saves the database refuses: its saves are written in halves until each offender is alone;
    /// an offender is quarantined and rejected. If even its quarantine row cannot be written, the request fails
    /// (5xx) and the device keeps the save: a rejection is only sent for a save the server has kept.
    async fn isolate(&self, job: &Job, why: &str) -> Result<Vec<Ack>, WriteError> {
        let mut acks = Vec::with_capacity(job.checked.len());
        // The whole job was just refused: not written again, but split (a job of one save goes to quarantine).
        self.isolate_range(job, 0, job.checked.len(), Some(why), &mut acks).await?;
        acks.sort_by_key(|a| a.index);
        Ok(acks)
    }

    /// Writes `job.checked[start..end]`, or, when `already_refused` says that range was already refused, goes straight to
    /// its halves (or to quarantine for a single save).
    fn isolate_range<'a>(
        &'a self,
        job: &'a Job,
        start: usize,
        end: usize,
        already_refused: Option<&'a str>,
        acks: &'a mut Vec<Ack>,
    ) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            if start == end {
                return Ok(());
            }
            let outcome = match already_refused {
                Some(e) => Attempt::Refused(e.to_owned()),
                None => {
                    let part = [Job { respondent: job.respondent, checked: job.checked[start..end].to_vec() }];
                    self.attempt(&part).await
                }
            };
            match outcome {
                Attempt::Committed(mut written) => {
                    for mut ack in written.pop().unwrap_or_default() {
                        ack.index += start;
                        acks.push(ack);
                    }
                    Ok(())
                }
                Attempt::Transient(e) => Err(e),
                Attempt::Refused(_) if end - start > 1 => {
                    let mid = start + (end - start) / 2;
                    self.isolate_range(job, start, mid, None, acks).await?;
                    self.isolate_range(job, mid, end, None, acks).await
                }
                Attempt::Refused(e) => {
                    tracing::warn!(respondent = %job.respondent, error = %e, "save refused by the database");
                    let offender = refused(&job.checked[start], &e);
                    let quarantine = [Job { respondent: job.respondent, checked: vec![offender] }];
                    match self.attempt(&quarantine).await {
                        Attempt::Committed(mut written) => {
                            for mut ack in written.pop().unwrap_or_default() {
                                ack.index = start;
                                acks.push(ack);
                            }
                            Ok(())
                        }
                        Attempt::Transient(e) => Err(e),
                        Attempt::Refused(e) => Err(WriteError::Failed(e)),
                    }
                }
            }
        })
    }
}

/// The database refused a value it was given, or the driver could not encode one: retrying the same group would fail
/// the same way, and one of its saves is to blame. Only the refusals a save's content can cause count (the kinds
/// `check_storable` exists to prevent); anything else — a constraint, a schema or SQL mistake — fails the group as a
/// server fault, so that a systematic error never turns into every valid save being rejected.
const REFUSED_VALUE: [&str; 7] = [
    "22P05", // untranslatable character (U+0000 in jsonb)
    "22021", // character not in repertoire (U+0000 in text)
    "22001", // string data right truncation
    "22003", // numeric value out of range
    "22007", // invalid datetime format
    "22008", // datetime field overflow
    "54000", // program limit exceeded (an index row too large)
];

fn refused_data(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| REFUSED_VALUE.contains(&c.as_ref())),
        sqlx::Error::Encode(_) => true,
        _ => false,
    }
}

/// The save as a quarantine entry that says why the database refused it.
fn refused(checked: &Checked, error: &str) -> Checked {
    let message = format!("this save could not be stored ({error}); it is kept for review");
    let error = AnswerError::new("save", quire_shared::storable::printable(&message).into_owned());
    match checked {
        Checked::Valid(save) => Checked::Invalid {
            raw: serde_json::to_value(save).unwrap_or_default(),
            page_id: Some(save.page_id.clone()),
            revision: Some(save.revision),
            errors: vec![error],
        },
        Checked::Repeat { page_id, revision } => Checked::Invalid {
            raw: serde_json::json!({"page_id": page_id, "revision": revision}),
            page_id: Some(page_id.clone()),
            revision: Some(*revision),
            errors: vec![error],
        },
        Checked::Invalid { raw, page_id, revision, errors } => Checked::Invalid {
            raw: raw.clone(),
            page_id: page_id.clone(),
            revision: *revision,
            errors: errors.iter().cloned().chain([error]).collect(),
        },
    }
}

struct Pending {
    job: Job,
    reply: oneshot::Sender<Result<Vec<Ack>, WriteError>>,
}

#[derive(Clone)]
pub struct GroupCommitter {
    tx: mpsc::Sender<Pending>,
}

impl GroupCommitter {
    pub fn start(writer: Writer, config: GroupCommitConfig, metrics: Arc<Metrics>) -> Self {
        let (tx, rx) = mpsc::channel::<Pending>(config.queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..config.committers.max(1) {
            tokio::spawn(supervise(rx.clone(), writer.clone(), config, metrics.clone()));
        }
        GroupCommitter { tx }
    }

    /// Queues a request's saves and waits until they are committed.
    pub async fn submit(&self, job: Job) -> Result<Vec<Ack>, ApiError> {
        let (reply, acks) = oneshot::channel();
        self.tx.try_send(Pending { job, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ApiError::Overloaded("the server is busy; retry shortly"),
            mpsc::error::TrySendError::Closed(_) => ApiError::Internal(anyhow::anyhow!("group committer stopped")),
        })?;
        match acks.await {
            Ok(Ok(acks)) => Ok(acks),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(ApiError::Internal(anyhow::anyhow!("group committer dropped a request"))),
        }
    }
}

/// Runs one committer and starts it again if it stops by a panic. It ends only when the queue closes.
async fn supervise(
    rx: Arc<Mutex<mpsc::Receiver<Pending>>>,
    writer: Writer,
    config: GroupCommitConfig,
    metrics: Arc<Metrics>,
) {
    let health = writer.health.clone();
    health.committers.fetch_add(1, Ordering::Relaxed);
    loop {
        match tokio::spawn(committer(rx.clone(), writer.clone(), config)).await {
            Ok(()) => break,
            Err(e) if e.is_cancelled() => break,
            Err(e) => {
                tracing::error!(error = %e, "a group committer stopped; starting it again");
                metrics.count_committer_restart();
                // Not a tight loop if it keeps failing at once.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    health.committers.fetch_sub(1, Ordering::Relaxed);
}

async fn committer(rx: Arc<Mutex<mpsc::Receiver<Pending>>>, writer: Writer, config: GroupCommitConfig) {
    loop {
        // Gather a group while holding the receiver; other committers meanwhile write their own groups.
        let group = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut saves = first.job.saves();
            let mut group = vec![first];
            let deadline = Instant::now() + config.max_wait;
            while saves < config.max_saves {
                let next = match rx.try_recv() {
                    Ok(p) => Some(p),
                    Err(mpsc::error::TryRecvError::Empty) if !config.max_wait.is_zero() => {
                        tokio::time::timeout_at(deadline, rx.recv()).await.ok().flatten()
                    }
                    Err(_) => None,
                };
                let Some(p) = next else { break };
                saves += p.job.saves();
                group.push(p);
            }
            group
        };
        let (jobs, replies): (Vec<Job>, Vec<_>) = group.into_iter().map(|p| (p.job, p.reply)).unzip();
        for (reply, result) in replies.into_iter().zip(writer.write(&jobs).await) {
            let _ = reply.send(result);
        }
    }
}

//! Group commit: the page-saves of concurrent sync requests share one transaction.
//!
//! Each request hands its checked saves to a bounded queue and waits for its acks. A few committer tasks each take
//! what is queued — waiting at most `max_wait` for more, up to `max_saves` saves — and write it with
//! `store::commit` (one statement for every table). Under load, one fsync then carries the saves of many requests; when
//! idle, a request waits at most `max_wait` longer than it would alone. Each request is still acknowledged only
//! after the transaction holding its saves has committed.
//!
//! Backpressure: the queue is bounded. When it is full the database is behind, and the request is answered 503
//! with `Retry-After` at once instead of queueing without bound; the client retries later, which is safe because
//! every save is idempotent.

use std::sync::Arc;
use std::time::Duration;

use quire_shared::Ack;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::store::{self, Job};

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

struct Pending {
    job: Job,
    reply: oneshot::Sender<Result<Vec<Ack>, String>>,
}

#[derive(Clone)]
pub struct GroupCommitter {
    tx: mpsc::Sender<Pending>,
}

impl GroupCommitter {
    pub fn start(pool: PgPool, config: GroupCommitConfig) -> Self {
        let (tx, rx) = mpsc::channel::<Pending>(config.queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..config.committers.max(1) {
            tokio::spawn(committer(pool.clone(), rx.clone(), config));
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
            Ok(Err(e)) => Err(ApiError::Internal(anyhow::anyhow!("group commit failed: {e}"))),
            Err(_) => Err(ApiError::Internal(anyhow::anyhow!("group committer dropped a request"))),
        }
    }
}

async fn committer(pool: PgPool, rx: Arc<Mutex<mpsc::Receiver<Pending>>>, config: GroupCommitConfig) {
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
        match store::commit(&pool, jobs).await {
            Ok(acks) => {
                for (reply, acks) in replies.into_iter().zip(acks) {
                    let _ = reply.send(Ok(acks));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, requests = replies.len(), "group commit failed");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

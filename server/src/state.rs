//! What every handler shares (`AppState`), built once at start-up.

use std::sync::Arc;

use axum::extract::FromRef;
use sqlx::PgPool;

use crate::config::ServeConfig;
use crate::http::in_flight::InFlight;
use crate::http::sign_in_limits::{self, AdminLimits, FailureLimit, RespondentLimits};
use crate::ingest::activity::{self, Activity};
use crate::ingest::group_commit::{self, GroupCommitConfig, GroupCommitter, Writer};
use crate::metrics::Metrics;
use crate::respondent::surveys::SurveyStore;
use crate::respondent::token::TokenKeys;

/// What every handler shares. One `Arc`: axum clones the state for every middleware and extractor that asks for it,
/// several times per request, and a struct of a dozen `Arc`s cost a dozen contended atomic increments (and as many
/// decrements) each time — measured at about 9 % of the server's CPU on one-save requests (perf, docs/benchmarks.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub pool: PgPool,
    /// Dashboard and export reads: the primary, or a replica (`QUIRE_READ_DATABASE_URL`).
    pub read_pool: PgPool,
    pub config: Arc<ServeConfig>,
    pub tokens: TokenKeys,
    pub surveys: Arc<SurveyStore>,
    pub metrics: Arc<Metrics>,
    /// Writes saves so that one bad save fails no other (`ingest::group_commit::Writer`); its health feeds `/readyz`.
    pub writer: Writer,
    /// `None` when group commit is off: each request commits on its own through `writer`.
    pub committer: Option<GroupCommitter>,
    /// Admission control for sync requests (`QUIRE_MAX_SYNC_IN_FLIGHT`).
    pub sync_permits: Arc<tokio::sync::Semaphore>,
    /// The sync body budget, one permit per byte (`max_sync_bytes_in_flight`, at most 2 GiB).
    pub sync_bytes: Arc<tokio::sync::Semaphore>,
    /// Sync requests in flight per respondent (`QUIRE_SYNC_PER_RESPONDENT` at most).
    pub sync_by_respondent: InFlight<uuid::Uuid>,
    pub respondent_limits: Arc<RespondentLimits>,
    pub admin_limits: Arc<AdminLimits>,
    /// Failed admin API token authentications per client address.
    pub api_token_limits: Arc<FailureLimit>,
    /// Administrator password checks running at once (`QUIRE_ADMIN_SIGN_IN_CONCURRENCY`).
    pub argon2: Arc<tokio::sync::Semaphore>,
    /// Respondents seen since the last write of the dashboard's last-activity times.
    pub activity: Arc<Activity>,
}

impl AppState {
    /// Builds the state for a migrated database: survey versions are loaded into memory here, once.
    pub async fn new(pool: PgPool, config: ServeConfig) -> anyhow::Result<Self> {
        Self::with_commit(pool, config, group_commit::store_commit()).await
    }

    /// The same, with saves written by `commit` instead of `ingest::store::commit` (fault injection in tests).
    pub async fn with_commit(
        pool: PgPool,
        config: ServeConfig,
        commit: group_commit::CommitFn,
    ) -> anyhow::Result<Self> {
        config.check()?;
        let read_pool = match &config.read_database_url {
            // Lazy: a replica out of reach when the node starts (none up yet behind HAProxy's read port, or a
            // connection cut as its checks settle) must not stop a node whose ingest needs only the primary.
            Some(url) => crate::db::options(config.read_max_connections).connect_lazy(url.expose())?,
            None => pool.clone(),
        };
        let activity = Arc::new(Activity::default());
        activity.clone().spawn_flusher(pool.clone(), activity::FLUSH_EVERY);
        sign_in_limits::spawn_sweeper(pool.clone(), sign_in_limits::SWEEP_EVERY);
        let metrics = Arc::new(Metrics::default());
        let writer = Writer::new(pool.clone(), commit, metrics.clone());
        let committer = config
            .group_commit
            .then(|| GroupCommitter::start(writer.clone(), GroupCommitConfig::from(&config), metrics.clone()));
        Ok(AppState(Arc::new(Shared {
            writer,
            committer,
            sync_permits: Arc::new(tokio::sync::Semaphore::new(config.max_sync_in_flight.max(1))),
            sync_bytes: Arc::new(tokio::sync::Semaphore::new(config.max_sync_bytes_in_flight.max(1))),
            sync_by_respondent: Default::default(),
            tokens: TokenKeys::new(&config.token_secret, config.token_ttl_hours),
            surveys: Arc::new(SurveyStore::preload(&pool).await?),
            metrics,
            respondent_limits: Arc::new(RespondentLimits::new(
                config.login_per_minute,
                config.login_failures_per_minute,
            )),
            admin_limits: Arc::default(),
            api_token_limits: Arc::new(FailureLimit::api_tokens()),
            argon2: Arc::new(tokio::sync::Semaphore::new(config.admin_sign_in_concurrency.max(1))),
            activity,
            read_pool,
            config: Arc::new(config),
            pool,
        })))
    }
}

/// `/metrics` and the request counter need the metrics alone.
impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

/// Extractors that need only the settings (the client address) do not depend on the whole state.
impl FromRef<AppState> for Arc<ServeConfig> {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

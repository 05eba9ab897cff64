//! Quire's server: the ingest API, the respondent app's files, health and metrics.
//!
//! `router` builds the whole HTTP surface from an `AppState`; `launch` serves it until the shutdown future resolves.
//! `main.rs` only reads configuration and calls into here, so tests run the very same server.

pub mod admin;
pub mod cli;
pub mod config;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod respondent;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{DbConfig, ServeConfig};
use crate::http::error::ApiError;
use crate::ingest::group_commit::{GroupCommitter, Writer};
use crate::metrics::Metrics;
use crate::respondent::surveys::SurveyStore;
use crate::respondent::token::TokenKeys;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

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
    pub sync_by_respondent: http::in_flight::InFlight<uuid::Uuid>,
    pub respondent_limits: Arc<http::sign_in_limits::RespondentLimits>,
    pub admin_limits: Arc<http::sign_in_limits::AdminLimits>,
    /// Administrator password checks running at once (`QUIRE_ADMIN_SIGN_IN_CONCURRENCY`).
    pub argon2: Arc<tokio::sync::Semaphore>,
    /// Respondents seen since the last write of the dashboard's last-activity times.
    pub activity: Arc<ingest::activity::Activity>,
}

impl AppState {
    /// Builds the state for a migrated database: survey versions are loaded into memory here, once.
    pub async fn new(pool: PgPool, config: ServeConfig) -> anyhow::Result<Self> {
        Self::with_commit(pool, config, ingest::group_commit::store_commit()).await
    }

    /// The same, with saves written by `commit` instead of `ingest::store::commit` (fault injection in tests).
    pub async fn with_commit(
        pool: PgPool,
        config: ServeConfig,
        commit: ingest::group_commit::CommitFn,
    ) -> anyhow::Result<Self> {
        config.check()?;
        let read_pool = match &config.read_database_url {
            Some(url) => {
                PgPoolOptions::new()
                    .max_connections(config.read_max_connections)
                    .acquire_timeout(std::time::Duration::from_secs(5))
                    .connect(url.expose())
                    .await?
            }
            None => pool.clone(),
        };
        let activity = Arc::new(ingest::activity::Activity::default());
        activity.clone().spawn_flusher(pool.clone(), ingest::activity::FLUSH_EVERY);
        let metrics = Arc::new(Metrics::default());
        let writer = Writer::new(pool.clone(), commit, metrics.clone());
        let committer = config
            .group_commit
            .then(|| GroupCommitter::start(writer.clone(), config.group_commit_config(), metrics.clone()));
        Ok(AppState(Arc::new(Shared {
            writer,
            committer,
            sync_permits: Arc::new(tokio::sync::Semaphore::new(config.max_sync_in_flight.max(1))),
            sync_bytes: Arc::new(tokio::sync::Semaphore::new(config.max_sync_bytes_in_flight.max(1))),
            sync_by_respondent: Default::default(),
            tokens: TokenKeys::new(&config.token_secret, config.token_ttl_hours),
            surveys: Arc::new(SurveyStore::preload(&pool).await?),
            metrics,
            respondent_limits: Arc::new(http::sign_in_limits::RespondentLimits::new(
                config.login_per_minute,
                config.login_failures_per_minute,
            )),
            admin_limits: Arc::default(),
            argon2: Arc::new(tokio::sync::Semaphore::new(config.admin_sign_in_concurrency.max(1))),
            activity,
            read_pool,
            config: Arc::new(config),
            pool,
        })))
    }
}

pub async fn connect(db: &DbConfig) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(db.db_max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(db.database_url.expose())
        .await?;
    Ok(pool)
}

pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/api/v1/login", post(respondent::login::login))
        .route(
            "/api/v1/sync",
            // `route_layer`: admission runs for a POST only; any other method gets its 405 untouched.
            post(ingest::sync).route_layer(axum::middleware::from_fn_with_state(state.clone(), ingest::admit)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::handler))
        .route("/api/{*rest}", axum::routing::any(api_not_found));
    if state.config.bench_endpoints {
        api = api.route("/api/v1/bench/noop", post(ingest::noop));
    }
    // Nothing the API or the admin answers may be kept by a browser or a proxy: tokens, answers, rosters, exports.
    let no_store = || {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        )
    };
    let api = api.route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track)).layer(no_store());
    api.merge(admin::router().layer(no_store()))
        .merge(http::assets::router(&state.config.dist_dir, &state.config.static_dir))
        .layer(axum::middleware::from_fn(http::error::json_errors))
        .layer(axum::middleware::from_fn(http::error::refuse_nul_in_uri))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// 503 while the database cannot be reached or ingest cannot commit (no committer running, or the last write failed
/// for want of a database), so a load balancer stops sending traffic here.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if let Err(why) = state.writer.health.check(state.committer.is_some()) {
        tracing::warn!(why, "not ready");
        return Err(ApiError::Unavailable(why));
    }
    match sqlx::query("select 1").execute(&state.pool).await {
        Ok(_) => Ok("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            Err(ApiError::Unavailable("the database cannot be reached"))
        }
    }
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint")
}

/// Serves until `shutdown` resolves, then finishes the requests in flight (so every acknowledged save is committed).
pub async fn launch(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let header_timeout = state.config.header_timeout();
    http::serve::serve(listener, router(state), header_timeout, shutdown).await?;
    Ok(())
}

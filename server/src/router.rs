//! The whole HTTP surface: every route, the layers around them, and `launch`, which serves it until shutdown.

use std::future::Future;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::http::error::ApiError;
use crate::state::AppState;
use crate::{admin, api, http, ingest, metrics, respondent};

pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/api/v1/login", post(respondent::login::login))
        .route(
            "/api/v1/sync",
            // `route_layer`: admission runs for a POST only; any other method gets its 405 untouched.
            post(ingest::sync::sync)
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), ingest::sync::admit)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::handler))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        // The admin API (`/api/admin/…`, bearer tokens, its OpenAPI document): its routes are all in `api`.
        .merge(api::router());
    if state.config.bench_endpoints {
        api = api.route("/api/v1/bench/noop", post(ingest::sync::noop));
    }
    // Nothing the API or the admin answers may be kept by a browser or a proxy: tokens, answers, rosters, exports.
    let no_store = || {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        )
    };
    let api =
        api.route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track)).layer(no_store());
    api.merge(admin::router().layer(no_store()))
        .merge(http::assets::router(&state))
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

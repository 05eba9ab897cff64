//! The respondent app and `static/`, with cache headers a CDN can act on: content-hashed files are immutable for a
//! year, everything else (above all `index.html`) is revalidated on every use. Precompressed `.br`/`.gz` siblings
//! are served when the browser accepts them.

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::http::error::ApiError;
use crate::respondent::surveys;
use crate::state::AppState;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

/// A file name carries a content hash when one of its dot/dash/underscore-separated parts is 16+ hex digits:
/// trunk's `client-1a2b…_bg.wasm`, a published survey's `3f9c….json`.
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.split(['.', '-', '_']).any(|part| part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_content_hashed(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let value = if hashed { IMMUTABLE } else { REVALIDATE };
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(value));
        // One URL answers brotli, gzip or plain: a cache must key on what the browser accepts.
        response.headers_mut().insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Routes for `/static/*` and the app itself; unknown app paths get `index.html` (client-side routing). A published
/// survey missing from this node's `static/` (another node published it) is served from the database.
pub fn router(state: &AppState) -> Router<AppState> {
    let (dist_dir, static_dir) = (&state.config.dist_dir, &state.config.static_dir);
    let from_database = axum::routing::get(published_survey).with_state(state.clone());
    let static_files = ServeDir::new(static_dir).precompressed_br().precompressed_gzip().fallback(from_database);
    let index = ServeFile::new(dist_dir.join("index.html")).precompressed_br().precompressed_gzip();
    let app = ServeDir::new(dist_dir).precompressed_br().precompressed_gzip().fallback(axum::routing::any(
        move |req: Request| {
            let index = index.clone();
            async move {
                // A hashed file this node lacks (another release's, mid-upgrade) is missing, not a route of the
                // app: index.html under its name would be kept by a CDN for a year.
                if is_content_hashed(req.uri().path()) {
                    return StatusCode::NOT_FOUND.into_response();
                }
                index.oneshot(req).await.map(IntoResponse::into_response).unwrap_or_else(|e| match e {})
            }
        },
    ));
    Router::new()
        .nest_service("/static", static_files)
        .fallback_service(app)
        .layer(axum::middleware::from_fn(cache_headers))
}

/// `/static/surveys/<version>.json` from the database, and written to this node's folder for next time (in the
/// background: compressing a large survey takes a while, and the reader need not wait for it).
async fn published_survey(State(state): State<AppState>, uri: Uri) -> Response {
    let version = uri.path().strip_prefix("/surveys/").and_then(|name| name.strip_suffix(".json"));
    let Some(version) = version.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let json = match surveys::published_json(&state.pool, version).await {
        Ok(Some(json)) => json,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (version, copy, dir) = (version.to_owned(), json.clone(), state.config.static_dir.clone());
    tokio::task::spawn_blocking(move || {
        if let Err(e) = surveys::write_published(&version, &copy, &dir) {
            tracing::warn!(error = %e, "could not keep a copy of a published survey");
        }
    });
    ([(CONTENT_TYPE, "application/json")], json).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_hashed_names() {
        assert!(is_content_hashed("/client-5d2b6a1c9e8f7a6b_bg.wasm"));
        assert!(is_content_hashed("/static/surveys/0123456789abcdef0123456789abcdef.json"));
        assert!(!is_content_hashed("/index.html"));
        assert!(!is_content_hashed("/"));
        assert!(!is_content_hashed("/static/logo-v2.png"));
    }
}

//! The respondent app and `static/`, with cache headers a CDN can act on: content-hashed files are immutable for a
//! year, everything else (above all `index.html`) is revalidated on every use. Precompressed `.br`/`.gz` siblings
//! are served when the browser accepts them.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

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
    }
    response
}

/// Routes for `/static/*` and the app itself; unknown app paths get `index.html` (client-side routing).
pub fn router(dist_dir: &Path, static_dir: &Path) -> Router<AppState> {
    let static_files = ServeDir::new(static_dir).precompressed_br().precompressed_gzip();
    let app = ServeDir::new(dist_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(ServeFile::new(dist_dir.join("index.html")).precompressed_br().precompressed_gzip());
    Router::new()
        .nest_service("/static", static_files)
        .fallback_service(app)
        .layer(axum::middleware::from_fn(cache_headers))
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

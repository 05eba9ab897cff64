//! The administrators' side: sign-in and roles (`auth`), surveys, rosters and access codes, the completion
//! dashboard, exports and the audit log. Everything lives under /admin; pages are server-rendered (`html`).

pub mod audit;
pub mod auth;
pub mod csv_stream;
pub mod dashboard;
pub mod export;
pub mod html;
pub mod rosters;
pub mod surveys;

use axum::extract::DefaultBodyLimit;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use time::OffsetDateTime;

use crate::http::error::ApiError;
use crate::state::AppState;

/// Largest roster upload: a state-wide roster of two million lines is about 80 MB; one district's is far less.
pub const MAX_ROSTER_BYTES: usize = 128 * 1024 * 1024;
/// Largest survey file: the 60-page example in two languages is 150 KB.
pub const MAX_SURVEY_BYTES: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(surveys::home))
        .route("/admin/login", get(auth::login_page).post(auth::login))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/assets/admin.js", get(|| async { asset("text/javascript; charset=utf-8", html::ADMIN_JS) }))
        .route("/admin/assets/admin.css", get(|| async { asset("text/css; charset=utf-8", html::ADMIN_CSS) }))
        // Uploads read their bodies with `read_body` and their own limits; everything else keeps axum's 2 MB.
        .route("/admin/surveys", post(surveys::upload).layer(DefaultBodyLimit::disable()))
        .route("/admin/surveys/{id}", get(surveys::show))
        .route("/admin/surveys/{id}/versions/{version}/publish", post(surveys::publish))
        .route("/admin/surveys/{id}/versions/{version}/preview", get(surveys::preview))
        .route("/admin/surveys/{id}/roster", post(rosters::upload).layer(DefaultBodyLimit::disable()))
        .route("/admin/surveys/{id}/codes.csv", get(rosters::codes_csv))
        .route("/admin/surveys/{id}/codes/print", get(rosters::print))
        .route("/admin/surveys/{id}/dashboard", get(dashboard::page))
        .route("/admin/surveys/{id}/progress", get(dashboard::progress))
        .route("/admin/surveys/{id}/export.csv", get(export::answers))
        .route("/admin/surveys/{id}/codebook.csv", get(export::codebook))
        .route("/admin/surveys/{id}/quarantine.csv", get(export::quarantine))
        .route("/admin/audit", get(audit::page))
        .route("/admin/{*rest}", axum::routing::any(|| async { ApiError::NotFound("no such admin page") }))
}

/// Longest an upload may take to arrive: a 128 MiB roster over a slow school line. Uploads are read only after the
/// administrator's session and CSRF token have been checked, so a stranger cannot hold one open.
const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Reads an upload up to `limit` bytes; beyond, a JSON 413 (axum's own rejection would be plain text).
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    crate::http::body::read(body, limit, UPLOAD_DEADLINE).await.map_err(|e| match e {
        ApiError::PayloadTooLarge { .. } => ApiError::PayloadTooLarge {
            message: format!("the file is larger than {} MiB", limit / (1024 * 1024)),
            field: Some("file".into()),
        },
        other => other,
    })
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")], body)
}

/// `2026-11-22 14:03:07` (UTC), or empty.
pub fn fmt_time(t: Option<OffsetDateTime>) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok()).unwrap_or_default()
}

fn require_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with(expected) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "unsupported_media_type",
            format!("send the file as {expected} (got `{ct}`)"),
            Some("Content-Type".into()),
        ))
    }
}

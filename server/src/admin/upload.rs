//! Reading admin uploads (survey files and rosters): their size limits, their deadline and their content type.

use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;

use crate::http::error::ApiError;

/// Largest roster upload: a state-wide roster of two million lines is about 80 MB; one district's is far less.
pub const MAX_ROSTER_BYTES: usize = 128 * 1024 * 1024;
/// Largest survey file: the 60-page example in two languages is 150 KB.
pub const MAX_SURVEY_BYTES: usize = 8 * 1024 * 1024;

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

pub fn require_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
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

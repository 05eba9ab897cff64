//! The one error type of the HTTP layer.
//!
//! Policy: a client mistake is a 4xx whose JSON body names the problem (and the field, where there is one); a
//! database or unexpected failure is logged and becomes a 500 that leaks nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use quire_shared::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String, field: Option<String> },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// A state-changing admin request without its session's CSRF token.
    #[error("missing or wrong CSRF token; reload the page and try again")]
    Csrf,
    /// An upload with problems: `errors` lists every one (JSON path or line, and message); nothing was applied.
    #[error("{message}")]
    Invalid { code: &'static str, message: String, field: Option<String>, errors: serde_json::Value },
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{message}")]
    PayloadTooLarge { message: String, field: Option<String> },
    #[error("{0}")]
    Unavailable(&'static str),
    /// Back-pressure: answered with `Retry-After`.
    #[error("{0}")]
    Overloaded(&'static str),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A limit on attempts: answered 429 with `Retry-After` (seconds, at least 1).
    #[error("{message}")]
    TooManyRequests { message: &'static str, retry_after: std::time::Duration },
    /// The body did not arrive within the deadline.
    #[error("the request body did not arrive within {0} seconds")]
    BodyTimeout(u64),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>, field: Option<String>) -> Self {
        ApiError::BadRequest { code, message: message.into(), field }
    }

    /// 429 with how long to wait (`Retry-After`).
    pub fn too_many_requests(message: &'static str, retry_after: std::time::Duration) -> Self {
        ApiError::TooManyRequests { message, retry_after }
    }

    /// A database error, direct or under `anyhow`, that `db::unavailable` says will pass.
    fn database_unavailable(&self) -> bool {
        match self {
            ApiError::Database(e) => crate::db::unavailable(e),
            ApiError::Internal(e) => e.downcast_ref::<sqlx::Error>().is_some_and(crate::db::unavailable),
            _ => false,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Overloaded(_) => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::Database(_) | ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // No connection free within the pool's acquire timeout, or the database out of reach or failing over: ask the
        // client to come back (sign-in, the dashboard, anything that reads or writes outside ingest).
        let err = match self {
            ApiError::Database(sqlx::Error::PoolTimedOut) => ApiError::Overloaded("the server is busy; retry shortly"),
            other if other.database_unavailable() => {
                tracing::warn!(error = %other, "the database is unavailable");
                ApiError::Unavailable("the database is unavailable for a moment; retry shortly")
            }
            other => other,
        };
        let (status, code) = err.status_and_code();
        let (message, field) = match &err {
            ApiError::Database(e) => {
                tracing::error!(error = %e, "database error");
                ("internal error".to_owned(), None)
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ("internal error".to_owned(), None)
            }
            ApiError::BadRequest { field, .. }
            | ApiError::PayloadTooLarge { field, .. }
            | ApiError::Invalid { field, .. } => (err.to_string(), field.clone()),
            ApiError::Csrf => (err.to_string(), Some("X-CSRF-Token".to_owned())),
            _ => (err.to_string(), None),
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, field } };
        let retry_after = match &err {
            ApiError::TooManyRequests { retry_after, .. } => Some(retry_after.as_secs_f64().ceil().max(1.0) as u64),
            _ => None,
        };
        let mut response = match err {
            ApiError::Invalid { errors, .. } => {
                (status, Json(serde_json::json!({"error": body.error, "errors": errors}))).into_response()
            }
            _ => (status, Json(body)).into_response(),
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

/// Middleware: a request whose path or query carries U+0000 (`%00`) is refused before routing. No name, id or
/// filter Quire knows holds one, and PostgreSQL cannot store or compare it, so it could only end in a 500.
pub async fn refuse_nul_in_uri(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let has_nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    let uri = req.uri();
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let field = if has_nul(uri.path()) { "path" } else { "query" };
        return ApiError::bad_request("invalid_uri", "the address contains the character U+0000", Some(field.into()))
            .into_response();
    }
    next.run(req).await
}

/// Middleware: errors that axum and tower-http answer by themselves — 405 for a method a route does not take, 400
/// for a path or query that does not decode, 413 from a body limit — come out in Quire's JSON shape like every
/// error of ours, with their headers (`Allow`, `Retry-After`) kept. HTML pages (the admin's) and JSON pass as they
/// are; successes are not touched.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if content_type.is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html")) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::REQUEST_TIMEOUT => "body_timeout",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() || text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, field: None } };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    let json = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(json))
}

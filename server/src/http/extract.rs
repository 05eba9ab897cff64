//! Request extractors with Quire's error policy: a bad body is a 400/413/415 with a JSON error that names the field,
//! never axum's plain-text rejection.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::respondent::token::Claims;
use crate::state::AppState;

/// A JSON body, read up to `max_body_bytes` and parsed with the path of the first bad field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let bytes =
            crate::http::body::read(req.into_body(), state.config.max_body_bytes, state.config.body_timeout()).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A body sent with a `Content-Type` must say JSON (one sent without is read as JSON).
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    match headers.get(CONTENT_TYPE) {
        Some(ct) if !ct.to_str().unwrap_or("").starts_with("application/json") => Err(ApiError::UnsupportedMediaType),
        _ => Ok(()),
    }
}

/// Parses JSON; a syntax error says where, a wrong field says which. The path of a wrong field costs an allocation
/// per key (serde_path_to_error), so it is traced only for a body that failed plain parsing: every good body is parsed
/// once, without it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"), None)
        } else {
            let field = (path != ".").then_some(path);
            ApiError::bad_request("invalid_field", inner.to_string(), field)
        }
    })?;
    // Only whitespace may follow the value: a body with anything after it is not the JSON the client meant.
    de.end().map_err(|e| ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"), None))?;
    Ok(value)
}

/// The respondent a bearer token was signed for. Checked by signature alone: no database lookup.
pub struct Respondent(pub Claims);

impl FromRequestParts<AppState> for Respondent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already checked by the sync route's admission (`ingest::sync::admit`), which verifies before reading the body.
        if let Some(claims) = parts.extensions.remove::<Claims>() {
            return Ok(Respondent(claims));
        }
        bearer_claims(&parts.headers, state).map(Respondent)
    }
}

/// The claims of the request's bearer token, or 401.
pub fn bearer_claims(headers: &axum::http::HeaderMap, state: &AppState) -> Result<Claims, ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or(ApiError::Unauthorized("missing bearer token"))?;
    let token = header.strip_prefix("Bearer ").ok_or(ApiError::Unauthorized("missing bearer token"))?;
    state.tokens.verify(token.trim())
}

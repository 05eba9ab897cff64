//! The CSRF check for admin changes: the session's token must come back in `X-CSRF-Token`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::session::{Admin, AuthRejection};
use crate::http::error::ApiError;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// An administrator making a change: the request must carry the session's CSRF token in `X-CSRF-Token`. A form on
/// another site cannot set that header, and a script there cannot read the token.
pub struct AdminWrite(pub Admin);

impl FromRequestParts<AppState> for AdminWrite {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let admin = Admin::from_request_parts(parts, state).await?;
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        // Constant time (`subtle`): how long the comparison takes says nothing about how much of the token matched.
        if !bool::from(sent.as_bytes().ct_eq(admin.csrf.as_bytes())) {
            return Err(AuthRejection::Api(ApiError::Csrf));
        }
        Ok(AdminWrite(admin))
    }
}

//! Who an admin API request is: `Authorization: Bearer qat_…`, looked up by its SHA-256 in `api_tokens`, becomes the
//! `Admin` that owns the token, so every check the admin pages make (a coordinator's school and surveys, what only an
//! administrator may do) holds for the API unchanged. On top of that the token's own scope: read-only tokens are
//! refused by `ApiWrite`, and a token of one survey is refused any path naming another (`{survey_id}`) here, before
//! the handler runs; handlers that take a survey from a body check `ApiAdmin::require_survey`.
//!
//! No cookie and so no CSRF: a browser never sends a bearer token on its own. Failures (missing, malformed, unknown,
//! revoked, expired) are counted per client address (`sign_in_limits::FailureLimit`, as wrong access codes are):
//! past the allowance, 429.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::admin::api_tokens::TOKEN_PREFIX;
use crate::admin::auth::Role;
use crate::admin::session::{token_hash, Admin};
use crate::http::error::ApiError;
use crate::http::sign_in_limits::{bucket_ahead, ClientIp};
use crate::state::AppState;

/// A request with a valid admin API token: its owner, and what the token itself allows.
#[derive(Debug, Clone)]
pub struct ApiAdmin {
    /// The owner, with `token` set (the audit log names it).
    pub admin: Admin,
    pub read_only: bool,
    /// The one survey the token may touch, or all its owner may.
    pub survey_id: Option<String>,
}

/// An admin API request that changes something: a read-only token gets 403.
pub struct ApiWrite(pub ApiAdmin);

impl ApiAdmin {
    /// Refuses a survey outside the token's scope, or outside its owner's (a coordinator's grants).
    pub fn require_survey(&self, survey_id: &str) -> Result<(), ApiError> {
        if self.survey_id.as_deref().is_some_and(|own| own != survey_id) {
            return Err(ApiError::Forbidden("this API token is for another survey"));
        }
        self.admin.require_survey(survey_id)
    }
}

type Row = (
    f64,
    Option<Uuid>,
    Option<bool>,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<String>>,
);

/// The token and its owner, and how far the address's failure bucket is ahead, in one statement.
const LOOKUP_SQL: &str = concat!(
    "select ",
    bucket_ahead!("$2"),
    ", t.id, t.read_only, t.survey_id, t.expires_at <= now(), t.revoked_at is not null, a.id, a.email, a.role, a.school,
       case when a.id is not null then
           array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1) end
     from (select 1) one
     left join api_tokens t on t.token_hash = $1
     left join admins a on a.id = t.admin_id"
);

fn bearer(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = header.strip_prefix("Bearer ")?.trim();
    (token.starts_with(TOKEN_PREFIX) && token.len() < 200).then_some(token)
}

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let limits = &state.api_token_limits;
        limits.precheck(ip)?;
        // A malformed or missing token is looked up as the empty string: it matches nothing, and the address's
        // failures are read and counted the same way.
        let token = bearer(parts);
        let row: Row = sqlx::query_as(LOOKUP_SQL)
            .bind(token_hash(token.unwrap_or("")))
            .bind(limits.key(ip))
            .fetch_one(&state.pool)
            .await?;
        let (ahead, id, read_only, survey_id, expires, revoked, owner, email, role, school, surveys) = row;
        limits.check(ip, ahead)?;
        let refused = match (token, id, revoked, expires, owner) {
            (None, ..) => Some("send an admin API token: Authorization: Bearer qat_…"),
            (_, None, ..) | (.., None) => Some("this API token is not known"),
            (_, _, Some(true), ..) => Some("this API token has been revoked"),
            (_, _, _, Some(true), _) => Some("this API token has expired"),
            _ => None,
        };
        if let Some(why) = refused {
            limits.failed(&state.pool, ip).await;
            return Err(ApiError::Unauthorized(why));
        }
        let (Some(id), Some(owner), Some(email), Some(role)) = (id, owner, email, role) else {
            return Err(ApiError::Unauthorized("this API token is not known"));
        };
        let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("bad role {role}"))?;
        let admin = Admin {
            id: owner,
            email,
            role,
            school,
            surveys: surveys.unwrap_or_default(),
            csrf: String::new(),
            token: Some(id),
        };
        let api = ApiAdmin { admin, read_only: read_only.unwrap_or(true), survey_id };
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await {
            if let Some((_, survey)) = params.iter().find(|(name, _)| *name == "survey_id") {
                api.require_survey(survey)?;
            }
        }
        touch(state, id).await;
        Ok(api)
    }
}

/// Notes when a token was last used (at most once a minute each: a script's burst writes one row).
async fn touch(state: &AppState, id: Uuid) {
    let result = sqlx::query(
        "update api_tokens set last_used_at = now()
         where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
    )
    .bind(id)
    .execute(&state.pool)
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "could not note an API token's use");
    }
}

impl FromRequestParts<AppState> for ApiWrite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let api = ApiAdmin::from_request_parts(parts, state).await?;
        if api.read_only {
            return Err(ApiError::Forbidden("this API token is read-only"));
        }
        Ok(ApiWrite(api))
    }
}

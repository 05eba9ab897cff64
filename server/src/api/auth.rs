//! Who an admin API request is: `Authorization: Bearer qat_…`, looked up by its SHA-256 in `api_tokens`, becomes the
//! `Admin` that owns the token, so every check the admin pages make (a coordinator's school and surveys, what only an
//! administrator may do) holds for the API unchanged. On top of that the token's own scope: read-only tokens are
//! refused by `ApiWrite`, and a token of one survey is refused any path naming another (`{survey_id}`) here, before
//! the handler runs; handlers that take a survey from a body check `ApiAdmin::require_survey`.
//!
//! No cookie and so no CSRF: a browser never sends a bearer token on its own. Failures (missing, malformed, unknown,
//! revoked, expired) are counted per client address (`sign_in_limits::FailureLimit`, as wrong access codes are):
//! past the allowance, 429. A presented token that fails is audited (`api_token_failed`, with why: unknown, revoked,
//! expired, its owner disabled), and a burst of 429s once (`api_token_throttled`).

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::admin::api_tokens::TOKEN_PREFIX;
use crate::admin::audit;
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
    Option<bool>,
);

/// The token and its owner, and how far the address's failure bucket is ahead, in one statement.
const LOOKUP_SQL: &str = concat!(
    "select ",
    bucket_ahead!("$2"),
    ", t.id, t.read_only, t.survey_id, t.expires_at <= now(), t.revoked_at is not null, a.id, a.email, a.role, a.school,
       case when a.id is not null then
           array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1) end,
       a.disabled_at is not null
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
        limits.precheck(ip).inspect_err(|_| throttled(state, ip))?;
        // A malformed or missing token is looked up as the empty string: it matches nothing, and the address's
        // failures are read and counted the same way.
        let token = bearer(parts);
        let row: Row = sqlx::query_as(LOOKUP_SQL)
            .bind(token_hash(token.unwrap_or("")))
            .bind(limits.key(ip))
            .fetch_one(&state.pool)
            .await?;
        let (ahead, id, read_only, survey_id, expires, revoked, owner, email, role, school, surveys, disabled) = row;
        limits.check(ip, ahead).inspect_err(|_| throttled(state, ip))?;
        let refused = match (token, id, revoked, expires, owner, disabled) {
            (None, ..) => Some(("missing", "send an admin API token: Authorization: Bearer qat_…")),
            (_, None, ..) | (_, _, _, _, None, _) => Some(("unknown", "this API token is not known")),
            (_, _, Some(true), ..) => Some(("revoked", "this API token has been revoked")),
            (_, _, _, Some(true), ..) => Some(("expired", "this API token has expired")),
            (.., Some(true)) => Some(("disabled", "the account that owns this API token is disabled")),
            _ => None,
        };
        if let Some((reason, why)) = refused {
            limits.failed(&state.pool, ip).await;
            // A request without a token is no use of one; a token of Quire's form that fails is audited.
            if token.is_some() {
                let detail = serde_json::json!({"client": ip.to_string(), "reason": reason, "api_token": id});
                let who = email.as_deref().unwrap_or("unknown API token");
                audit_failure(state, who, "api_token_failed", detail).await;
            }
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

/// A refused token in the audit log (never the token itself). Bounded by the failure limit: what it lets through is
/// a row each; what it turns away is one `api_token_throttled` row per address and burst (`throttled`).
async fn audit_failure(state: &AppState, who: &str, action: &str, detail: serde_json::Value) {
    if let Err(e) = audit::record_anonymous(&state.pool, who, action, detail).await {
        tracing::warn!(error = %e, "could not audit a failed API token");
    }
}

/// A 429 for failed tokens: the first of a burst from `ip` is summed up in the audit log, off the request's path.
fn throttled(state: &AppState, ip: std::net::IpAddr) {
    if state.api_token_limits.new_burst(ip) {
        let state = state.clone();
        tokio::spawn(async move {
            let detail = serde_json::json!({"client": ip.to_string(), "reason": "rate_limited"});
            audit_failure(&state, "unknown API token", "api_token_throttled", detail).await;
        });
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

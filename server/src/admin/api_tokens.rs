//! Admin API tokens (`api_tokens`): creating one (its secret is returned once and only its SHA-256 is stored, like a
//! session's), listing them, and revoking one. Each creation and revocation is written to the audit log. The page
//! that does this is `tokens`; the `quire create-token` command calls the same `create`; `api::auth` checks them.

use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit;
use super::auth::Role;
use super::session::{random_token, token_hash, Admin};
use crate::http::error::ApiError;

/// Every token starts so: a leaked one is recognisable in a log or a repository, and anything else is refused
/// without a lookup's worth of doubt.
pub const TOKEN_PREFIX: &str = "qat_";

/// Longest lifetime a token may be given (ten years); without one it lasts until revoked.
pub const MAX_DAYS: u32 = 3650;

/// What a new token is to be.
#[derive(Debug, Clone, Deserialize)]
pub struct NewToken {
    /// The account the token acts as (an administrator or a coordinator).
    pub owner: String,
    /// What it is for ("nightly export"): shown in the list and the audit log.
    pub name: String,
    /// Reads only (the default of the page): downloads, lists, progress, validation.
    #[serde(default)]
    pub read_only: bool,
    /// The one survey it may touch; empty or absent: every survey its owner may.
    #[serde(default)]
    pub survey_id: Option<String>,
    /// Days until it expires; absent: never (until revoked).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A token just made: the secret is in `token`, and nowhere else after this.
#[derive(Debug)]
pub struct Created {
    pub id: Uuid,
    pub token: String,
    pub expires_at: Option<OffsetDateTime>,
}

/// A token as listed (never its secret).
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub owner: String,
    pub read_only: bool,
    pub survey_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

fn field(message: &'static str, field: &str) -> ApiError {
    ApiError::bad_request("invalid_field", message, Some(field.into()))
}

/// The checks a new token must pass: a name, a lifetime within bounds, an owner who is the maker or a coordinator
/// (another administrator makes their own), and a survey its owner may act on.
async fn check(pool: &PgPool, by: &Admin, new: &NewToken) -> Result<(Uuid, Option<String>), ApiError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
        return Err(field("give the token a name of 1 to 200 characters", "name"));
    }
    if new.expires_in_days.is_some_and(|d| d == 0 || d > MAX_DAYS) {
        return Err(field("a token expires after 1 to 3650 days (or never)", "expires_in_days"));
    }
    let owner = new.owner.trim();
    let Some(owner) = admin_by_email(pool, owner).await? else {
        return Err(field("no administrator or coordinator has this email address", "owner"));
    };
    if owner.role == Role::Administrator && owner.id != by.id {
        return Err(field("another administrator makes their own tokens", "owner"));
    }
    let survey = new.survey_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(survey) = &survey {
        let known: Option<(String,)> = sqlx::query_as("select survey_id from surveys where survey_id = $1")
            .bind(survey)
            .fetch_optional(pool)
            .await?;
        if known.is_none() {
            return Err(field("no such survey", "survey_id"));
        }
        if owner.require_survey(survey).is_err() {
            return Err(field("the owner is a coordinator who was not granted this survey", "survey_id"));
        }
    }
    Ok((owner.id, survey))
}

/// Makes a token for `new.owner`, recorded in the audit log as made by `by`. The secret is returned once.
pub async fn create(pool: &PgPool, by: &Admin, new: &NewToken) -> Result<Created, ApiError> {
    let (owner_id, survey) = check(pool, by, new).await?;
    let id = Uuid::new_v4();
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let (expires_at,): (Option<OffsetDateTime>,) = sqlx::query_as(
        "insert into api_tokens (id, token_hash, admin_id, name, read_only, survey_id, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8::int))
         returning expires_at",
    )
    .bind(id)
    .bind(token_hash(&token))
    .bind(owner_id)
    .bind(new.name.trim())
    .bind(new.read_only)
    .bind(&survey)
    .bind(by.id)
    .bind(new.expires_in_days.map(|d| d as i32))
    .fetch_one(pool)
    .await?;
    let detail = serde_json::json!({
        "id": id, "owner": new.owner.trim().to_lowercase(), "name": new.name.trim(), "read_only": new.read_only,
        "expires_at": expires_at.map(|t| t.unix_timestamp()),
    });
    audit::record(pool, by, "api_token.create", survey.as_deref(), detail).await?;
    Ok(Created { id, token, expires_at })
}

/// Every token, newest first, with its owner's address.
pub async fn list(pool: &PgPool) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(
        "select t.id, t.name, a.email as owner, t.read_only, t.survey_id, t.created_at, t.expires_at, t.revoked_at,
                t.last_used_at
         from api_tokens t join admins a on a.id = t.admin_id
         order by t.created_at desc",
    )
    .fetch_all(pool)
    .await
}

/// Revokes a token at once: its next request is 401. Revoking one twice is 409.
pub async fn revoke(pool: &PgPool, by: &Admin, id: Uuid) -> Result<(), ApiError> {
    let row: Option<(bool, Option<String>, String)> =
        sqlx::query_as("select revoked_at is not null, survey_id, name from api_tokens where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    let Some((revoked, survey, name)) = row else { return Err(ApiError::NotFound("no such API token")) };
    if revoked {
        return Err(ApiError::Conflict("this API token was revoked already"));
    }
    sqlx::query("update api_tokens set revoked_at = now() where id = $1 and revoked_at is null")
        .bind(id)
        .execute(pool)
        .await?;
    audit::record(pool, by, "api_token.revoke", survey.as_deref(), serde_json::json!({"id": id, "name": name})).await?;
    Ok(())
}

/// An account as the `Admin` it signs in as (no session: `csrf` is empty), by its address.
pub async fn admin_by_email(pool: &PgPool, email: &str) -> Result<Option<Admin>, ApiError> {
    type Row = (Uuid, String, String, Option<String>, Vec<String>);
    let row: Option<Row> = sqlx::query_as(
        "select a.id, a.email, a.role, a.school,
                array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1)
         from admins a where a.email = lower($1)",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    let Some((id, email, role, school, surveys)) = row else { return Ok(None) };
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("bad role {role}"))?;
    Ok(Some(Admin { id, email, role, school, surveys, csrf: String::new(), token: None }))
}

//! People and access, and the audit log, for scripts: what `/admin/people` and `/admin/audit` do (`admin::people`,
//! `admin::accounts`, `admin::audit_page`). Administrators' tokens only, and only tokens of every survey: a token
//! scoped to one survey manages no one.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{ApiAdmin, ApiWrite};
use super::schema::ErrorBody;
use crate::admin::accounts;
use crate::admin::audit_filter::AuditFilter;
use crate::admin::audit_page;
use crate::admin::people::{self, Access, NewPerson, Person};
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::state::AppState;

fn require_people(api: &ApiAdmin) -> Result<(), ApiError> {
    api.admin.require_administrator()?;
    if api.survey_id.is_some() {
        return Err(ApiError::Forbidden("a token of one survey cannot manage people or read the audit log"));
    }
    Ok(())
}

fn person_id(id: &str) -> Result<Uuid, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("no such person"))
}

/// A new account and its generated password: shown in this answer only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewPassword {
    pub id: Uuid,
    pub email: String,
    /// Generated; give it to its owner. Only its argon2id hash is kept.
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Done {
    pub message: String,
}

fn done(message: &str) -> Json<Done> {
    Json(Done { message: message.to_owned() })
}

/// Every administrator and coordinator.
#[utoipa::path(get, path = "/api/admin/v1/people", tag = "people", security(("api_token" = [])),
    responses((status = 200, description = "Administrators first, then coordinators by school", body = Vec<Person>)))]
pub async fn list(State(state): State<AppState>, api: ApiAdmin) -> Result<Json<Vec<Person>>, ApiError> {
    require_people(&api)?;
    Ok(Json(people::list(&state.pool).await?))
}

/// Creates an administrator or a coordinator with a generated password (in this answer only).
#[utoipa::path(post, path = "/api/admin/v1/people", tag = "people", security(("api_token" = [])),
    request_body = NewPerson,
    responses(
        (status = 201, description = "Created", body = NewPassword),
        (status = 400, description = "A field that does not fit (`invalid_field`, naming it)", body = ErrorBody),
        (status = 409, description = "An account with this address exists (`conflict`)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    JsonBody(new): JsonBody<NewPerson>,
) -> Result<(StatusCode, Json<NewPassword>), ApiError> {
    require_people(&api)?;
    let made = people::create(&state.pool, &api.admin, &new).await?;
    Ok((StatusCode::CREATED, Json(NewPassword { id: made.id, email: made.email, password: made.password })))
}

/// Disables an account: its sessions end, its sign-ins and API tokens are refused until it is enabled.
#[utoipa::path(post, path = "/api/admin/v1/people/{id}/disable", tag = "people", security(("api_token" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "Disabled", body = Done),
        (status = 404, description = "No such person (`not_found`)", body = ErrorBody),
        (status = 409, description = "Disabled already, yourself, or the last active administrator (`conflict`)",
            body = ErrorBody),
    ))]
pub async fn disable(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path(id): Path<String>,
) -> Result<Json<Done>, ApiError> {
    require_people(&api)?;
    accounts::disable(&state.pool, &api.admin, person_id(&id)?).await?;
    Ok(done("disabled"))
}

/// Enables a disabled account again.
#[utoipa::path(post, path = "/api/admin/v1/people/{id}/enable", tag = "people", security(("api_token" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "Enabled", body = Done),
        (status = 404, description = "No such person (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not disabled (`conflict`)", body = ErrorBody),
    ))]
pub async fn enable(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path(id): Path<String>,
) -> Result<Json<Done>, ApiError> {
    require_people(&api)?;
    accounts::enable(&state.pool, &api.admin, person_id(&id)?).await?;
    Ok(done("enabled"))
}

/// Gives an account a new generated password (in this answer only) and ends its sessions.
#[utoipa::path(post, path = "/api/admin/v1/people/{id}/password", tag = "people", security(("api_token" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The new password", body = NewPassword),
        (status = 404, description = "No such person (`not_found`)", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path(id): Path<String>,
) -> Result<Json<NewPassword>, ApiError> {
    require_people(&api)?;
    let id = person_id(&id)?;
    let (email, password) = accounts::reset_password(&state.pool, &api.admin, id).await?;
    Ok(Json(NewPassword { id, email, password }))
}

/// Sets a coordinator's school and granted surveys (replacing the grants before).
#[utoipa::path(post, path = "/api/admin/v1/people/{id}/access", tag = "people", security(("api_token" = [])),
    params(("id" = String, Path, description = "The person's id")),
    request_body = Access,
    responses(
        (status = 200, description = "Saved", body = Done),
        (status = 400, description = "No school, an unknown survey, or an administrator (`invalid_field`)",
            body = ErrorBody),
        (status = 404, description = "No such person (`not_found`)", body = ErrorBody),
    ))]
pub async fn access(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path(id): Path<String>,
    JsonBody(access): JsonBody<Access>,
) -> Result<Json<Done>, ApiError> {
    require_people(&api)?;
    people::set_access(&state.pool, &api.admin, person_id(&id)?, &access).await?;
    Ok(done("saved"))
}

/// The audit log's filter (every part optional; an empty value is no filter). For the document only: the handlers
/// parse the query themselves (`AuditFilter`), so that a bad value is a 400 naming its field.
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Who acted, or whom a change was to.
    pub email: Option<String>,
    /// One action, e.g. `sign_in_failed`.
    pub action: Option<String>,
    /// First day (UTC, `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Last day (UTC, included).
    pub to: Option<String>,
    /// Entries older than this id (the `older` of the page before).
    pub before: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who acted (for a failed sign-in, the address typed).
    pub who: String,
    pub action: String,
    pub survey_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first, at most 50.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `null` on the last.
    pub older: Option<i64>,
}

/// The audit log, filtered, newest first, 50 at a time.
#[utoipa::path(get, path = "/api/admin/v1/audit", tag = "people", security(("api_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 400, description = "A filter that does not parse (`invalid_filter`, naming it)", body = ErrorBody),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    api: ApiAdmin,
    RawQuery(raw): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    require_people(&api)?;
    let filter = AuditFilter::parse(raw.as_deref())?;
    let (rows, older) = audit_page::read_page(&state.read_pool, &filter).await?;
    let entries = rows
        .into_iter()
        .map(|(id, at, who, action, survey_id, detail)| AuditEntry { id, at, who, action, survey_id, detail })
        .collect();
    Ok(Json(AuditPage { entries, older }))
}

/// Every entry the filter matches, as CSV (`id,when_utc,who,action,survey,detail`).
#[utoipa::path(get, path = "/api/admin/v1/audit.csv", tag = "people", security(("api_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "id,when_utc,who,action,survey,detail", content_type = "text/csv", body = String),
        (status = 400, description = "A filter that does not parse (`invalid_filter`, naming it)", body = ErrorBody),
    ))]
pub async fn audit_csv(
    State(state): State<AppState>,
    api: ApiAdmin,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    require_people(&api)?;
    audit_page::download(&state, &api.admin, AuditFilter::parse(raw.as_deref())?).await
}

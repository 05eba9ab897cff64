//! What the admin API reads out: completion progress (the dashboard's queries), the quarantine of refused saves, and
//! the exports (responses, codebook and the analysis bundle). The work is `admin::dashboard`'s, `admin::quarantine`'s
//! and `admin::analysis`'s.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::auth::ApiAdmin;
use super::schema::ErrorBody;
use crate::admin::analysis::{self, BundleQuery};
use crate::admin::dashboard::{self, By, Progress};
use crate::admin::quarantine::{self, QuarantineCsvQuery, QuarantinedSave};
use crate::admin::rosters::survey_exists;
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// One school (a coordinator's token gets their own whatever is asked).
    pub school: Option<String>,
    /// Rows per school (the default; per class once a school is given), per class, or per role.
    #[param(inline)]
    pub by: Option<By>,
}

/// Completion: respondents, not started, in progress, completed and the last activity, with totals.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/progress", tag = "progress", security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), ProgressQuery),
    responses(
        (status = 200, description = "Progress", body = Progress),
        (status = 400, description = "A query parameter that does not parse (`bad_request`)", body = ErrorBody),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn progress(
    State(state): State<AppState>,
    api: ApiAdmin,
    Path(survey_id): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Result<Json<Progress>, ApiError> {
    let school = api.admin.scope_school(q.school)?;
    survey_exists(&state, &api.admin, &survey_id).await?;
    let by = q.by.unwrap_or(if school.is_some() { By::Class } else { By::School });
    Ok(Json(dashboard::query_by(&state.read_pool, &survey_id, school.as_deref(), by).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// One school's saves.
    pub school: Option<String>,
    /// Only saves with a greater id (the last id of the page before).
    pub after: Option<i64>,
    /// At most this many (1 to 5,000; 500 without it).
    pub limit: Option<i64>,
}

/// Saves the server refused, exactly as sent, with the reasons, oldest first, a page at a time. Administrators only.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/quarantine", tag = "quarantine",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), QuarantineQuery),
    responses(
        (status = 200, description = "A page of quarantined saves", body = Vec<QuarantinedSave>),
        (status = 400, description = "`limit` out of range (`invalid_field`)", body = ErrorBody),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn quarantine(
    State(state): State<AppState>,
    api: ApiAdmin,
    Path(survey_id): Path<String>,
    Query(q): Query<QuarantineQuery>,
) -> Result<Json<Vec<QuarantinedSave>>, ApiError> {
    api.admin.require_administrator()?;
    let limit = q.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_field", "limit is 1 to 5000", Some("limit".into())));
    }
    survey_exists(&state, &api.admin, &survey_id).await?;
    let school = q.school.filter(|s| !s.is_empty());
    let after = q.after.unwrap_or(0);
    Ok(Json(quarantine::quarantine_page(&state.read_pool, &survey_id, school.as_deref(), after, limit).await?))
}

/// The whole quarantine as CSV, streamed. Administrators only.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/quarantine.csv", tag = "quarantine",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), QuarantineCsvQuery),
    responses(
        (status = 200, description = "id,respondent_id,school,class,external_id,received_at,errors,payload",
            content_type = "text/csv", body = String),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn quarantine_csv(
    state: State<AppState>,
    api: ApiAdmin,
    survey_id: Path<String>,
    query: Query<QuarantineCsvQuery>,
) -> Result<Response, ApiError> {
    quarantine::quarantine(state, api.admin, survey_id, query).await
}

/// The responses: the analysis bundle's data.csv (one row per rostered respondent, every version's questions,
/// missing codes). Streamed. Administrators only.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/exports/responses.csv", tag = "exports",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), BundleQuery),
    responses(
        (status = 200, description = "The responses", content_type = "text/csv", body = String),
        (status = 400, description = "A parameter that is not allowed (`invalid_query`, naming it)", body = ErrorBody),
        (status = 404, description = "No such survey, or it has no version (`not_found`)", body = ErrorBody),
    ))]
pub async fn responses(
    state: State<AppState>,
    api: ApiAdmin,
    survey_id: Path<String>,
    query: Query<BundleQuery>,
) -> Result<Response, ApiError> {
    analysis::responses(state, api.admin, survey_id, query).await
}

/// What each column of the responses file holds: the analysis bundle's codebook.csv. Administrators only.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/exports/codebook.csv", tag = "exports",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), BundleQuery),
    responses(
        (status = 200, description = "The codebook", content_type = "text/csv", body = String),
        (status = 400, description = "A parameter that is not allowed (`invalid_query`, naming it)", body = ErrorBody),
        (status = 404, description = "No such survey, or it has no version (`not_found`)", body = ErrorBody),
    ))]
pub async fn codebook(
    state: State<AppState>,
    api: ApiAdmin,
    survey_id: Path<String>,
    query: Query<BundleQuery>,
) -> Result<Response, ApiError> {
    analysis::codebook(state, api.admin, survey_id, query).await
}

/// The analysis bundle (docs/researchers.md): `bundle.zip`, or one of its files: `data.csv`, `codebook.csv`,
/// `codebook.html`, `data.sps`, `data.do`, `data.R`, `data.dta`, `data.xlsx`, `README.txt`. Streamed. Administrators
/// only.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/exports/analysis/{file}", tag = "exports",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"),
        ("file" = String, Path, description = "bundle.zip or one of its files"), BundleQuery),
    responses(
        (status = 200, description = "The file", content(
            (String = "application/zip"), (String = "text/csv"), (String = "text/html"), (String = "text/plain"),
            (String = "application/x-stata-dta"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A parameter that is not allowed (`invalid_query`, naming it), or data.xlsx over \
            its limit (`too_large`)", body = ErrorBody),
        (status = 404, description = "No such survey, file, or version of the survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn analysis_file(
    state: State<AppState>,
    api: ApiAdmin,
    path: Path<(String, String)>,
    query: Query<BundleQuery>,
) -> Result<Response, ApiError> {
    analysis::download(state, api.admin, path, query).await
}

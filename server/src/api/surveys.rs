//! Surveys through the admin API: list them, check a survey file without storing it, upload it as a new version,
//! list a survey's versions and publish one. The work is `admin::surveys`', shared with the pages.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;

use super::auth::{ApiAdmin, ApiWrite};
use super::schema::ErrorBody;
use crate::admin::rosters::survey_exists;
use crate::admin::surveys::{self, CheckedSurvey, Published, SurveySummary, UploadOptions, VersionRow};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The surveys the token may see: all its owner may (a coordinator's granted ones), or its one survey.
#[utoipa::path(get, path = "/api/admin/v1/surveys", tag = "surveys", security(("api_token" = [])),
    responses((status = 200, description = "Surveys, by id", body = Vec<SurveySummary>)))]
pub async fn list(State(state): State<AppState>, api: ApiAdmin) -> Result<Json<Vec<SurveySummary>>, ApiError> {
    let mut all = surveys::list(&state.read_pool, &api.admin).await?;
    all.retain(|s| api.survey_id.as_deref().is_none_or(|own| own == s.survey_id));
    Ok(Json(all))
}

/// Checks a survey file as an upload would, and stores nothing. Any token may (it reads nothing and writes nothing).
#[utoipa::path(post, path = "/api/admin/v1/surveys/validate", tag = "surveys", security(("api_token" = [])),
    params(UploadOptions),
    request_body(content = Object, content_type = "application/json",
        description = "A survey file: JSON (its JSON Schema: shared/survey.schema.json), or an XLSForm spreadsheet sent as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (.xlsx) or application/vnd.ms-excel (.xls)"),
    responses(
        (status = 200, description = "The file passes every check", body = CheckedSurvey),
        (status = 400, description = "Problems, each with its JSON path (`invalid_survey`), texts without a \
            translation (`missing_translations`), or not JSON (`unsupported_media_type`)", body = ErrorBody),
        (status = 408, description = "The file did not arrive within 15 minutes (`body_timeout`)", body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB (`payload_too_large`)", body = ErrorBody),
    ))]
pub async fn validate(
    _api: ApiAdmin,
    Query(options): Query<UploadOptions>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CheckedSurvey>, ApiError> {
    let survey = surveys::check_upload(&headers, body, &options).await?;
    Ok(Json(CheckedSurvey::of(&survey)))
}

/// Checks a survey file and stores it as a new version of its survey (unpublished). Administrators' tokens only.
#[utoipa::path(post, path = "/api/admin/v1/surveys", tag = "surveys", security(("api_token" = [])),
    params(UploadOptions),
    request_body(content = Object, content_type = "application/json",
        description = "A survey file: JSON (its JSON Schema: shared/survey.schema.json), or an XLSForm spreadsheet sent as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (.xlsx) or application/vnd.ms-excel (.xls)"),
    responses(
        (status = 201, description = "Stored; publish it to give it to new respondents", body = CheckedSurvey),
        (status = 400, description = "Problems, each with its JSON path (`invalid_survey`), texts without a \
            translation (`missing_translations`), or not JSON (`unsupported_media_type`); nothing was stored", body = ErrorBody),
        (status = 408, description = "The file did not arrive within 15 minutes (`body_timeout`)", body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB (`payload_too_large`)", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Query(options): Query<UploadOptions>,
    headers: HeaderMap,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<CheckedSurvey>), ApiError> {
    api.admin.require_administrator()?;
    let survey = surveys::check_upload(&headers, body, &options).await?;
    api.require_survey(&survey.survey().id)?;
    let stored = surveys::store_upload(&state, &api.admin, &survey).await?;
    Ok((axum::http::StatusCode::CREATED, Json(stored)))
}

/// Every stored version of a survey, newest first; `current` marks the one new respondents get.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/versions", tag = "surveys", security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id")),
    responses(
        (status = 200, description = "Versions, newest first", body = Vec<VersionRow>),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn versions(
    State(state): State<AppState>,
    api: ApiAdmin,
    Path(survey_id): Path<String>,
) -> Result<Json<Vec<VersionRow>>, ApiError> {
    api.admin.require_administrator()?;
    survey_exists(&state, &api.admin, &survey_id).await?;
    Ok(Json(surveys::versions(&state.read_pool, &survey_id).await?))
}

/// Makes a stored version the one new respondents get; those already pinned to another keep theirs.
#[utoipa::path(post, path = "/api/admin/v1/surveys/{survey_id}/versions/{version}/publish", tag = "surveys",
    security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"),
           ("version" = String, Path, description = "A version of it, as uploaded")),
    responses(
        (status = 200, description = "Published", body = Published),
        (status = 404, description = "No such version of this survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path((survey_id, version)): Path<(String, String)>,
) -> Result<Json<Published>, ApiError> {
    Ok(Json(surveys::publish_version(&state, &api.admin, &survey_id, &version).await?))
}

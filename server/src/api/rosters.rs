//! Rosters and access codes through the admin API: load a roster CSV, download the access codes as CSV. The work is
//! `admin::rosters`', shared with the pages.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{ApiAdmin, ApiWrite};
use super::schema::ErrorBody;
use crate::admin::rosters::{self, CodesQuery, RosterLoaded};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Loads a roster CSV (`school,class,role,external_id[,name]`) into a survey. All or nothing; people loaded before
/// keep their codes. A coordinator's token loads only their own school's people.
#[utoipa::path(post, path = "/api/admin/v1/surveys/{survey_id}/roster", tag = "rosters", security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id")),
    request_body(content = String, content_type = "text/csv", description = "The roster, CSV UTF-8, at most 128 MiB"),
    responses(
        (status = 201, description = "Loaded", body = RosterLoaded),
        (status = 400, description = "Bad rows, each with its line and column (`invalid_roster`), or not CSV \
            (`unsupported_media_type`); nothing was loaded", body = ErrorBody),
        (status = 403, description = "Rows of another school than the coordinator's, listed under `errors`; or the \
            token may not touch this survey", body = ErrorBody),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
        (status = 408, description = "The file did not arrive within 15 minutes (`body_timeout`)", body = ErrorBody),
        (status = 413, description = "Larger than 128 MiB (`payload_too_large`)", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ApiWrite(api): ApiWrite,
    Path(survey_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let loaded = rosters::load_upload(&state, &api.admin, &survey_id, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(loaded)).into_response())
}

/// Everyone's access code as CSV (`school,class,role,external_id,name,access_code`), streamed; a coordinator's token
/// gets their own school's.
#[utoipa::path(get, path = "/api/admin/v1/surveys/{survey_id}/codes.csv", tag = "rosters", security(("api_token" = [])),
    params(("survey_id" = String, Path, description = "The survey's id"), CodesQuery),
    responses(
        (status = 200, description = "The codes", content_type = "text/csv", body = String),
        (status = 404, description = "No such survey (`not_found`)", body = ErrorBody),
    ))]
pub async fn codes(
    state: State<AppState>,
    api: ApiAdmin,
    survey_id: Path<String>,
    query: Query<CodesQuery>,
) -> Result<Response, ApiError> {
    rosters::codes_csv(state, api.admin, survey_id, query).await
}

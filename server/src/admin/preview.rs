//! Previewing a survey version in the respondent app itself: the same screens, rules and languages a respondent
//! gets, on this version (published or not), with nothing sent and nothing kept for any respondent.
//!
//! The app is told to preview by its address (`/?preview=ID/VERSION`); it reads the version from `survey.json` here
//! with the administrator's session, keeps its answers in a database of its own on this browser (`quire-preview`,
//! emptied at every start) and never starts its sync loop (client `screens/preview.rs`).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::html::url_param;
use super::session::Admin;
use super::surveys::{load_version, XLSFORM_TYPES};
use crate::http::error::ApiError;
use crate::state::AppState;

/// `GET /admin/surveys/{id}/versions/{version}/preview`: the respondent app, previewing this version.
pub async fn preview(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    load_version(&state, &id, &version).await?;
    Ok(Redirect::to(&format!("/?preview={}/{}", url_param(&id), url_param(&version))).into_response())
}

/// `GET /admin/surveys/{id}/versions/{version}/survey.xlsx`: the version as an XLSForm workbook to edit and upload
/// again (`quire_xlsform::export`; importing it gives the same survey back).
pub async fn survey_xlsx(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    let bytes = quire_xlsform::export(survey.survey())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the XLSForm: {e}")))?;
    let file = format!("attachment; filename=\"{}-{}.xlsx\"", survey.survey().id, &version[..12.min(version.len())]);
    let headers = [
        (header::CONTENT_TYPE, XLSFORM_TYPES[0].to_owned()),
        (header::CONTENT_DISPOSITION, file),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    Ok((headers, bytes).into_response())
}

/// `GET /admin/surveys/{id}/versions/{version}/survey.json`: the version as it would be published, for the preview.
pub async fn survey_json(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    Ok((headers, survey.canonical_json()).into_response())
}

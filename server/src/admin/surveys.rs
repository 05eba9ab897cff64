//! Surveys in the admin: the list, uploading a file as a new version, and publishing a version (a survey's own
//! page is `survey_page`, its preview `preview`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use maud::html;
use quire_shared::ValidSurvey;
use time::OffsetDateTime;

use super::audit;
use super::csrf::AdminWrite;
use super::html::{self, fmt_time, url_param};
use super::session::Admin;
use super::upload::{read_body, require_content_type, MAX_SURVEY_BYTES};
use crate::http::error::ApiError;
use crate::respondent::surveys;
use crate::state::AppState;

/// `GET /admin`: every survey with its current version and how many people its rosters hold. A coordinator sees
/// the surveys their school takes part in.
pub async fn home(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    // survey, current version, published at, respondents
    type Row = (String, Option<String>, Option<OffsetDateTime>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "select s.survey_id, s.current_version, s.published_at,
                (select sum(total)::int8 from group_progress g
                 where g.survey_id = s.survey_id and ($1::text is null or g.school = $1))
         from surveys s
         where $1::text is null or s.survey_id = any($2)
         order by s.survey_id",
    )
    .bind(&admin.school)
    .bind(&admin.surveys)
    .fetch_all(&state.read_pool)
    .await?;
    let body = html! {
        table class="list" {
            thead { tr { th { "Survey" } th { "Current version" } th { "Published (UTC)" } th { "Respondents" } } }
            tbody {
                @for (id, version, published, total) in &rows {
                    tr {
                        td { a href={ "/admin/surveys/" (url_param(id)) } { (id) } }
                        td { code { (version.as_deref().map_or("not published", |v| &v[..v.len().min(12)])) } }
                        td { (fmt_time(*published)) }
                        td { (total.unwrap_or(0)) }
                    }
                }
            }
        }
        @if rows.is_empty() {
            p { "No surveys yet." }
        }
        @if admin.require_administrator().is_ok() {
            h2 { "Upload a survey" }
            p { "A survey file (JSON). It is checked and stored as a new version; publish it from the survey's page." }
            (html::api_form("/admin/surveys", "Survey file", Some((".json,application/json", "application/json"))))
        }
    };
    Ok(html::page(&admin, "Surveys", body))
}

/// `POST /admin/surveys` (body: the survey JSON): validated with the same code respondents' answers are checked
/// against; every problem is reported with its JSON path, and nothing is stored unless there are none.
pub async fn upload(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    require_content_type(&headers, "application/json")?;
    let body = read_body(body, MAX_SURVEY_BYTES).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_survey", "the survey file is not UTF-8 text", None))?;
    let survey = ValidSurvey::parse(text).map_err(|errors| ApiError::Invalid {
        code: "invalid_survey",
        message: format!("the survey has {} problem(s); nothing was stored", errors.len()),
        field: errors.first().map(|e| e.path.clone()),
        errors: errors.iter().map(|e| serde_json::json!({"path": e.path, "message": e.message})).collect(),
    })?;
    surveys::store_version(&state.pool, &survey, false, &state.config.static_dir).await?;
    let (id, version) = (&survey.survey().id, survey.version());
    audit::record(&state.pool, &admin, "survey.upload", Some(id), serde_json::json!({"version": version})).await?;
    let warnings = survey.warnings();
    let gaps = if warnings.is_empty() {
        String::new()
    } else {
        format!(" ({} text(s) without a translation, listed under warnings)", warnings.len())
    };
    Ok(Json(serde_json::json!({
        "survey_id": id,
        "version": version,
        "message": format!("stored {id} version {}{gaps}; publish it from the survey's page", &version[..12.min(version.len())]),
        "redirect": format!("/admin/surveys/{}", url_param(id)),
        "warnings": warnings.iter().map(|w| serde_json::json!({"path": w.path, "message": w.message})).collect::<Vec<_>>(),
    })))
}

/// `POST /admin/surveys/{id}/versions/{version}/publish`: writes the content-hashed file under `static/surveys/`
/// (before the database points at it) and makes it the version new respondents get. Respondents already pinned to an
/// older version keep it.
pub async fn publish(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    surveys::store_version(&state.pool, &survey, true, &state.config.static_dir).await?;
    audit::record(&state.pool, &admin, "survey.publish", Some(&id), serde_json::json!({"version": version})).await?;
    Ok(Json(serde_json::json!({
        "message": format!("published; new respondents get {}", surveys::survey_url(&version)),
        "survey_url": surveys::survey_url(&version),
        "reload": true,
    })))
}

pub(super) async fn load_version(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<std::sync::Arc<ValidSurvey>, ApiError> {
    match state.surveys.get(&state.pool, version).await? {
        Some(s) if s.survey().id == id => Ok(s),
        _ => Err(ApiError::NotFound("no such survey version")),
    }
}

//! Rosters in the admin: uploading a CSV, and handing out the access codes as CSV or as printed slips.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::audit;
use super::csrf::AdminWrite;
use super::csv_stream::stream_csv;
use super::session::Admin;
use super::upload::{read_body, require_content_type, MAX_ROSTER_BYTES};
use crate::http::error::ApiError;
use crate::respondent::roster::{self, format_code, CodeRow, RowError};
use crate::state::AppState;

/// `POST /admin/surveys/{id}/roster` (body: CSV): `load_upload`.
pub async fn upload(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let loaded = load_upload(&state, &admin, &id, &headers, body).await?;
    Ok(Json(serde_json::json!({
        "rows": loaded.rows,
        "message": format!("{} respondent(s) in the roster; people loaded before keep their codes", loaded.rows),
        "reload": true,
    }))
    .into_response())
}

/// A roster file loaded.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RosterLoaded {
    /// People in the file (those loaded before keep their codes).
    pub rows: usize,
}

/// Loads a roster CSV into a survey. All or nothing: every bad row is reported with its line (400
/// `invalid_roster`) and nothing is loaded from a file with errors. A coordinator may load only their own school's
/// people: other schools' rows are listed the same way, with 403. Refusals are whole responses for that reason.
pub async fn load_upload(
    state: &AppState,
    admin: &Admin,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<RosterLoaded, Response> {
    let api = |e: ApiError| e.into_response();
    require_content_type(headers, "text/csv").map_err(api)?;
    // Who may load into which survey is settled before the file is read.
    survey_exists(state, admin, id).await.map_err(api)?;
    let body = read_body(body, MAX_ROSTER_BYTES).await.map_err(api)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        api(ApiError::bad_request("invalid_roster", "the roster is not UTF-8 text (save it as CSV UTF-8)", None))
    })?;
    let rows = roster::parse(text).map_err(|errors| api(invalid_roster(&errors)))?;
    if rows.is_empty() {
        return Err(api(ApiError::bad_request("invalid_roster", "the roster has no rows", None)));
    }
    if let Some(own) = &admin.school {
        let foreign: Vec<RowError> = rows
            .iter()
            .filter(|r| r.school != *own)
            .map(|r| RowError::new(r.line, Some("school"), format!("school `{}` is not yours ({own})", r.school)))
            .collect();
        if !foreign.is_empty() {
            // The listing of a bad file, but 403: the rows are well formed, just not this coordinator's.
            let mut res = invalid_roster(&foreign).into_response();
            *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
            return Err(res);
        }
    }
    let codes = roster::load(&state.pool, id, &rows).await.map_err(|e| api(e.into()))?;
    audit::record(&state.pool, admin, "roster.upload", Some(id), serde_json::json!({"rows": codes.len()}))
        .await
        .map_err(|e| api(e.into()))?;
    Ok(RosterLoaded { rows: codes.len() })
}

fn invalid_roster(errors: &[RowError]) -> ApiError {
    ApiError::Invalid {
        code: "invalid_roster",
        message: format!("the roster has {} problem(s); nothing was loaded", errors.len()),
        field: errors.first().map(|e| match e.column {
            Some(c) => format!("line {} {c}", e.line),
            None => format!("line {}", e.line),
        }),
        errors: errors
            .iter()
            .map(|e| serde_json::json!({"line": e.line, "column": e.column, "message": e.message}))
            .collect(),
    }
}

/// The survey exists, and this administrator may act on it (a coordinator only on surveys granted to them).
pub async fn survey_exists(state: &AppState, admin: &Admin, id: &str) -> Result<(), ApiError> {
    admin.require_survey(id)?;
    let found: Option<(String,)> = sqlx::query_as("select survey_id from surveys where survey_id = $1")
        .bind(id)
        .fetch_optional(&state.read_pool)
        .await?;
    found.map(|_| ()).ok_or(ApiError::NotFound("no such survey"))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodesQuery {
    /// One school's people (a coordinator gets their own whatever is asked).
    pub school: Option<String>,
    /// One class's people.
    pub class: Option<String>,
}

/// `GET /admin/surveys/{id}/codes.csv?school=&class=`: streamed, so a state-wide file needs no memory to speak of.
pub async fn codes_csv(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<CodesQuery>,
) -> Result<Response, ApiError> {
    let school = admin.scope_school(q.school)?;
    survey_exists(&state, &admin, &id).await?;
    audit::record(
        &state.pool,
        &admin,
        "codes.download",
        Some(&id),
        serde_json::json!({"school": school, "class": q.class}),
    )
    .await?;
    let pool = state.read_pool.clone();
    let class = q.class.filter(|c| !c.is_empty());
    let filename = format!("codes-{id}.csv");
    Ok(stream_csv(&filename, move |mut sink| async move {
        use futures_util::TryStreamExt;
        sink.write(["school", "class", "role", "external_id", "name", "access_code"])?;
        let mut rows = sqlx::query_as::<_, CodeRow>(CODES_SQL).bind(&id).bind(&school).bind(&class).fetch(&pool);
        while let Some(r) = rows.try_next().await? {
            let code = format_code(&r.access_code);
            sink.write([&r.school, &r.class, &r.role, &r.external_id, r.name.as_deref().unwrap_or(""), &code])?;
            sink.flush_if_full().await?;
        }
        sink.finish().await
    }))
}

const CODES_SQL: &str = "select school, class, role, external_id, name, access_code from respondents
     where survey_id = $1 and ($2::text is null or school = $2) and ($3::text is null or class = $3)
     order by school, class, role, external_id";

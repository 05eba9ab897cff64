//! Surveys in the admin: the list, uploading a file as a new version, and publishing a version (a survey's own
//! page is `survey_page`, its preview `preview`).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use maud::html;
use quire_shared::ValidSurvey;
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::audit;
use super::csrf::AdminWrite;
use super::html::{self, fmt_time, url_param};
use super::session::Admin;
use super::upload::{read_body, require_content_type, MAX_SURVEY_BYTES};
use crate::http::error::ApiError;
use crate::respondent::surveys;
use crate::state::AppState;

/// What the upload's file picker offers; the content type is the file's own (admin.js).
const SURVEY_FILES: &str = ".xlsx,.xls,.json,application/json,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel";

/// `GET /admin`: every survey with its current version and how many people its rosters hold. A coordinator sees
/// the surveys their school takes part in.
pub async fn home(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    let rows = list(&state.read_pool, &admin).await?;
    let body = html! {
        div class="scroll" tabindex="0" role="region" aria-label="Surveys" {
            table class="list" {
                thead { tr { th { "Survey" } th { "Current version" } th { "Published (UTC)" } th { "Respondents" } } }
                tbody {
                    @for s in &rows {
                        tr {
                            td { a href={ "/admin/surveys/" (url_param(&s.survey_id)) } { (s.survey_id) } }
                            td { code { (s.current_version.as_deref().map_or("not published", |v| &v[..v.len().min(12)])) } }
                            td { (fmt_time(s.published_at)) }
                            td { (s.respondents) }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() {
            p { "No surveys yet." }
        }
        @if admin.require_administrator().is_ok() {
            h2 { "Upload a survey" }
            p {
                "A survey file: an XLSForm spreadsheet (.xlsx, .xls) or Quire's JSON. It is checked and stored as a new \
                 version; publish it from the survey's page. Every problem is listed at once, with its place in the file."
            }
            form data-api action="/admin/surveys" {
                label {
                    "Survey file "
                    input type="file" name="file" accept=(SURVEY_FILES) data-content-type="application/json" required;
                }
                " "
                label {
                    input type="checkbox" data-query="allow_missing_translations";
                    " Store it even if some texts lack a translation"
                }
                " "
                button { "Upload" }
                div class="result" aria-live="polite" {}
            }
        }
    };
    Ok(html::page(&admin, "Surveys", body))
}

/// A survey as the admin lists it: its current version and how many people its rosters hold (at a coordinator's
/// school only, for a coordinator).
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SurveySummary {
    pub survey_id: String,
    /// The version new respondents get; `null` until one is published.
    pub current_version: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<OffsetDateTime>,
    pub respondents: i64,
}

/// Every survey this administrator may see; a coordinator, the surveys granted to them.
pub async fn list(pool: &PgPool, admin: &Admin) -> Result<Vec<SurveySummary>, sqlx::Error> {
    sqlx::query_as(
        "select s.survey_id, s.current_version, s.published_at,
                coalesce((select sum(total)::int8 from group_progress g
                          where g.survey_id = s.survey_id and ($1::text is null or g.school = $1)), 0) as respondents
         from surveys s
         where $1::text is null or s.survey_id = any($2)
         order by s.survey_id",
    )
    .bind(&admin.school)
    .bind(&admin.surveys)
    .fetch_all(pool)
    .await
}

/// A problem the survey check found, or a text without a translation: where (a JSON path) and what.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PathMessage {
    pub path: String,
    pub message: String,
}

/// A survey file that passed every check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckedSurvey {
    pub survey_id: String,
    /// The hash of its canonical JSON: the same file always makes the same version.
    pub version: String,
    /// Texts without a translation into one of the survey's languages: stored anyway, worth a look.
    pub warnings: Vec<PathMessage>,
}

impl CheckedSurvey {
    pub fn of(survey: &ValidSurvey) -> Self {
        CheckedSurvey {
            survey_id: survey.survey().id.clone(),
            version: survey.version().to_owned(),
            warnings: survey
                .warnings()
                .iter()
                .map(|w| PathMessage { path: w.path.clone(), message: w.message.clone() })
                .collect(),
        }
    }
}

/// How an upload is taken (`?allow_missing_translations=true`).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct UploadOptions {
    /// Store the survey even though some texts lack a translation into one of its languages (a respondent choosing
    /// that language sees those texts in the default language). Without it such a file is refused, listing them.
    #[serde(default)]
    pub allow_missing_translations: bool,
}

/// Reads and checks an uploaded survey file (JSON, at most `MAX_SURVEY_BYTES`) with the same code respondents'
/// answers are checked against; every problem is reported at once with its JSON path (400 `invalid_survey`), and
/// every missing translation per language unless `options` allow them (400 `missing_translations`).
pub async fn check_upload(headers: &HeaderMap, body: Body, options: &UploadOptions) -> Result<ValidSurvey, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if XLSFORM_TYPES.iter().any(|t| content_type.starts_with(t)) {
        return check_xlsform(headers, body, options).await;
    }
    require_content_type(headers, "application/json")?;
    let body = read_body(body, MAX_SURVEY_BYTES).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_survey", "the survey file is not UTF-8 text", None))?;
    let survey = ValidSurvey::parse(text).map_err(invalid_survey)?;
    if !options.allow_missing_translations {
        refuse_missing_translations(&survey, &[])?;
    }
    Ok(survey)
}

/// The file name as admin.js sends it (`encodeURIComponent`, since a header is ASCII).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every problem of a survey, each with its JSON path: 400 `invalid_survey`.
fn invalid_survey(errors: Vec<quire_shared::SurveyError>) -> ApiError {
    ApiError::Invalid {
        code: "invalid_survey",
        message: format!("the survey has {} problem(s); nothing was stored", errors.len()),
        field: errors.first().map(|e| e.path.clone()),
        errors: errors.iter().map(|e| serde_json::json!({"path": e.path, "message": e.message})).collect(),
    }
}

/// The content types of XLSForm spreadsheets (.xlsx, then .xls).
pub(super) const XLSFORM_TYPES: [&str; 2] =
    ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel"];

/// An XLSForm upload: imported (`quire_xlsform`), every problem at its sheet, row and column, then checked as any
/// survey; missing translations are listed at their cells.
async fn check_xlsform(headers: &HeaderMap, body: Body, options: &UploadOptions) -> Result<ValidSurvey, ApiError> {
    let body = read_body(body, MAX_SURVEY_BYTES).await?;
    // The browser's file name, for the survey's id when the settings sheet has no form_id.
    let name =
        headers.get("x-file-name").and_then(|v| v.to_str().ok()).map_or_else(|| "survey.xlsx".into(), percent_decoded);
    // Unzipping and reading a workbook is seconds of CPU for a large one: off the threads that serve respondents.
    let imported = tokio::task::spawn_blocking(move || quire_xlsform::import(&body, &name))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the spreadsheet: {e}")))?;
    let imported = imported.map_err(|problems| ApiError::Invalid {
        code: "invalid_survey",
        message: format!("the spreadsheet has {} problem(s); nothing was stored", problems.len()),
        field: problems.first().map(|p| p.column.clone().unwrap_or_else(|| p.sheet.clone())),
        errors: serde_json::to_value(&problems).unwrap_or_default(),
    })?;
    let survey = ValidSurvey::new(imported.survey).map_err(invalid_survey)?;
    if !options.allow_missing_translations {
        refuse_missing_translations(&survey, &imported.warnings)?;
    }
    Ok(survey)
}

/// Every text without a translation, by language: refused, since respondents choosing that language would read
/// those texts in another; stored only when the upload says so.
fn refuse_missing_translations(survey: &ValidSurvey, located: &[quire_xlsform::Problem]) -> Result<(), ApiError> {
    let mut missing: Vec<(&str, &str)> = survey
        .warnings()
        .iter()
        .filter_map(|w| quire_shared::validate::missing_language(w).map(|lang| (lang, w.path.as_str())))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort();
    let mut per_language: Vec<(&str, usize)> = Vec::new();
    for (lang, _) in &missing {
        match per_language.last_mut() {
            Some((l, n)) if l == lang => *n += 1,
            _ => per_language.push((lang, 1)),
        }
    }
    let counts: Vec<String> = per_language.iter().map(|(l, n)| format!("{n} in `{l}`")).collect();
    Err(ApiError::Invalid {
        code: "missing_translations",
        message: format!(
            "{} text(s) have no translation ({}); nothing was stored. Add them, or upload again allowing missing \
             translations",
            missing.len(),
            counts.join(", ")
        ),
        field: missing.first().map(|(_, path)| (*path).to_owned()),
        errors: missing
            .iter()
            .map(|(lang, path)| {
                // A spreadsheet's problem names its cell; the importer words it `… ($.path)`.
                let cell = located.iter().find(|p| p.message.ends_with(&format!("({path})")));
                let mut e =
                    serde_json::json!({"path": path, "language": lang, "message": format!("no `{lang}` translation")});
                if let Some(p) = cell {
                    e["sheet"] = p.sheet.clone().into();
                    e["row"] = p.row.into();
                    e["column"] = p.column.clone().into();
                }
                e
            })
            .collect(),
    })
}

/// Stores a checked survey as a new version (not published) and audits it.
pub async fn store_upload(state: &AppState, admin: &Admin, survey: &ValidSurvey) -> Result<CheckedSurvey, ApiError> {
    admin.require_administrator()?;
    surveys::store_version(&state.pool, survey, false, &state.config.static_dir).await?;
    let (id, version) = (&survey.survey().id, survey.version());
    audit::record(&state.pool, admin, "survey.upload", Some(id), serde_json::json!({"version": version})).await?;
    Ok(CheckedSurvey::of(survey))
}

/// `POST /admin/surveys` (body: the survey JSON): checked (`check_upload`); nothing is stored unless it passes.
pub async fn upload(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Query(options): Query<UploadOptions>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let survey = check_upload(&headers, body, &options).await?;
    let stored = store_upload(&state, &admin, &survey).await?;
    let (id, version) = (&stored.survey_id, &stored.version);
    let missing = survey.warnings().iter().filter(|w| quire_shared::validate::missing_language(w).is_some()).count();
    let gaps = match (missing, stored.warnings.len()) {
        (_, 0) => String::new(),
        (0, n) => format!(" ({n} warning(s), listed below)"),
        (m, _) => format!(" ({m} text(s) without a translation, listed under warnings)"),
    };
    Ok(Json(serde_json::json!({
        "survey_id": id,
        "version": version,
        "message": format!("stored {id} version {}{gaps}; publish it from the survey's page", &version[..12.min(version.len())]),
        "redirect": format!("/admin/surveys/{}", url_param(id)),
        "warnings": stored.warnings,
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
    let published = publish_version(&state, &admin, &id, &version).await?;
    Ok(Json(serde_json::json!({
        "message": format!("published; new respondents get {}", published.survey_url),
        "survey_url": published.survey_url,
        "reload": true,
    })))
}

/// A version made current.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Published {
    pub survey_id: String,
    pub version: String,
    /// Where respondents' apps fetch it (content-hashed, cached for ever).
    pub survey_url: String,
}

/// Publishes a stored version (administrators only) and audits it.
pub async fn publish_version(state: &AppState, admin: &Admin, id: &str, version: &str) -> Result<Published, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(state, id, version).await?;
    surveys::store_version(&state.pool, &survey, true, &state.config.static_dir).await?;
    audit::record(&state.pool, admin, "survey.publish", Some(id), serde_json::json!({"version": version})).await?;
    Ok(Published { survey_id: id.to_owned(), version: version.to_owned(), survey_url: surveys::survey_url(version) })
}

/// One stored version of a survey.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VersionRow {
    pub version: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Whether new respondents get this version now.
    pub current: bool,
}

/// Every version of a survey, newest first (the survey's page and the API).
pub async fn versions(pool: &PgPool, id: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select v.version, v.created_at, s.current_version is not distinct from v.version as current
         from survey_versions v join surveys s using (survey_id)
         where v.survey_id = $1 order by v.created_at desc",
    )
    .bind(id)
    .fetch_all(pool)
    .await
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

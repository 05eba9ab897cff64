//! `POST /api/v1/login`: an access code for a signed token, the respondent's survey version and what the server
//! already holds for them (so another device can resume).

use axum::extract::State;
use axum::Json;
use quire_shared::roster;
use quire_shared::{LoginRequest, LoginResponse, PageAnswers, ResumeState, SavedPage};
use sqlx::PgPool;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::{parse_json, require_json};
use crate::http::sign_in_limits::{bucket_ahead, ClientIp};
use crate::respondent::roster::normalize_code;
use crate::respondent::surveys::survey_url;
use crate::state::AppState;

/// A sign-in body is an access code: anything larger is not one.
pub const LOGIN_BODY_BYTES: usize = 4096;

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let _slot = match state.respondent_limits.attempt(&state.pool, ip).await {
        Ok(slot) => slot,
        Err(e) => {
            state.metrics.count_throttled(false);
            return Err(e);
        }
    };
    require_json(&headers)?;
    let bytes = crate::http::body::read(body, LOGIN_BODY_BYTES, state.config.body_timeout()).await?;
    let req: LoginRequest = parse_json(&bytes)?;
    let code = normalize_code(&req.access_code);
    if code.is_empty() {
        return Err(ApiError::bad_request("invalid_field", "enter your access code", Some("access_code".into())));
    }
    // The address's wrong-code bucket is read in the same statement (`sign_in_limits`): a spent one refuses the
    // sign-in, right code or not, at no extra round trip.
    let (wrong_codes_ahead, id, survey_id, pinned, school, class, role, district, grade, language): LoginRow =
        sqlx::query_as(concat!(
            "select ",
            bucket_ahead!("$2"),
            ", r.id, r.survey_id, r.survey_version, r.school, r.class, r.role, r.district, r.grade, r.language
             from (select 1) one left join respondents r on r.access_code = $1"
        ))
        .bind(&code)
        .bind(state.respondent_limits.wrong_codes_key(ip))
        .fetch_one(&state.pool)
        .await?;
    if let Err(e) = state.respondent_limits.check_wrong_codes(ip, wrong_codes_ahead) {
        state.metrics.count_throttled(false);
        return Err(e);
    }
    let (Some(id), Some(survey_id)) = (id, survey_id) else {
        state.respondent_limits.failed(&state.pool, ip).await;
        return Err(ApiError::Unauthorized("this access code is not valid; check it and try again"));
    };
    let version = match pinned {
        Some(v) => v,
        None => pin_version(&state.pool, id).await?,
    };
    state.metrics.count_login();
    Ok(Json(LoginResponse {
        token: state.tokens.issue(id, &version),
        respondent_id: id,
        survey_id,
        survey_url: survey_url(&version),
        survey_version: version,
        resume: resume(&state.pool, id).await?,
        // What the roster says about them: the survey's questions that name one of its columns are not asked.
        roster: roster::from_row(
            &school.unwrap_or_default(),
            &class.unwrap_or_default(),
            &role.unwrap_or_default(),
            [district, grade, language],
        ),
    }))
}

/// The sign-in's one row: the wrong-code bucket, and the respondent (all `None` for a code that is none): who, on
/// which version, and their roster row.
type LoginRow = (
    f64,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// First login: the respondent is pinned to the survey's current version. `coalesce` keeps the first pin if two
/// devices log in at once.
async fn pin_version(pool: &PgPool, id: Uuid) -> Result<String, ApiError> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "update respondents r set survey_version = coalesce(r.survey_version, s.current_version)
         from surveys s
         where r.id = $1 and s.survey_id = r.survey_id
         returning r.survey_version",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.and_then(|(v,)| v).ok_or(ApiError::Conflict("this survey is not open yet"))
}

pub async fn resume(pool: &PgPool, id: Uuid) -> Result<ResumeState, ApiError> {
    let pages: Vec<(String, i64, sqlx::types::Json<PageAnswers>)> = sqlx::query_as(
        "select c.page_id, c.revision, p.answers
         from current_answers c join page_saves p using (respondent_id, revision)
         where c.respondent_id = $1
         order by c.revision",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let progress: Option<(String, i64, bool)> = sqlx::query_as(
        "select last_page, last_revision, completed_at is not null from respondent_progress where respondent_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let (last_page, last_revision, completed) = match progress {
        Some((page, rev, done)) => (Some(page), rev as u64, done),
        None => (None, 0, false),
    };
    Ok(ResumeState {
        pages: pages
            .into_iter()
            .map(|(page_id, revision, answers)| SavedPage { page_id, revision: revision as u64, answers: answers.0 })
            .collect(),
        last_page,
        last_revision,
        completed,
    })
}

//! The sync handler: admission (counts, token, body within limits), the checks, the completion check of a
//! finishing save, and the reply after the commit.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use quire_shared::{Ack, AckStatus, PageAnswers, SyncReply, ValidSurvey, MAX_BATCH_SAVES};

use crate::ingest::check::{check_batch, Checked};
use crate::ingest::store::Job;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, Respondent};
use crate::state::AppState;

/// The batch as it arrives: saves stay raw until each is parsed on its own, so one malformed save cannot sink the
/// batch and its exact bytes can go to quarantine.
#[derive(Deserialize)]
pub struct RawBatch {
    respondent_id: Uuid,
    saves: Vec<Box<serde_json::value::RawValue>>,
}

/// Batches of more saves than this are checked on the blocking pool (see `sync`).
const INLINE_CHECK_SAVES: usize = 4;

/// Admission control, before any work: beyond `max_sync_in_flight` requests, 503 with `Retry-After` at once. The body
/// is then read here, charged to the `max_sync_bytes_in_flight` budget KiB by KiB as it actually arrives (so a body
/// that trickles in, or claims a large `Content-Length`, holds only what it has sent), never more than
/// `max_body_bytes` for one request (at most half the budget, `ServeConfig::check`), and within `body_timeout`
/// (408 beyond). When the budget is spent, 503. The permits are held until the reply is ready.
///
/// The bearer token is checked before any byte of the body is read, so only a respondent can spend the budget; the
/// claims travel on to the handler in the request's extensions (`extract::Respondent` takes them from there).
pub async fn admit(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(_count) = state.sync_permits.clone().try_acquire_owned() else {
        return ApiError::Overloaded("the server is busy; retry shortly").into_response();
    };
    let claims = match crate::http::extract::bearer_claims(req.headers(), &state) {
        Ok(claims) => claims,
        Err(e) => return e.into_response(),
    };
    // One respondent's device sends one request at a time; a second may overlap while the first is abandoned. More
    // is one client holding many connections (each bounded, together the whole budget): 503 for the extra ones.
    let Some(_respondent) = state.sync_by_respondent.take(claims.sub, state.config.sync_per_respondent) else {
        return ApiError::Overloaded("another sync of this respondent is in progress; retry shortly").into_response();
    };
    req.extensions_mut().insert(claims);
    let limit = state.config.max_body_bytes;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::PayloadTooLarge { message: format!("the body is larger than {limit} bytes"), field: None }
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let read = crate::http::body::read_charged(body, limit, state.config.body_timeout(), Some(&state.sync_bytes)).await;
    match read {
        Ok((bytes, _size)) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(e) => e.into_response(),
    }
}

pub async fn sync(
    State(state): State<AppState>,
    Respondent(claims): Respondent,
    JsonBody(batch): JsonBody<RawBatch>,
) -> Result<Json<SyncReply>, ApiError> {
    if batch.respondent_id != claims.sub {
        return Err(ApiError::Forbidden("this batch belongs to another respondent"));
    }
    if batch.saves.len() > MAX_BATCH_SAVES {
        return Err(ApiError::PayloadTooLarge {
            message: format!("{} saves in one batch; send at most {MAX_BATCH_SAVES}", batch.saves.len()),
            field: Some("saves".into()),
        });
    }
    let survey = state
        .surveys
        .get(&state.pool, &claims.ver)
        .await?
        .ok_or(ApiError::Conflict("this survey version is not on the server; sign in again"))?;
    // A large batch (a device back online with many pages) takes a millisecond or more to parse and check: it runs
    // on the blocking pool, so that a reconnect storm of such batches cannot keep the async workers from answering
    // `/healthz` and small requests (measured in docs/benchmarks.md). A page or two is cheaper checked in place.
    let checked = if batch.saves.len() > INLINE_CHECK_SAVES {
        let (saves, survey) = (batch.saves, survey.clone());
        tokio::task::spawn_blocking(move || check_batch(&survey, saves))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("batch check failed: {e}")))?
    } else {
        check_batch(&survey, batch.saves)
    };
    let mut checked = checked;
    if checked.iter().any(|c| matches!(c, Checked::Valid(s) if s.finishes)) {
        check_completion(&state.pool, claims.sub, &survey, &mut checked).await?;
    }
    let job = Job { respondent: claims.sub, checked };
    let acks = match &state.committer {
        Some(committer) => committer.submit(job).await?,
        None => state
            .writer
            .write(std::slice::from_ref(&job))
            .await
            .pop()
            .unwrap_or_else(|| Err(crate::ingest::group_commit::WriteError::Failed("nothing written".into())))?,
    };
    state.metrics.record_batch(&acks);
    state.activity.touch(claims.sub);
    Ok(Json(SyncReply { acks }))
}

/// "Finish" means complete: a finishing save is rejected, with an error per page (`pages.<id>`), unless every page the
/// respondent sees has a final save with its required questions answered, judged over what the database holds and
/// this batch's valid saves together, with the shared rule for hidden answers (`quire_shared::visibility`). Runs once
/// per respondent (only for a batch that finishes), so its query is off the hot path.
async fn check_completion(
    pool: &sqlx::PgPool,
    respondent: Uuid,
    survey: &ValidSurvey,
    checked: &mut [Checked],
) -> Result<(), ApiError> {
    let rows: Vec<(String, i64, sqlx::types::Json<PageAnswers>, bool)> = sqlx::query_as(
        "select c.page_id, c.revision, s.answers, s.draft from current_answers c
         join page_saves s on s.respondent_id = c.respondent_id and s.revision = c.revision
         where c.respondent_id = $1",
    )
    .bind(respondent)
    .fetch_all(pool)
    .await?;
    let mut latest: HashMap<String, (u64, PageAnswers, bool)> =
        rows.into_iter().map(|(page, rev, answers, draft)| (page, (rev as u64, answers.0, !draft))).collect();
    for c in checked.iter() {
        if let Checked::Valid(s) = c {
            if latest.get(&s.page_id).is_none_or(|(rev, _, _)| *rev < s.revision) {
                latest.insert(s.page_id.clone(), (s.revision, s.answers.clone(), !s.draft));
            }
        }
    }
    let pages = latest.into_iter().map(|(p, (_, answers, fin))| (p, (answers, fin))).collect();
    // The roster answers the questions that name its columns; the app does not send those (quire_shared::roster).
    let (school, class, role, district, grade, language): (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as("select school, class, role, district, grade, language from respondents where id = $1")
        .bind(respondent)
        .fetch_one(pool)
        .await?;
    let roster = quire_shared::roster::from_row(&school, &class, &role, [district, grade, language]);
    let errors = quire_shared::visibility::completion_errors(survey, &pages, &roster);
    if errors.is_empty() {
        return Ok(());
    }
    for c in checked.iter_mut() {
        if let Checked::Valid(s) = c {
            if s.finishes {
                let raw = serde_json::to_value(&*s).unwrap_or_default();
                let (page_id, revision) = (Some(s.page_id.clone()), Some(s.revision));
                *c = Checked::Invalid { raw, page_id, revision, errors: errors.clone() };
            }
        }
    }
    Ok(())
}

/// The HTTP floor for benchmarks (only with `QUIRE_BENCH_ENDPOINTS`): the token is checked and the body parsed as
/// for a sync, then every save is acknowledged without validation or database.
pub async fn noop(
    Respondent(claims): Respondent,
    JsonBody(batch): JsonBody<RawBatch>,
) -> Result<Json<SyncReply>, ApiError> {
    if batch.respondent_id != claims.sub {
        return Err(ApiError::Forbidden("this batch belongs to another respondent"));
    }
    let acks = (0..batch.saves.len())
        .map(|index| Ack { index, page_id: None, revision: None, status: AckStatus::Stored })
        .collect();
    Ok(Json(SyncReply { acks }))
}

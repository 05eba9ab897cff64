//! `POST /api/v1/sync`: batched, idempotent page-saves.
//!
//! Policy:
//! - every save is validated against the survey version in memory, with the same functions the client runs;
//! - valid saves are written with one bulk statement per table (UNNEST arrays) in one short transaction, shared
//!   with concurrent requests when group commit is on (`group_commit`, `store`);
//! - (respondent, revision) is the idempotency key: a replay writes nothing, and a lower revision never replaces
//!   a higher one as the page's current answers, whatever order batches arrive in;
//! - an invalid save is rejected with its reasons and kept raw in `quarantine`; it never blocks the others;
//! - the reply is sent only after the transaction has committed.

pub mod activity;
pub mod group_commit;
pub mod store;

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use quire_shared::{
    check_storable, Ack, AckStatus, AnswerError, PageAnswers, PageSave, SyncReply, ValidSurvey, MAX_BATCH_SAVES,
};

use crate::ingest::store::Job;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, Respondent};
use crate::AppState;

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
    let errors = quire_shared::visibility::completion_errors(survey, &pages);
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

/// One save after validation.
#[derive(Debug, Clone)]
pub enum Checked {
    Valid(PageSave),
    /// Same revision and content as an earlier save of this batch.
    Repeat {
        page_id: String,
        revision: u64,
    },
    Invalid {
        raw: serde_json::Value,
        page_id: Option<String>,
        revision: Option<u64>,
        errors: Vec<AnswerError>,
    },
}

fn check_batch(survey: &ValidSurvey, raw: Vec<Box<serde_json::value::RawValue>>) -> Vec<Checked> {
    let mut out: Vec<Checked> = Vec::with_capacity(raw.len());
    let mut by_revision: HashMap<u64, usize> = HashMap::new();
    for text in raw {
        // Parsed straight from the raw text; a tree (`Value`) is built only for a save that goes to quarantine.
        // A save that cannot even become a tree (a number like 1e400) is kept as its text, so that quarantine holds
        // what was sent (and two different ones do not collapse into one `null`).
        let value = || {
            serde_json::from_str::<serde_json::Value>(text.get())
                .unwrap_or_else(|_| serde_json::Value::String(text.get().to_owned()))
        };
        let invalid = |raw: serde_json::Value, errors: Vec<AnswerError>| {
            let page_id = raw.get("page_id").and_then(|v| v.as_str()).map(str::to_owned);
            let revision = raw.get("revision").and_then(|v| v.as_u64());
            Checked::Invalid { raw, page_id, revision, errors }
        };
        let de = &mut serde_json::Deserializer::from_str(text.get());
        let save: PageSave = match serde_path_to_error::deserialize(de) {
            Ok(s) => s,
            Err(e) => {
                let field = e.path().to_string();
                let error =
                    AnswerError::new(if field == "." { "save".to_owned() } else { field }, e.into_inner().to_string());
                out.push(invalid(value(), vec![error]));
                continue;
            }
        };
        // Strings PostgreSQL cannot hold, times the driver cannot encode, revisions out of range: refused here, on
        // their own, so they never reach (and fail) a transaction shared with other respondents.
        if let Err(errors) = check_storable(&save) {
            out.push(invalid(value(), errors));
            continue;
        }
        if let Some(&first) = by_revision.get(&save.revision) {
            if same_content(&out[first], &save) {
                out.push(Checked::Repeat { page_id: save.page_id, revision: save.revision });
            } else {
                let message = format!("revision {} is used twice in this batch with different content", save.revision);
                out.push(invalid(value(), vec![AnswerError::new("revision", message)]));
            }
            continue;
        }
        by_revision.insert(save.revision, out.len());
        out.push(Checked::Valid(save));
    }

    // Answer checks, in revision order, each against the saves of the batch that came before it.
    let valid: Vec<usize> = (0..out.len()).filter(|&i| matches!(out[i], Checked::Valid(_))).collect();
    let saves: Vec<&PageSave> = valid
        .iter()
        .filter_map(|&i| match &out[i] {
            Checked::Valid(s) => Some(s),
            _ => None,
        })
        .collect();
    let failures: Vec<(usize, Vec<AnswerError>)> = quire_shared::batch::check_saves(survey, &saves)
        .into_iter()
        .zip(&valid)
        .filter_map(|(r, &i)| r.err().map(|e| (i, e)))
        .collect();
    for (i, errors) in failures {
        if let Checked::Valid(save) = &out[i] {
            let raw = serde_json::to_value(save).unwrap_or_default();
            let (page_id, revision) = (Some(save.page_id.clone()), Some(save.revision));
            out[i] = Checked::Invalid { raw, page_id, revision, errors };
        }
    }
    out
}

pub(crate) fn same_content(first: &Checked, save: &PageSave) -> bool {
    match first {
        Checked::Valid(f) => f.page_id == save.page_id && f.answers == save.answers,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use quire_shared::sample::answer_page;
    use serde_json::{json, Value};

    use super::*;

    fn survey() -> ValidSurvey {
        ValidSurvey::parse(include_str!("../../../shared/fixtures/school-climate.json")).unwrap()
    }

    /// A value a hostile client might put anywhere: extremes, wrong types, U+0000, far-off times.
    fn hostile() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("9999-12-31T23:59:59-23:59")),
            Just(json!("0000-01-01T00:00:00+23:59")),
            Just(json!({"text": "\u{0}"})),
            Just(json!({"matrix": {"\u{0}": "1"}})),
            Just(json!([1, [2, [3]]])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Valid saves with one field replaced by something hostile: the batch check never panics, and whatever it
        /// lets through to a group is storable.
        #[test]
        fn any_sync_batch_is_checked_without_panic_and_only_storable_saves_pass(
            edits in prop::collection::vec((0usize..8, hostile()), 1..6),
        ) {
            let survey = survey();
            let pages = &survey.survey().pages;
            let mut raw = Vec::new();
            for (i, (field, value)) in edits.into_iter().enumerate() {
                let page = &pages[i % pages.len()];
                let mut save = json!({"page_id": page.id, "revision": i as u64 + 1,
                    "answers": answer_page(page, i as u64), "client_time": "2026-11-29T10:00:00Z"});
                let key = ["page_id", "revision", "answers", "client_time", "finishes", "draft", "extra", "answers"][field];
                if field == 7 {
                    save["answers"]["q\u{0}"] = value;
                } else {
                    save[key] = value;
                }
                let text = serde_json::value::RawValue::from_string(save.to_string());
                prop_assert!(text.is_ok());
                raw.extend(text.ok());
            }
            // What reaches a group holds nothing PostgreSQL refuses (checked here directly, not with the function
            // under test): no U+0000 anywhere, a time the driver can encode.
            for checked in check_batch(&survey, raw) {
                if let Checked::Valid(save) = checked {
                    let text = serde_json::to_string(&save).unwrap_or_default();
                    prop_assert!(!text.contains("\\u0000"), "{text}");
                    let t = save.client_time.unix_timestamp();
                    prop_assert!((946_684_800..4_102_444_800).contains(&t), "{t}");
                }
            }
        }
    }
}

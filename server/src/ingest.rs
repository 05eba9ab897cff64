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

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use quire_shared::{
    validate_page_answers, Ack, AckStatus, AnswerError, AnswerSource, Lookup, PageAnswers, PageSave, SyncReply,
    ValidSurvey, MAX_BATCH_SAVES, MAX_REVISION,
};

use crate::store::{self, Job};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{JsonBody, Respondent};
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

/// Admission control: a sync request beyond `max_sync_in_flight` requests or `max_sync_bytes_in_flight` bytes of
/// bodies is answered 503 with `Retry-After` before its body is read, so overload costs the server almost nothing.
/// A body's size is its `Content-Length` (a body without one is counted at the largest size allowed); one body
/// larger than the whole budget is still let in alone, and `max_body_bytes` bounds it.
pub async fn admit(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let bytes = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(state.config.max_body_bytes);
    let kib = bytes.div_ceil(1024).clamp(1, state.config.max_sync_bytes_in_flight.div_ceil(1024).max(1));
    let permits = state.sync_permits.clone().try_acquire_owned().and_then(|count| {
        let size = state.sync_kib.clone().try_acquire_many_owned(u32::try_from(kib).unwrap_or(u32::MAX))?;
        Ok((count, size))
    });
    match permits {
        Ok(_permits) => next.run(req).await,
        Err(_) => {
            axum::response::IntoResponse::into_response(ApiError::Overloaded("the server is busy; retry shortly"))
        }
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
        let saves = batch.saves;
        tokio::task::spawn_blocking(move || check_batch(&survey, saves))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("batch check failed: {e}")))?
    } else {
        check_batch(&survey, batch.saves)
    };
    let job = Job { respondent: claims.sub, checked };
    let acks = match &state.committer {
        Some(committer) => committer.submit(job).await?,
        None => store::commit(&state.pool, vec![job]).await?.pop().unwrap_or_default(),
    };
    state.metrics.record_batch(&acks);
    state.activity.touch(claims.sub);
    Ok(Json(SyncReply { acks }))
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
#[derive(Debug)]
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

/// Answers of the batch's saves with a lower revision than the one being checked: the server's (partial) view of
/// what the respondent had answered when they made that save.
struct Earlier<'a> {
    survey: &'a ValidSurvey,
    pages: HashMap<&'a str, &'a PageAnswers>,
}

impl AnswerSource for Earlier<'_> {
    fn lookup(&self, question: &str) -> Lookup<'_> {
        let page = self.survey.page_of(question).unwrap_or_default();
        match self.pages.get(page) {
            Some(answers) => answers.get(question).map_or(Lookup::Missing, Lookup::Value),
            None => Lookup::Unknown,
        }
    }
}

fn check_batch(survey: &ValidSurvey, raw: Vec<Box<serde_json::value::RawValue>>) -> Vec<Checked> {
    let mut out: Vec<Checked> = Vec::with_capacity(raw.len());
    let mut by_revision: HashMap<u64, usize> = HashMap::new();
    for text in raw {
        // Parsed straight from the raw text; a tree (`Value`) is built only for a save that goes to quarantine.
        let value = || serde_json::from_str::<serde_json::Value>(text.get()).unwrap_or_default();
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
        if !(1..=MAX_REVISION).contains(&save.revision) {
            out.push(invalid(
                value(),
                vec![AnswerError::new("revision", format!("must be between 1 and {MAX_REVISION}"))],
            ));
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

    // Answer checks, in revision order, each against the saves that came before it.
    let mut order: Vec<usize> = (0..out.len()).filter(|&i| matches!(out[i], Checked::Valid(_))).collect();
    order.sort_by_key(|&i| match &out[i] {
        Checked::Valid(s) => s.revision,
        _ => 0,
    });
    let mut failures: Vec<(usize, Vec<AnswerError>)> = Vec::new();
    {
        let mut earlier = Earlier { survey, pages: HashMap::new() };
        for &i in &order {
            let Checked::Valid(save) = &out[i] else { continue };
            match validate_page_answers(survey, &save.page_id, &save.answers, &earlier, !save.draft) {
                Ok(()) => {
                    earlier.pages.insert(&save.page_id, &save.answers);
                }
                Err(errors) => failures.push((i, errors)),
            }
        }
    }
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

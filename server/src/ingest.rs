//! `POST /api/v1/sync`: batched, idempotent page-saves.
//!
//! Policy:
//! - every save is validated against the survey version in memory, with the same functions the client runs;
//! - valid saves are written with one bulk statement per table (UNNEST arrays) in one short transaction;
//! - (respondent, revision) is the idempotency key: a replay writes nothing, and a lower revision never replaces
//!   a higher one as the page's current answers, whatever order batches arrive in;
//! - an invalid save is rejected with its reasons and kept raw in `quarantine`; it never blocks the others;
//! - the reply is sent only after the transaction has committed.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::State;
use axum::Json;
use quire_shared::{
    validate_page_answers, Ack, AckStatus, AnswerError, AnswerSource, Lookup, PageAnswers, PageSave, SyncReply,
    ValidSurvey, MAX_BATCH_SAVES, MAX_REVISION,
};
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::{JsonBody, Respondent};
use crate::AppState;

/// The batch as it arrives: saves stay raw until each is parsed on its own, so one malformed save cannot sink the
/// batch and its exact bytes can go to quarantine.
#[derive(Deserialize)]
pub struct RawBatch {
    respondent_id: Uuid,
    saves: Vec<serde_json::Value>,
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
    let checked = check_batch(&survey, batch.saves);
    let acks = commit(&state.pool, claims.sub, checked).await?;
    state.metrics.record_batch(&acks);
    Ok(Json(SyncReply { acks }))
}

/// One save after validation.
#[derive(Debug)]
enum Checked {
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

fn check_batch(survey: &ValidSurvey, raw: Vec<serde_json::Value>) -> Vec<Checked> {
    let mut out: Vec<Checked> = Vec::with_capacity(raw.len());
    let mut by_revision: HashMap<u64, usize> = HashMap::new();
    for value in raw {
        let invalid = |raw: serde_json::Value, errors: Vec<AnswerError>| {
            let page_id = raw.get("page_id").and_then(|v| v.as_str()).map(str::to_owned);
            let revision = raw.get("revision").and_then(|v| v.as_u64());
            Checked::Invalid { raw, page_id, revision, errors }
        };
        let save: PageSave = match serde_path_to_error::deserialize(&value) {
            Ok(s) => s,
            Err(e) => {
                let field = e.path().to_string();
                let error =
                    AnswerError::new(if field == "." { "save".to_owned() } else { field }, e.into_inner().to_string());
                out.push(invalid(value, vec![error]));
                continue;
            }
        };
        if !(1..=MAX_REVISION).contains(&save.revision) {
            out.push(invalid(
                value,
                vec![AnswerError::new("revision", format!("must be between 1 and {MAX_REVISION}"))],
            ));
            continue;
        }
        if let Some(&first) = by_revision.get(&save.revision) {
            if same_content(&out[first], &save) {
                out.push(Checked::Repeat { page_id: save.page_id, revision: save.revision });
            } else {
                let message = format!("revision {} is used twice in this batch with different content", save.revision);
                out.push(invalid(value, vec![AnswerError::new("revision", message)]));
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

fn same_content(first: &Checked, save: &PageSave) -> bool {
    match first {
        Checked::Valid(f) => f.page_id == save.page_id && f.answers == save.answers,
        _ => false,
    }
}

/// Writes a checked batch of one respondent and returns one ack per save, after commit.
async fn commit(pool: &PgPool, respondent: Uuid, checked: Vec<Checked>) -> Result<Vec<Ack>, ApiError> {
    let valid: Vec<(usize, &PageSave)> = checked
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Checked::Valid(s) => Some((i, s)),
            _ => None,
        })
        .collect();
    let mut status: HashMap<usize, AckStatus> = HashMap::new();
    let mut quarantine: Vec<(serde_json::Value, Vec<AnswerError>)> = Vec::new();
    for c in &checked {
        if let Checked::Invalid { raw, errors, .. } = c {
            quarantine.push((raw.clone(), errors.clone()));
        }
    }

    let mut tx = pool.begin().await?;
    let inserted: HashSet<i64> = if valid.is_empty() {
        HashSet::new()
    } else {
        let answers: Vec<serde_json::Value> =
            valid.iter().map(|(_, s)| serde_json::to_value(&s.answers).unwrap_or_default()).collect();
        let rows: Vec<(i64,)> = sqlx::query_as(
            "insert into page_saves (respondent_id, revision, page_id, answers, client_time, finishes, draft)
             select $1, * from unnest($2::int8[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::bool[], $7::bool[])
             on conflict do nothing
             returning revision",
        )
        .bind(respondent)
        .bind(valid.iter().map(|(_, s)| s.revision as i64).collect::<Vec<_>>())
        .bind(valid.iter().map(|(_, s)| s.page_id.clone()).collect::<Vec<_>>())
        .bind(&answers)
        .bind(valid.iter().map(|(_, s)| s.client_time).collect::<Vec<OffsetDateTime>>())
        .bind(valid.iter().map(|(_, s)| s.finishes).collect::<Vec<_>>())
        .bind(valid.iter().map(|(_, s)| s.draft).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        rows.into_iter().map(|(r,)| r).collect()
    };

    // Revisions already stored: a true replay is a duplicate; the same revision with other content is a client bug
    // whose data must not be dropped, so it goes to quarantine.
    let conflicts: Vec<(usize, &PageSave)> =
        valid.iter().filter(|(_, s)| !inserted.contains(&(s.revision as i64))).copied().collect();
    if !conflicts.is_empty() {
        let stored: Vec<(i64, String, sqlx::types::Json<PageAnswers>)> = sqlx::query_as(
            "select revision, page_id, answers from page_saves
             where respondent_id = $1 and revision = any($2::int8[])",
        )
        .bind(respondent)
        .bind(conflicts.iter().map(|(_, s)| s.revision as i64).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        let stored: HashMap<i64, (String, PageAnswers)> = stored.into_iter().map(|(r, p, a)| (r, (p, a.0))).collect();
        for (i, save) in conflicts {
            match stored.get(&(save.revision as i64)) {
                Some((page, answers)) if *page == save.page_id && *answers == save.answers => {
                    status.insert(i, AckStatus::Duplicate);
                }
                _ => {
                    let errors = vec![AnswerError::new(
                        "revision",
                        format!("revision {} is already stored with different content", save.revision),
                    )];
                    quarantine.push((serde_json::to_value(save).unwrap_or_default(), errors.clone()));
                    status.insert(i, AckStatus::Rejected { errors });
                }
            }
        }
    }

    // The highest new revision of each page competes with what is current; the upsert keeps whichever is higher.
    let new: Vec<&PageSave> =
        valid.iter().filter(|(_, s)| inserted.contains(&(s.revision as i64))).map(|(_, s)| *s).collect();
    let mut latest: BTreeMap<&str, &PageSave> = BTreeMap::new();
    for s in &new {
        let e = latest.entry(s.page_id.as_str()).or_insert(s);
        if s.revision > e.revision {
            *e = s;
        }
    }
    let current: HashSet<i64> = if latest.is_empty() {
        HashSet::new()
    } else {
        // BTreeMap order = page order in the statement: concurrent batches lock rows in the same order, so they
        // cannot deadlock.
        let rows: Vec<(i64,)> = sqlx::query_as(
            "insert into current_answers as c (respondent_id, page_id, revision, answers)
             select $1, * from unnest($2::text[], $3::int8[], $4::jsonb[])
             on conflict (respondent_id, page_id) do update
                set revision = excluded.revision, answers = excluded.answers, updated_at = now()
                where c.revision < excluded.revision
             returning revision",
        )
        .bind(respondent)
        .bind(latest.keys().map(|p| p.to_string()).collect::<Vec<_>>())
        .bind(latest.values().map(|s| s.revision as i64).collect::<Vec<_>>())
        .bind(latest.values().map(|s| serde_json::to_value(&s.answers).unwrap_or_default()).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        rows.into_iter().map(|(r,)| r).collect()
    };

    if let Some(top) = new.iter().max_by_key(|s| s.revision) {
        let finishes = new.iter().any(|s| s.finishes);
        sqlx::query(
            "insert into respondent_progress as p (respondent_id, last_page, last_revision, last_activity, completed_at)
             values ($1, $2, $3, now(), case when $4 then now() end)
             on conflict (respondent_id) do update set
                last_page = case when excluded.last_revision > p.last_revision then excluded.last_page else p.last_page end,
                last_revision = greatest(p.last_revision, excluded.last_revision),
                last_activity = excluded.last_activity,
                completed_at = coalesce(p.completed_at, excluded.completed_at)",
        )
        .bind(respondent)
        .bind(&top.page_id)
        .bind(top.revision as i64)
        .bind(finishes)
        .execute(&mut *tx)
        .await?;
    }

    if !quarantine.is_empty() {
        sqlx::query(
            "insert into quarantine (respondent_id, payload, errors)
             select $1, * from unnest($2::jsonb[], $3::jsonb[])",
        )
        .bind(respondent)
        .bind(quarantine.iter().map(|(raw, _)| raw.clone()).collect::<Vec<_>>())
        .bind(quarantine.iter().map(|(_, e)| serde_json::to_value(e).unwrap_or_default()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    let acks = checked
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            let (page_id, revision, st) = match c {
                Checked::Valid(s) => {
                    let st = status.remove(&index).unwrap_or_else(|| {
                        // `current` holds the revisions that became their page's current answers.
                        if current.contains(&(s.revision as i64)) {
                            AckStatus::Stored
                        } else {
                            AckStatus::Superseded
                        }
                    });
                    (Some(s.page_id), Some(s.revision), st)
                }
                Checked::Repeat { page_id, revision } => (Some(page_id), Some(revision), AckStatus::Duplicate),
                Checked::Invalid { page_id, revision, errors, .. } => {
                    (page_id, revision, AckStatus::Rejected { errors })
                }
            };
            Ack { index, page_id, revision, status: st }
        })
        .collect();
    Ok(acks)
}

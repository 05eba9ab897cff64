//! Writing checked page-saves: one statement (every table's bulk write in data-modifying CTEs, one implicit
//! transaction, one round trip) for any number of requests (jobs) of any number of respondents. `group_commit` calls
//! it with the jobs of many concurrent requests at once.
//!
//! Lock order, and so freedom from deadlocks between concurrent groups, is explained at `COMMIT_SQL`.

use std::collections::{HashMap, HashSet};

use quire_shared::storable::MAX_REVISION_STEP;
use quire_shared::{Ack, AckStatus, AnswerError, PageAnswers, PageSave};
use sqlx::types::Json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ingest::check::Checked;

/// The checked saves of one request.
#[derive(Debug)]
pub struct Job {
    pub respondent: Uuid,
    pub checked: Vec<Checked>,
}

impl Job {
    pub fn saves(&self) -> usize {
        self.checked.len()
    }
}

/// A valid save and where its ack goes.
struct Row<'a> {
    job: usize,
    index: usize,
    respondent: Uuid,
    save: &'a PageSave,
}

type Key = (Uuid, i64);

fn key(r: &Row<'_>) -> Key {
    (r.respondent, r.save.revision as i64)
}

fn conflict_error(revision: u64) -> Vec<AnswerError> {
    vec![AnswerError::new("revision", format!("revision {revision} is already stored with different content"))]
}

fn step_error(revision: u64) -> Vec<AnswerError> {
    vec![AnswerError::new(
        "revision",
        format!(
            "revision {revision} is more than {MAX_REVISION_STEP} above this respondent's highest stored revision; \
             continue numbering from the last revision the server reported"
        ),
    )]
}

/// A quarantine row: the respondent, the save as received and why it was rejected.
type Quarantined = (Uuid, serde_json::Value, Vec<AnswerError>);

fn quarantine_ids(q: &[Quarantined]) -> Vec<Uuid> {
    q.iter().map(|(id, _, _)| *id).collect()
}

fn quarantine_payloads(q: &[Quarantined]) -> Vec<serde_json::Value> {
    q.iter().map(|(_, raw, _)| scrubbed(raw.clone())).collect()
}

fn quarantine_errors(q: &[Quarantined]) -> Vec<serde_json::Value> {
    q.iter().map(|(_, _, e)| scrubbed(serde_json::to_value(e).unwrap_or_default())).collect()
}

/// `jsonb` cannot hold U+0000, and a save refused for carrying one must still reach quarantine (its rejection is
/// only true once the raw save is kept): every U+0000 in keys and strings becomes U+FFFD, which the save's errors
/// point out.
pub fn scrubbed(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "\u{FFFD}")),
        Value::Array(items) => Value::Array(items.into_iter().map(scrubbed).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter().map(|(k, v)| (quire_shared::storable::printable(&k).into_owned(), scrubbed(v))).collect(),
        ),
        other => other,
    }
}

/// The whole write of a group, as one statement (so one round trip and one implicit transaction): the new saves;
/// for each (respondent, page) the highest new revision competing with what is current (the upsert keeps the
/// higher); each respondent's progress; the dashboard's per-class aggregates; and the group's invalid saves into
/// quarantine. Returns the keys inserted (`true`) and the keys that became their page's current answers (`false`).
///
/// The aggregates (`group_progress`) change only on a respondent's transition, read from the progress upsert: the
/// row was inserted (`xmax = 0`, the first save) or `completed_at` was set by this statement (`now()` is the
/// transaction's start). So ordinary saves do not touch the shared class rows; `activity` records the rest.
///
/// A revision is written only if it is at most `MAX_REVISION_STEP` ($11) above the respondent's highest stored one,
/// so that a device can always continue numbering. Revisions up to the step itself pass without the lookup (`or` is
/// evaluated left to right, so the sub-select runs only for the rare larger ones).
///
/// Rows go into every table sorted by key ((respondent, revision), (respondent, page), respondent, class), so
/// concurrent groups take row locks in the same order and cannot deadlock.
const COMMIT_SQL: &str = "
with ins as (
    insert into page_saves (respondent_id, revision, page_id, answers, client_time, finishes, draft)
    select t.* from unnest($1::uuid[], $2::int8[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::bool[], $7::bool[])
        as t(respondent_id, revision, page_id, answers, client_time, finishes, draft)
    where t.revision <= $11::int8
       or t.revision <= $11::int8 + coalesce(
          (select p.last_revision from respondent_progress p where p.respondent_id = t.respondent_id), 0)
    on conflict do nothing
    returning respondent_id, revision, page_id, finishes
),
cur as (
    insert into current_answers as c (respondent_id, page_id, revision)
    select distinct on (respondent_id, page_id) respondent_id, page_id, revision
    from ins
    order by respondent_id, page_id, revision desc
    on conflict (respondent_id, page_id) do update
       set revision = excluded.revision, updated_at = now()
       where c.revision < excluded.revision
    returning respondent_id, revision
),
up as (
    insert into respondent_progress as p (respondent_id, last_page, last_revision, last_activity, completed_at)
    select distinct on (respondent_id) respondent_id, page_id, revision, now(),
           case when bool_or(finishes) over (partition by respondent_id) then now() end
    from ins
    order by respondent_id, revision desc
    on conflict (respondent_id) do update set
       last_page = case when excluded.last_revision > p.last_revision then excluded.last_page else p.last_page end,
       last_revision = greatest(p.last_revision, excluded.last_revision),
       last_activity = excluded.last_activity,
       completed_at = coalesce(p.completed_at, excluded.completed_at)
    returning respondent_id, xmax = 0 as started, completed_at is not null and completed_at = now() as completed
),
groups as (
    insert into group_progress as g (survey_id, school, class, started, completed, last_activity)
    select r.survey_id, r.school, r.class,
           count(*) filter (where up.started), count(*) filter (where up.completed), now()
    from up
    join respondents r on r.id = up.respondent_id
    where up.started or up.completed
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (survey_id, school, class) do update set
       started = g.started + excluded.started,
       completed = g.completed + excluded.completed,
       last_activity = greatest(g.last_activity, excluded.last_activity)
),
quarantined as (
    insert into quarantine (respondent_id, payload, errors)
    select * from unnest($8::uuid[], $9::jsonb[], $10::jsonb[])
    on conflict do nothing
)
select true, respondent_id, revision from ins
union all
select false, respondent_id, revision from cur";

/// Commits the jobs (one statement, `COMMIT_SQL`; a second only to quarantine a replayed key with other content)
/// and returns each job's acks, in its own order. Nothing is acknowledged unless everything it reports was
/// committed: on any error, every job of the group gets the error, and the client's retry is a safe replay.
pub async fn commit(pool: &PgPool, jobs: &[Job]) -> Result<Vec<Vec<Ack>>, sqlx::Error> {
    let mut plan = Plan::of(jobs);
    let quarantined_now = plan.quarantine.len();
    let written = write(pool, &plan).await?;
    let inserted: HashSet<Key> = written.iter().filter(|w| w.0).map(|w| (w.1, w.2)).collect();
    // `current` holds the revisions that became their page's current answers.
    let current: HashSet<Key> = written.iter().filter(|w| !w.0).map(|w| (w.1, w.2)).collect();
    let conflicts: Vec<&Row<'_>> = plan.rows.iter().filter(|r| !inserted.contains(&key(r))).collect();
    if !conflicts.is_empty() {
        let (status, quarantine) = settle_conflicts(pool, &conflicts).await?;
        plan.status.extend(status);
        plan.quarantine.extend(quarantine);
        quarantine_late(pool, &plan.quarantine[quarantined_now..]).await?;
    }
    // Acks, only now that the transaction is committed.
    Ok(acks(jobs, plan.status, &current))
}

/// What a group writes: its valid saves, each key once, and what goes to quarantine. Saves settled without the
/// database (repeats within the group) already have their status.
struct Plan<'a> {
    rows: Vec<Row<'a>>,
    status: HashMap<(usize, usize), AckStatus>,
    quarantine: Vec<Quarantined>,
}

impl<'a> Plan<'a> {
    fn of(jobs: &'a [Job]) -> Self {
        let mut plan = Plan { rows: Vec::new(), status: HashMap::new(), quarantine: Vec::new() };
        for job in jobs {
            for c in &job.checked {
                if let Checked::Invalid { raw, errors, .. } = c {
                    plan.quarantine.push((job.respondent, raw.clone(), errors.clone()));
                }
            }
        }
        // Valid saves, with repeats across the group's requests settled here: the database sees each key once.
        let mut first_of: HashMap<Key, usize> = HashMap::new();
        for (j, job) in jobs.iter().enumerate() {
            for (index, c) in job.checked.iter().enumerate() {
                let Checked::Valid(save) = c else { continue };
                let row = Row { job: j, index, respondent: job.respondent, save };
                match first_of.get(&key(&row)) {
                    Some(&f)
                        if plan.rows[f].save.page_id == save.page_id && plan.rows[f].save.answers == save.answers =>
                    {
                        plan.status.insert((j, index), AckStatus::Duplicate);
                    }
                    Some(_) => {
                        let errors = conflict_error(save.revision);
                        plan.quarantine.push((
                            job.respondent,
                            serde_json::to_value(save).unwrap_or_default(),
                            errors.clone(),
                        ));
                        plan.status.insert((j, index), AckStatus::Rejected { errors });
                    }
                    None => {
                        first_of.insert(key(&row), plan.rows.len());
                        plan.rows.push(row);
                    }
                }
            }
        }
        plan.rows.sort_by_key(key);
        plan
    }
}

/// One statement: every table's rows and this group's quarantine, committed together in one round trip (none when
/// every save was a repeat within the batch). Returns (inserted into history, respondent, revision) rows.
async fn write(pool: &PgPool, plan: &Plan<'_>) -> Result<Vec<(bool, Uuid, i64)>, sqlx::Error> {
    let (rows, quarantine) = (&plan.rows, &plan.quarantine);
    if rows.is_empty() && quarantine.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(COMMIT_SQL)
        .bind(rows.iter().map(|r| r.respondent).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.save.revision as i64).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.save.page_id.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| Json(&r.save.answers)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.save.client_time).collect::<Vec<OffsetDateTime>>())
        .bind(rows.iter().map(|r| r.save.finishes).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.save.draft).collect::<Vec<_>>())
        .bind(quarantine_ids(quarantine))
        .bind(quarantine_payloads(quarantine))
        .bind(quarantine_errors(quarantine))
        .bind(MAX_REVISION_STEP as i64)
        .fetch_all(pool)
        .await
}

type Settled = (HashMap<(usize, usize), AckStatus>, Vec<Quarantined>);

/// Keys that were already stored: a true replay is a duplicate; the same key with other content is a client bug whose
/// data must not be dropped, so it goes to quarantine. Stored saves never change, so reading them after the commit is
/// as good as inside it. Runs only when there are such keys (replays after a lost answer).
async fn settle_conflicts(pool: &PgPool, conflicts: &[&Row<'_>]) -> Result<Settled, sqlx::Error> {
    let stored: Vec<(Uuid, i64, String, sqlx::types::Json<PageAnswers>)> = sqlx::query_as(
        "select p.respondent_id, p.revision, p.page_id, p.answers
         from page_saves p
         join unnest($1::uuid[], $2::int8[]) as t(respondent_id, revision) using (respondent_id, revision)",
    )
    .bind(conflicts.iter().map(|r| r.respondent).collect::<Vec<_>>())
    .bind(conflicts.iter().map(|r| r.save.revision as i64).collect::<Vec<_>>())
    .fetch_all(pool)
    .await?;
    let stored: HashMap<Key, (String, PageAnswers)> =
        stored.into_iter().map(|(id, rev, page, answers)| ((id, rev), (page, answers.0))).collect();
    let (mut status, mut quarantine) = (HashMap::new(), Vec::new());
    for r in conflicts {
        match stored.get(&key(r)) {
            Some((page, answers)) if *page == r.save.page_id && *answers == r.save.answers => {
                status.insert((r.job, r.index), AckStatus::Duplicate);
            }
            stored_other => {
                let errors = match stored_other {
                    Some(_) => conflict_error(r.save.revision),
                    // Not stored at all: the statement's revision bound held it back.
                    None => step_error(r.save.revision),
                };
                quarantine.push((r.respondent, serde_json::to_value(r.save).unwrap_or_default(), errors.clone()));
                status.insert((r.job, r.index), AckStatus::Rejected { errors });
            }
        }
    }
    Ok((status, quarantine))
}

async fn quarantine_late(pool: &PgPool, late: &[Quarantined]) -> Result<(), sqlx::Error> {
    if late.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into quarantine (respondent_id, payload, errors)
         select * from unnest($1::uuid[], $2::jsonb[], $3::jsonb[])
         on conflict do nothing",
    )
    .bind(quarantine_ids(late))
    .bind(quarantine_payloads(late))
    .bind(quarantine_errors(late))
    .execute(pool)
    .await?;
    Ok(())
}

/// Each job's acks in its own order: a valid save without a settled status was stored, or superseded by a higher
/// revision of its page.
fn acks(jobs: &[Job], mut status: HashMap<(usize, usize), AckStatus>, current: &HashSet<Key>) -> Vec<Vec<Ack>> {
    let ack = |j: usize, respondent: Uuid, index: usize, c: &Checked, status: &mut HashMap<_, _>| {
        let (page_id, revision, st) = match c {
            Checked::Valid(s) => {
                let st = status.remove(&(j, index)).unwrap_or_else(|| {
                    if current.contains(&(respondent, s.revision as i64)) {
                        AckStatus::Stored
                    } else {
                        AckStatus::Superseded
                    }
                });
                (Some(s.page_id.clone()), Some(s.revision), st)
            }
            Checked::Repeat { page_id, revision } => (Some(page_id.clone()), Some(*revision), AckStatus::Duplicate),
            Checked::Invalid { page_id, revision, errors, .. } => {
                (page_id.clone(), *revision, AckStatus::Rejected { errors: errors.clone() })
            }
        };
        Ack { index, page_id, revision, status: st }
    };
    jobs.iter()
        .enumerate()
        .map(|(j, job)| {
            job.checked.iter().enumerate().map(|(i, c)| ack(j, job.respondent, i, c, &mut status)).collect()
        })
        .collect()
}

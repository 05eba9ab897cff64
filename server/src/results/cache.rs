//! A school's counts, computed from that school's respondents (their active answers, by the shared visibility rule
//! and each respondent's own version) and kept in `result_counts` with the time they were computed and a fingerprint
//! of the school's activity (its rows of `group_progress`: people, started, completed, last activity; and the
//! survey's newest version). A results page recomputes only the schools whose fingerprint moved, so a page view reads
//! one row per school instead of every respondent: for the levels above a school only its `Summary` (step 1 of
//! `levels`, made when the counts are), for a school's own page its classes. The levels above accept a school's
//! counts up to `UPPER_MAX_AGE` old, so that during a survey window a state's page does not recount every school.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::TryStreamExt;
use quire_shared::roster;
use quire_shared::visibility::active_by_question;
use quire_shared::ValidSurvey;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::local::{decide_school, AtomCounts, Summary};
use super::tables::{width, Table};
use crate::analysis::read;

/// One school as the results read it.
#[derive(Debug, Clone)]
pub struct School {
    pub school: String,
    pub district: Option<String>,
    pub invited: u64,
    pub responded: u64,
    pub computed_at: OffsetDateTime,
    /// For the levels above the school, at the survey's current `min_cell`.
    pub summary: Summary,
    /// Its classes and roles: read only when one school is asked for.
    pub atoms: Option<Vec<AtomCounts>>,
}

/// How old a school's counts may be in the views above it (districts, the survey) before they are made again.
pub const UPPER_MAX_AGE: time::Duration = time::Duration::minutes(5);

/// Each school's activity, from the dashboard's aggregates: one row per class, summed per school.
const ACTIVITY_SQL: &str = "select school, sum(total)::int8, sum(started)::int8, sum(completed)::int8,
        max(last_activity)::text
     from group_progress where survey_id = $1 and ($2::text is null or school = $2) group by school order by school";

type Stored = (String, String, i32, Option<String>, i64, i64, sqlx::types::Json<Summary>, OffsetDateTime);

/// Every school of a survey (or just `only`, then with its classes), recomputing those with new activity since they
/// were cached, and the summaries of another `min_cell`. `versions` oldest first, as `read::versions` gives them; the
/// tables are the newest version's.
pub async fn schools(
    pool: &PgPool,
    survey_id: &str,
    only: Option<&str>,
    versions: &[Arc<ValidSurvey>],
    tables: &[Table],
    min_cell: u64,
) -> anyhow::Result<Vec<School>> {
    let newest = versions.last().map(|s| s.version()).unwrap_or_default();
    let activity: Vec<(String, i64, i64, i64, Option<String>)> =
        sqlx::query_as(ACTIVITY_SQL).bind(survey_id).bind(only).fetch_all(pool).await?;
    let stored: Vec<Stored> = sqlx::query_as(
        "select school, fingerprint, summary_min_cell, district, invited, responded, summary, computed_at
         from result_counts where survey_id = $1 and ($2::text is null or school = $2)",
    )
    .bind(survey_id)
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut stored: HashMap<String, Stored> = stored.into_iter().map(|r| (r.0.clone(), r)).collect();
    let mut out = Vec::with_capacity(activity.len());
    let now = OffsetDateTime::now_utc();
    for (school, total, started, completed, last) in activity {
        let fingerprint = format!("{newest}|{total}|{started}|{completed}|{}", last.unwrap_or_default());
        // A school's own page is always current; the levels above take a school's counts up to `UPPER_MAX_AGE` old,
        // so that a state's page view does not count every active school again.
        let fresh = |f: &str, at: OffsetDateTime| f == fingerprint || (only.is_none() && now - at < UPPER_MAX_AGE);
        let row = match stored.remove(&school) {
            Some((_, f, min, district, invited, responded, summary, computed_at)) if fresh(&f, computed_at) => {
                let mut row = School {
                    school,
                    district,
                    invited: invited as u64,
                    responded: responded as u64,
                    computed_at,
                    summary: summary.0,
                    atoms: None,
                };
                if only.is_some() || min as u64 != min_cell {
                    resummarize(pool, survey_id, &mut row, tables, min_cell, min as u64 != min_cell).await?;
                }
                row
            }
            _ => refresh(pool, survey_id, &school, &fingerprint, versions, tables, min_cell).await?,
        };
        out.push(row);
    }
    if only.is_none() {
        out.iter_mut().for_each(|s| s.atoms = None);
    }
    Ok(out)
}

/// Reads a school's classes; when `store`, its summary for `min_cell` is made again and kept.
async fn resummarize(
    pool: &PgPool,
    survey_id: &str,
    row: &mut School,
    tables: &[Table],
    min_cell: u64,
    store: bool,
) -> anyhow::Result<()> {
    let (atoms,): (sqlx::types::Json<Vec<AtomCounts>>,) =
        sqlx::query_as("select counts from result_counts where survey_id = $1 and school = $2")
            .bind(survey_id)
            .bind(&row.school)
            .fetch_one(pool)
            .await?;
    if store {
        row.summary = decide_school(&atoms.0, tables, min_cell).summary(&atoms.0, tables);
        sqlx::query(
            "update result_counts set summary = $3, summary_min_cell = $4 where survey_id = $1 and school = $2",
        )
        .bind(survey_id)
        .bind(&row.school)
        .bind(sqlx::types::Json(&row.summary))
        .bind(min_cell as i32)
        .execute(pool)
        .await?;
    }
    row.atoms = Some(atoms.0);
    Ok(())
}

/// Counts one school from its respondents and stores them.
#[tracing::instrument(skip(pool, versions, tables))]
async fn refresh(
    pool: &PgPool,
    survey_id: &str,
    school: &str,
    fingerprint: &str,
    versions: &[Arc<ValidSurvey>],
    tables: &[Table],
    min_cell: u64,
) -> anyhow::Result<School> {
    let by_version: HashMap<&str, &ValidSurvey> = versions.iter().map(|s| (s.version(), &**s)).collect();
    let newest = versions.last().map(|s| &**s);
    let mut atoms: BTreeMap<(String, String), (AtomCounts, Vec<u64>)> = BTreeMap::new();
    let n = width(tables);
    let mut respondents = std::pin::pin!(read::respondents(pool, survey_id, Some(school)));
    while let Some(mut r) = respondents.try_next().await? {
        let (atom, dense) = atoms.entry((r.class.clone(), r.role.clone())).or_insert_with(|| {
            (AtomCounts { class: r.class.clone(), role: r.role.clone(), ..AtomCounts::default() }, vec![0; n])
        });
        atom.invited += 1;
        if r.first_save.is_none() && r.last_activity.is_none() && r.completed_at.is_none() {
            continue;
        }
        atom.responded += 1;
        let Some(survey) = r.version.as_deref().and_then(|v| by_version.get(v).copied()).or(newest) else {
            continue;
        };
        // The roster's answers count as the export counts them (quire_shared::roster): the app does not send them.
        roster::fill(survey, &mut r.pages, &r.roster);
        let active = active_by_question(survey, &r.pages);
        for t in tables {
            if let Some(answer) = active.0.get(t.question.as_str()) {
                t.add(answer, &mut dense[t.offset..t.offset + t.shape().vars()]);
            }
        }
    }
    let (district,): (Option<String>,) =
        sqlx::query_as("select max(district) from respondents where survey_id = $1 and school = $2")
            .bind(survey_id)
            .bind(school)
            .fetch_one(pool)
            .await?;
    let atoms: Vec<AtomCounts> = atoms
        .into_values()
        .map(|(mut atom, dense)| {
            atom.counts = dense.into_iter().enumerate().filter(|(_, c)| *c > 0).map(|(i, c)| (i as u32, c)).collect();
            atom
        })
        .collect();
    let summary = decide_school(&atoms, tables, min_cell).summary(&atoms, tables);
    let (invited, responded) = atoms.iter().fold((0, 0), |(i, r), a| (i + a.invited, r + a.responded));
    let (computed_at,): (OffsetDateTime,) = sqlx::query_as(
        "insert into result_counts (survey_id, school, fingerprint, district, invited, responded, counts, summary,
                                    summary_min_cell, computed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
         on conflict (survey_id, school) do update
             set fingerprint = excluded.fingerprint, district = excluded.district, invited = excluded.invited,
                 responded = excluded.responded, counts = excluded.counts, summary = excluded.summary,
                 summary_min_cell = excluded.summary_min_cell, computed_at = excluded.computed_at
         returning computed_at",
    )
    .bind(survey_id)
    .bind(school)
    .bind(fingerprint)
    .bind(&district)
    .bind(invited as i64)
    .bind(responded as i64)
    .bind(sqlx::types::Json(&atoms))
    .bind(sqlx::types::Json(&summary))
    .bind(min_cell as i32)
    .fetch_one(pool)
    .await?;
    Ok(School { school: school.to_owned(), district, invited, responded, computed_at, summary, atoms: Some(atoms) })
}

//! A school's counts, computed from that school's respondents (their active answers, by the shared visibility rule
//! and each respondent's own version) and kept in `result_counts` with the time they were computed and a fingerprint
//! of the school's activity (its rows of `group_progress`: people, started, completed, last activity; and the
//! survey's newest version). A results page recomputes only the schools whose fingerprint moved, so a page view reads
//! one row per school instead of every respondent.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::TryStreamExt;
use quire_shared::visibility::active_by_question;
use quire_shared::ValidSurvey;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;

use super::tables::{width, Table};
use crate::analysis::read;

/// The people of one class with one role, and what they answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AtomCounts {
    pub class: String,
    pub role: String,
    /// On the roster.
    pub invited: u64,
    /// Saved at least one page (the survey's "responded").
    pub responded: u64,
    /// The tables' counts, one after another (`Table::offset`).
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SchoolCounts {
    pub district: Option<String>,
    pub atoms: Vec<AtomCounts>,
}

impl SchoolCounts {
    pub fn invited(&self) -> u64 {
        self.atoms.iter().map(|a| a.invited).sum()
    }

    pub fn responded(&self) -> u64 {
        self.atoms.iter().map(|a| a.responded).sum()
    }
}

/// One school's cached counts and when they were computed.
#[derive(Debug, Clone)]
pub struct Cached {
    pub school: String,
    pub counts: SchoolCounts,
    pub computed_at: OffsetDateTime,
}

/// Each school's activity, from the dashboard's aggregates: one row per class, summed per school.
const ACTIVITY_SQL: &str = "select school, sum(total)::int8, sum(started)::int8, sum(completed)::int8,
        max(last_activity)::text
     from group_progress where survey_id = $1 and ($2::text is null or school = $2) group by school order by school";

/// The counts of every school of a survey (or just `only`), recomputing those with new activity since they were
/// cached. `versions` oldest first, as `read::versions` gives them; the tables are the newest version's.
pub async fn schools(
    pool: &PgPool,
    survey_id: &str,
    only: Option<&str>,
    versions: &[Arc<ValidSurvey>],
    tables: &[Table],
) -> anyhow::Result<Vec<Cached>> {
    let newest = versions.last().map(|s| s.version()).unwrap_or_default();
    let activity: Vec<(String, i64, i64, i64, Option<String>)> =
        sqlx::query_as(ACTIVITY_SQL).bind(survey_id).bind(only).fetch_all(pool).await?;
    let stored: Vec<(String, String, sqlx::types::Json<SchoolCounts>, OffsetDateTime)> = sqlx::query_as(
        "select school, fingerprint, counts, computed_at from result_counts
         where survey_id = $1 and ($2::text is null or school = $2)",
    )
    .bind(survey_id)
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut stored: HashMap<String, (String, SchoolCounts, OffsetDateTime)> =
        stored.into_iter().map(|(s, f, c, at)| (s, (f, c.0, at))).collect();
    let mut out = Vec::with_capacity(activity.len());
    for (school, total, started, completed, last) in activity {
        let fingerprint = format!("{newest}|{total}|{started}|{completed}|{}", last.unwrap_or_default());
        let cached = match stored.remove(&school) {
            Some((f, counts, at)) if f == fingerprint => Cached { school, counts, computed_at: at },
            _ => refresh(pool, survey_id, &school, &fingerprint, versions, tables).await?,
        };
        out.push(cached);
    }
    Ok(out)
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
) -> anyhow::Result<Cached> {
    let by_version: HashMap<&str, &ValidSurvey> = versions.iter().map(|s| (s.version(), &**s)).collect();
    let newest = versions.last().map(|s| &**s);
    let mut atoms: BTreeMap<(String, String), AtomCounts> = BTreeMap::new();
    let n = width(tables);
    let mut respondents = std::pin::pin!(read::respondents(pool, survey_id, Some(school)));
    while let Some(r) = respondents.try_next().await? {
        let atom = atoms.entry((r.class.clone(), r.role.clone())).or_insert_with(|| AtomCounts {
            class: r.class.clone(),
            role: r.role.clone(),
            counts: vec![0; n],
            ..AtomCounts::default()
        });
        atom.invited += 1;
        if r.first_save.is_none() && r.last_activity.is_none() && r.completed_at.is_none() {
            continue;
        }
        atom.responded += 1;
        let Some(survey) = r.version.as_deref().and_then(|v| by_version.get(v).copied()).or(newest) else {
            continue;
        };
        let active = active_by_question(survey, &r.pages);
        for t in tables {
            if let Some(answer) = active.0.get(t.question.as_str()) {
                t.add(answer, &mut atom.counts[t.offset..t.offset + t.shape().vars()]);
            }
        }
    }
    let (district,): (Option<String>,) =
        sqlx::query_as("select max(district) from respondents where survey_id = $1 and school = $2")
            .bind(survey_id)
            .bind(school)
            .fetch_one(pool)
            .await?;
    let counts = SchoolCounts { district, atoms: atoms.into_values().collect() };
    let (computed_at,): (OffsetDateTime,) = sqlx::query_as(
        "insert into result_counts (survey_id, school, fingerprint, counts, computed_at) values ($1, $2, $3, $4, now())
         on conflict (survey_id, school) do update
             set fingerprint = excluded.fingerprint, counts = excluded.counts, computed_at = excluded.computed_at
         returning computed_at",
    )
    .bind(survey_id)
    .bind(school)
    .bind(fingerprint)
    .bind(sqlx::types::Json(&counts))
    .fetch_one(pool)
    .await?;
    Ok(Cached { school: school.to_owned(), counts, computed_at })
}

//! `quire-bench-admin`: the state-sized dashboard benchmark. Seeds a survey with N respondents (default two million),
//! most with progress and some answers, then times a dashboard refresh (the queries `admin::dashboard` runs) against
//! the same figures counted from the respondents themselves, side by side in one run; then the results pages
//! (`ResultsTiming`).

use std::time::{Duration, Instant};

use anyhow::Context;
use quire_shared::sample::answer_page;
use quire_shared::ValidSurvey;
use serde::Serialize;
use sqlx::PgPool;

use quire_server::admin::dashboard::{self, SCHOOL_SQL, SURVEY_SQL};
use quire_server::admin::respondents::{self, Filter, Status};
use quire_server::analysis::read;
use quire_server::respondent::surveys::{self, SurveyStore};
use quire_server::results::view::{self, Level, Settings};
use quire_server::results::{cache, tables};

pub const SURVEY_ID: &str = "bench-state";

#[derive(clap::Args, Debug, Clone)]
pub struct BenchConfig {
    /// Respondents in the seeded survey.
    #[arg(long, default_value_t = 2_000_000)]
    pub respondents: i64,
    /// Respondents per school (25 per class).
    #[arg(long, default_value_t = 500)]
    pub per_school: i64,
    /// Dashboard refreshes to time at each level.
    #[arg(long, default_value_t = 200)]
    pub refreshes: usize,
    /// Where the published survey file goes.
    #[arg(long, default_value = "static")]
    pub static_dir: std::path::PathBuf,
    /// Results page views to time at each level (the first, which counts every school, is timed apart).
    #[arg(long, default_value_t = 20)]
    pub results_runs: usize,
    /// Keep the results cache of an earlier run (the "cold" figure is then a warm one).
    #[arg(long)]
    pub results_keep_cache: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct Timing {
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// PostgreSQL's own execution time (EXPLAIN ANALYZE), one run.
    pub db_execution_ms: f64,
    pub rows: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub respondents: i64,
    pub schools: i64,
    pub classes: i64,
    pub seed_seconds: Option<f64>,
    pub survey_level: Timing,
    pub school_level: Timing,
    pub naive_survey_level: Timing,
    /// One school by role (`?school=&by=role`), counted from its respondents.
    pub school_by_role: Timing,
    /// One school's people with their status and last page (`/respondents?school=`), and its not-started ones.
    pub people_list: Timing,
    pub people_not_started: Timing,
    pub results: ResultsTiming,
}

/// The results pages (`admin::results`), without HTTP: the schools' cached counts and the suppression rule.
#[derive(Debug, Serialize)]
pub struct ResultsTiming {
    /// The first view with an empty cache: every school counted from its respondents.
    pub cold_all_schools_ms: f64,
    /// One school counted again from its respondents (new activity there).
    pub one_school_refresh_ms: f64,
    /// A survey-level view from the cache (rows: schools and districts listed).
    pub survey_level: Timing,
    /// A school-level view from the cache (rows: classes).
    pub school_level: Timing,
}

/// Seeds the bench survey unless it already holds `respondents`; returns the seconds spent seeding.
pub async fn seed(pool: &PgPool, cfg: &BenchConfig) -> anyhow::Result<Option<f64>> {
    let have: (i64,) =
        sqlx::query_as("select count(*) from respondents where survey_id = $1").bind(SURVEY_ID).fetch_one(pool).await?;
    if have.0 == cfg.respondents {
        return Ok(None);
    }
    let started = Instant::now();
    let survey = publish_survey(pool, cfg).await?;
    clear(pool).await?;
    insert_respondents(pool, cfg, survey.version()).await?;
    insert_progress_and_answers(pool, &survey).await?;
    count_groups(pool).await?;
    sqlx::query("analyze").execute(pool).await?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

/// Publishes the example survey under the bench's own id.
async fn publish_survey(pool: &PgPool, cfg: &BenchConfig) -> anyhow::Result<ValidSurvey> {
    let example = include_str!("../../shared/fixtures/school-climate.json");
    let mut doc: serde_json::Value = serde_json::from_str(example)?;
    doc["id"] = SURVEY_ID.into();
    let survey = ValidSurvey::parse(&doc.to_string()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    surveys::store_version(pool, &survey, true, &cfg.static_dir).await?;
    Ok(survey)
}

/// Removes whatever an earlier seeding of the bench survey left.
async fn clear(pool: &PgPool) -> anyhow::Result<()> {
    for table in ["current_answers", "page_saves", "respondent_progress"] {
        sqlx::query(&format!(
            "delete from {table} t using respondents r where r.id = t.respondent_id and r.survey_id = $1"
        ))
        .bind(SURVEY_ID)
        .execute(pool)
        .await?;
    }
    sqlx::query("delete from respondents where survey_id = $1").bind(SURVEY_ID).execute(pool).await?;
    sqlx::query("delete from group_progress where survey_id = $1").bind(SURVEY_ID).execute(pool).await?;
    Ok(())
}

/// Respondent i: school i / per_school, class (i % per_school) / 25.
async fn insert_respondents(pool: &PgPool, cfg: &BenchConfig, version: &str) -> anyhow::Result<()> {
    let chunk = 250_000i64;
    let mut from = 0i64;
    while from < cfg.respondents {
        let to = (from + chunk).min(cfg.respondents);
        sqlx::query(
            "insert into respondents (id, survey_id, school, class, role, external_id, access_code, survey_version)
             select gen_random_uuid(), $1, 'School ' || lpad((i / $4)::text, 5, '0'),
                    'Class ' || lpad(((i % $4) / 25)::text, 2, '0'), 'student', 'E' || i,
                    'BENCH' || lpad(i::text, 10, '0'), $5
             from generate_series($2::int8, $3::int8 - 1) as i",
        )
        .bind(SURVEY_ID)
        .bind(from)
        .bind(to)
        .bind(cfg.per_school)
        .bind(version)
        .execute(pool)
        .await?;
        from = to;
        tracing::info!(respondents = to, "seeded");
    }
    Ok(())
}

/// Progress: 70 % started, 45 % completed, last activity within the past hour. Answers: the first two pages of
/// everyone who started (the export then has the survey's full width of columns, most of them empty).
async fn insert_progress_and_answers(pool: &PgPool, survey: &ValidSurvey) -> anyhow::Result<()> {
    sqlx::query(
        "insert into respondent_progress (respondent_id, last_page, last_revision, last_activity, completed_at)
         select id, 'student_05', 2, now() - random() * interval '1 hour',
                case when h < 45 then now() - random() * interval '1 hour' end
         from (select id, abs(hashtext(id::text)) % 100 as h from respondents where survey_id = $1) r
         where h < 70",
    )
    .bind(SURVEY_ID)
    .execute(pool)
    .await?;
    let pages = &survey.survey().pages;
    for (n, page) in pages.iter().take(2).enumerate() {
        let answers = serde_json::to_value(answer_page(page, n as u64))?;
        sqlx::query(
            "with s as (
                insert into page_saves (respondent_id, revision, page_id, answers, client_time, finishes, draft)
                select respondent_id, $2, $3, $4, last_activity, false, false from respondent_progress p
                join respondents r on r.id = p.respondent_id where r.survey_id = $1
                returning respondent_id, revision, page_id)
             insert into current_answers (respondent_id, page_id, revision) select respondent_id, page_id, revision from s",
        )
        .bind(SURVEY_ID)
        .bind(n as i64 + 1)
        .bind(&page.id)
        .bind(answers)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// The aggregates, counted once from scratch (ingest and roster loads keep them from here on).
async fn count_groups(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "insert into group_progress (survey_id, school, class, total, started, completed, last_activity)
         select r.survey_id, r.school, r.class, count(*), count(p.respondent_id), count(p.completed_at), max(p.last_activity)
         from respondents r left join respondent_progress p on p.respondent_id = r.id
         where r.survey_id = $1 group by 1, 2, 3",
    )
    .bind(SURVEY_ID)
    .execute(pool)
    .await?;
    Ok(())
}

/// The naive refresh: the survey-level figures counted from the respondents on every refresh.
const NAIVE_SQL: &str = "select r.school, count(*), count(p.respondent_id), count(p.completed_at), max(p.last_activity)
     from respondents r left join respondent_progress p on p.respondent_id = r.id
     where r.survey_id = $1 group by r.school order by r.school";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn execution_ms(pool: &PgPool, sql: &str, school: Option<&str>) -> anyhow::Result<f64> {
    let explain = format!("explain (analyze, format json) {sql}");
    let mut q = sqlx::query_as::<_, (serde_json::Value,)>(&explain).bind(SURVEY_ID);
    if let Some(s) = school {
        q = q.bind(s.to_owned());
    }
    let (plan,) = q.fetch_one(pool).await?;
    plan[0]["Execution Time"].as_f64().context("no execution time in the plan")
}

async fn time<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<(Vec<Duration>, usize)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let t = Instant::now();
        rows = f(i).await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times, rows))
}

fn timing(times: &[Duration], rows: usize, db_execution_ms: f64) -> Timing {
    Timing {
        runs: times.len(),
        p50_ms: percentile(times, 0.5),
        p95_ms: percentile(times, 0.95),
        max_ms: percentile(times, 1.0),
        db_execution_ms,
        rows,
    }
}

/// Times the results: a cold first view, then views of the survey and of schools from the cache, and one school's
/// refresh.
async fn time_results(pool: &PgPool, schools: &[(String,)], cfg: &BenchConfig) -> anyhow::Result<ResultsTiming> {
    let runs = cfg.results_runs;
    let store = SurveyStore::default();
    let versions = read::versions(pool, &store, SURVEY_ID).await?;
    let newest = versions.last().context("the bench survey has no version")?;
    let tables = tables::tables(newest, &newest.survey().default_language);
    let settings = Settings { min_cell: 5, min_response_rate: 0.5 };
    if !cfg.results_keep_cache {
        sqlx::query("delete from result_counts where survey_id = $1").bind(SURVEY_ID).execute(pool).await?;
    }
    let (versions, tables) = (&versions, &tables);
    let started = Instant::now();
    cache::schools(pool, SURVEY_ID, None, versions, tables, settings.min_cell).await?;
    let cold_all_schools_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (survey_times, survey_rows) = time(runs, |_| async move {
        let all = cache::schools(pool, SURVEY_ID, None, versions, tables, settings.min_cell).await?;
        Ok(view::upper(&all, tables, settings, &Level::Survey, 0).children.len())
    })
    .await?;
    let (school_times, school_rows) = time(runs, |i| {
        let school = schools[(i * 7919) % schools.len()].0.clone();
        async move {
            let one = cache::schools(pool, SURVEY_ID, Some(&school), versions, tables, settings.min_cell).await?;
            let first = one.first().context("no such school")?;
            Ok(view::school(first, tables, settings, &Level::School(school.clone()), 0).children.len())
        }
    })
    .await?;
    let school = &schools[schools.len() / 2].0;
    sqlx::query("delete from result_counts where survey_id = $1 and school = $2")
        .bind(SURVEY_ID)
        .bind(school)
        .execute(pool)
        .await?;
    let started = Instant::now();
    cache::schools(pool, SURVEY_ID, Some(school), versions, tables, settings.min_cell).await?;
    let one_school_refresh_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(ResultsTiming {
        cold_all_schools_ms,
        one_school_refresh_ms,
        survey_level: timing(&survey_times, survey_rows, 0.0),
        school_level: timing(&school_times, school_rows, 0.0),
    })
}

pub async fn run(pool: &PgPool, cfg: &BenchConfig) -> anyhow::Result<Report> {
    let seed_seconds = seed(pool, cfg).await?;
    let schools: Vec<(String,)> =
        sqlx::query_as("select distinct school from group_progress where survey_id = $1 order by 1")
            .bind(SURVEY_ID)
            .fetch_all(pool)
            .await?;
    let (classes,): (i64,) = sqlx::query_as("select count(*) from group_progress where survey_id = $1")
        .bind(SURVEY_ID)
        .fetch_one(pool)
        .await?;
    anyhow::ensure!(!schools.is_empty(), "nothing seeded");

    // The dashboard's own code path (what `GET …/progress` runs), timed from the client side of the pool.
    let (survey_times, survey_rows) =
        time(cfg.refreshes, |_| async { Ok(dashboard::query(pool, SURVEY_ID, None).await?.rows.len()) }).await?;
    let (school_times, school_rows) = time(cfg.refreshes, |i| {
        let school = schools[(i * 7919) % schools.len()].0.clone();
        async move { Ok(dashboard::query(pool, SURVEY_ID, Some(&school)).await?.rows.len()) }
    })
    .await?;
    let (naive_times, naive_rows) =
        time(5, |_| async { Ok(sqlx::query(NAIVE_SQL).bind(SURVEY_ID).fetch_all(pool).await?.len()) }).await?;
    let a_school = schools[schools.len() / 2].0.as_str();
    let pick = |i: usize| schools[(i * 7919) % schools.len()].0.clone();
    let (role_times, role_rows) = time(cfg.refreshes, |i| {
        let school = pick(i);
        async move { Ok(dashboard::query_by(pool, SURVEY_ID, Some(&school), dashboard::By::Role).await?.rows.len()) }
    })
    .await?;
    let people = |status: Option<Status>| {
        time(cfg.refreshes, move |i| {
            let filter = Filter { school: pick(i), class: None, role: None, status };
            async move { Ok(respondents::list(pool, SURVEY_ID, &filter).await?.len()) }
        })
    };
    let (people_times, people_rows) = people(None).await?;
    let (not_started_times, not_started_rows) = people(Some(Status::NotStarted)).await?;
    let role_sql = dashboard::ROLE_SQL.replace("$2::text is null or ", "");
    let list_sql = respondents::LIST_SQL.replace("$3", "null::text").replace("$4", "null::text");
    Ok(Report {
        respondents: cfg.respondents,
        schools: schools.len() as i64,
        classes,
        seed_seconds,
        survey_level: timing(&survey_times, survey_rows, execution_ms(pool, SURVEY_SQL, None).await?),
        school_level: timing(&school_times, school_rows, execution_ms(pool, SCHOOL_SQL, Some(a_school)).await?),
        naive_survey_level: timing(&naive_times, naive_rows, execution_ms(pool, NAIVE_SQL, None).await?),
        school_by_role: timing(&role_times, role_rows, execution_ms(pool, &role_sql, Some(a_school)).await?),
        people_list: timing(
            &people_times,
            people_rows,
            execution_ms(pool, &list_sql.replace("$5", "null::text"), Some(a_school)).await?,
        ),
        people_not_started: timing(
            &not_started_times,
            not_started_rows,
            execution_ms(pool, &list_sql.replace("$5", "'not_started'::text"), Some(a_school)).await?,
        ),
        results: time_results(pool, &schools, cfg).await?,
    })
}

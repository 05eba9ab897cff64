//! Everything a run prepares before the clock starts: its own roster in the database, the HTTP client, the survey
//! (fetched as a respondent gets it) and the run's durations.

use std::sync::Arc;
use std::time::Duration;

use quire_shared::ValidSurvey;
use sqlx::PgPool;
use uuid::Uuid;

use quire_server::respondent::roster::{self, RosterRow};

use crate::load::client::{fetch_survey, sign_in};
use crate::load::options::LoadConfig;
use crate::load::sender::Shared;

/// Respondents signing in at once, whatever the mode.
pub(crate) const PARALLEL_LOGINS: usize = 64;

/// A run ready to start sending.
pub(crate) struct Setup {
    /// The base URL without a trailing slash.
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    /// Access codes of the respondents seeded for this run.
    pub(crate) codes: Vec<String>,
    pub(crate) survey: Arc<ValidSurvey>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) warmup: Duration,
    pub(crate) run_for: Duration,
    pub(crate) drain: Duration,
}

impl Setup {
    /// Seeds the roster, signs the first respondent in to learn the survey, and builds the client every request uses.
    pub(crate) async fn prepare(pool: &PgPool, config: &LoadConfig) -> anyhow::Result<Setup> {
        let base = config.base.trim_end_matches('/').to_owned();
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(usize::MAX).build()?;
        let codes = seed(pool, &config.survey, config.respondent_count()).await?;
        let first = sign_in(&http, &base, &codes[0]).await?;
        let survey = fetch_survey(&http, &base, &first).await?;
        let shared = Arc::new(Shared::new(&base, config.noop)?);
        Ok(Setup {
            base,
            http,
            codes,
            survey: Arc::new(survey),
            shared,
            warmup: Duration::from_secs_f64(config.warmup),
            run_for: Duration::from_secs_f64(config.duration),
            drain: Duration::from_secs_f64(config.drain_timeout),
        })
    }
}

/// Seeds `n` respondents of a school named after this run and returns their codes.
async fn seed(pool: &PgPool, survey: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let school = format!("load-{}", Uuid::new_v4().simple());
    let rows: Vec<RosterRow> = (0..n)
        .map(|i| RosterRow {
            line: 0,
            school: school.clone(),
            class: format!("c{:03}", i / 30),
            role: "student".into(),
            external_id: format!("r{i:07}"),
            name: None,
            district: None,
            grade: None,
            language: None,
        })
        .collect();
    Ok(roster::load(pool, survey, &rows).await?.into_iter().map(|r| r.access_code).collect())
}

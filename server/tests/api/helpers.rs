//! Test harness: a real server on 127.0.0.1:0 over a fresh PostgreSQL database (from `#[sqlx::test]`), loaded with
//! the example survey and a small roster, driven with the shared protocol types.

use std::path::{Path, PathBuf};

use quire_server::config::{Secret, ServeConfig};
use quire_server::ingest::group_commit::CommitFn;
use quire_server::respondent::roster::{self, CodeRow};
use quire_server::respondent::surveys;
use quire_server::{launch, AppState};
use quire_shared::sample::answer_page;
use quire_shared::{LoginResponse, PageSave, SyncBatch, SyncReply, ValidSurvey};
use sqlx::PgPool;
use time::OffsetDateTime;

pub const EXAMPLE: &str = include_str!("../../../shared/fixtures/school-climate.json");
pub const MAX_BODY: usize = 1024 * 1024;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub pool: PgPool,
    pub codes: Vec<CodeRow>,
    pub survey: ValidSurvey,
    pub static_dir: PathBuf,
    pub dist_dir: PathBuf,
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

/// A server with some settings changed, e.g. group commit off.
pub async fn spawn_app_with(pool: PgPool, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    spawn_app_inner(pool, configure, None).await
}

/// A server whose writes go through `commit` instead of `store::commit` (fault injection).
pub async fn spawn_app_with_commit(
    pool: PgPool,
    configure: impl FnOnce(&mut ServeConfig),
    commit: CommitFn,
) -> TestApp {
    spawn_app_inner(pool, configure, Some(commit)).await
}

async fn spawn_app_inner(pool: PgPool, configure: impl FnOnce(&mut ServeConfig), commit: Option<CommitFn>) -> TestApp {
    let dir = std::env::temp_dir().join(format!("quire-test-{}", uuid::Uuid::new_v4()));
    let static_dir = dir.join("static");
    let dist_dir = dir.join("dist");
    std::fs::create_dir_all(&dist_dir).unwrap();
    std::fs::write(dist_dir.join("index.html"), "<!doctype html><title>Quire</title>").unwrap();

    let survey = ValidSurvey::parse(EXAMPLE).unwrap();
    surveys::store_version(&pool, &survey, true, &static_dir).await.unwrap();
    let rows = roster::parse(
        "school,class,role,external_id,name\n\
         Lincoln,4A,student,S1,Ana\nLincoln,4A,student,S2,Ben\nLincoln,4B,student,S3,Cy\nWashington,9A,teacher,T1,Dee\n",
    )
    .unwrap();
    let codes = roster::load(&pool, &survey.survey().id, &rows).await.unwrap();

    let mut config = test_config(&dist_dir, &static_dir);
    configure(&mut config);
    let base = start_node(&pool, config, commit).await;
    TestApp { base, http: reqwest::Client::new(), pool, codes, survey, static_dir, dist_dir }
}

fn test_config(dist_dir: &Path, static_dir: &Path) -> ServeConfig {
    let mut config =
        ServeConfig::new("127.0.0.1:0".parse().unwrap(), Secret::new("test-secret-test-secret-test-secret".into()));
    config.token_ttl_hours = 1;
    config.dist_dir = dist_dir.to_owned();
    config.static_dir = static_dir.to_owned();
    config.max_body_bytes = MAX_BODY;
    // Every test client signs in from 127.0.0.1, the load tests hundreds at once; the limits themselves are tested
    // by the hostile suite, `sign_in_limits`' own tests and `nodes.rs`.
    config.login_per_minute = 1_000_000;
    config.login_failures_per_minute = 1_000_000;
    config
}

/// One `quire serve` on its own port with its own state, over `pool`; returns its base URL.
async fn start_node(pool: &PgPool, config: ServeConfig, commit: Option<CommitFn>) -> String {
    let listener = tokio::net::TcpListener::bind(config.bind).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = match commit {
        Some(commit) => AppState::with_commit(pool.clone(), config, commit).await,
        None => AppState::new(pool.clone(), config).await,
    }
    .unwrap();
    tokio::spawn(launch(listener, state, std::future::pending()));
    base
}

impl TestApp {
    /// A second node on the same database, as behind a load balancer: its own memory, its own (empty) static
    /// folder, the same token secret. `configure` sees the settings this app was started with.
    pub async fn another_node(&self, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let dir = std::env::temp_dir().join(format!("quire-test-{}", uuid::Uuid::new_v4()));
        let static_dir = dir.join("static");
        std::fs::create_dir_all(&static_dir).unwrap();
        let mut config = test_config(&self.dist_dir, &static_dir);
        configure(&mut config);
        let base = start_node(&self.pool, config, None).await;
        TestApp {
            base,
            http: self.http.clone(),
            pool: self.pool.clone(),
            codes: self.codes.clone(),
            survey: self.survey.clone(),
            static_dir,
            dist_dir: self.dist_dir.clone(),
        }
    }

    pub fn code(&self, external_id: &str) -> String {
        self.codes.iter().find(|c| c.external_id == external_id).map(|c| c.access_code.clone()).unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap_or_default()
    }

    pub async fn post_json(&self, path: &str, body: &impl serde::Serialize, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn login(&self, external_id: &str) -> LoginResponse {
        let res =
            self.post_json("/api/v1/login", &serde_json::json!({"access_code": self.code(external_id)}), None).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn sync(&self, login: &LoginResponse, saves: Vec<PageSave>) -> SyncReply {
        let batch = SyncBatch { respondent_id: login.respondent_id, saves };
        let res = self.post_json("/api/v1/sync", &batch, Some(&login.token)).await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        res.json().await.unwrap()
    }

    /// A valid save of page `page_index` (a student's path through the example survey).
    pub fn save(&self, page_index: usize, revision: u64, seed: u64) -> PageSave {
        let page = &self.survey.survey().pages[page_index];
        let mut answers = answer_page(page, seed);
        if page.id == "about" {
            answers.insert("role".into(), quire_shared::AnswerValue::Choice("student".into()));
        }
        PageSave {
            page_id: page.id.clone(),
            revision,
            answers,
            client_time: OffsetDateTime::now_utc(),
            finishes: false,
            draft: false,
        }
    }

    /// Every save of a student's whole journey, page by page along the pages the student sees, the last one
    /// finishing: what a respondent who completes the survey sends (the server records completion only then).
    pub fn journey(&self, first_revision: u64, seed: u64) -> Vec<PageSave> {
        use quire_shared::visibility::{active_answers, next_page, page_answers, AllAnswers};
        let (mut held, mut index, mut saves) = (AllAnswers::new(), 0, Vec::new());
        loop {
            let mut save = self.save(index, first_revision + saves.len() as u64, seed);
            held.insert(save.page_id.clone(), save.answers.clone());
            let active = active_answers(&self.survey, &held);
            save.answers = page_answers(&active, &save.page_id);
            let next = next_page(&self.survey, index, &active);
            save.finishes = next.is_none();
            saves.push(save);
            match next {
                Some(n) => index = n,
                None => return saves,
            }
        }
    }

    /// The index of the survey's last page (`closing`, shown to everyone): where a finishing save goes.
    pub fn last_page(&self) -> usize {
        self.survey.survey().pages.len() - 1
    }

    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) =
            sqlx::query_as(&format!("select count(*) from {table}")).fetch_one(&self.pool).await.unwrap();
        n
    }
}

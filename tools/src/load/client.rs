//! The HTTP calls around the sending: signing in, fetching the survey file, and the `/healthz` probe.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quire_shared::{retry, LoginResponse, ValidSurvey};
use rand::Rng;

use crate::load::respondent::Respondent;
use crate::load::walk::student_path;

/// Signs in, trying again like a patient respondent while the server is unreachable or answers 429/503 (a failover
/// or a busy moment), by the app's own rule (`quire_shared::retry`); gives up after `SIGN_IN_PATIENCE`.
pub(crate) async fn sign_in(http: &reqwest::Client, base: &str, code: &str) -> anyhow::Result<LoginResponse> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let sent =
            http.post(format!("{base}/api/v1/login")).json(&serde_json::json!({ "access_code": code })).send().await;
        let retry_after = match sent {
            Ok(res) if res.status() == 200 => return Ok(res.json().await?),
            Ok(res) if matches!(res.status().as_u16(), 429 | 503) => {
                retry::retry_after_ms(res.headers().get("retry-after").and_then(|v| v.to_str().ok()))
            }
            Ok(res) => anyhow::bail!("login answered {}", res.status()),
            Err(e) if started.elapsed() > SIGN_IN_PATIENCE => return Err(e.into()),
            Err(_) => None,
        };
        anyhow::ensure!(started.elapsed() < SIGN_IN_PATIENCE, "login kept failing for {SIGN_IN_PATIENCE:?}");
        attempt += 1;
        let wait = retry::delay_ms(attempt, retry_after, rand::thread_rng().gen());
        tokio::time::sleep(Duration::from_secs_f64(wait / 1000.0)).await;
    }
}

const SIGN_IN_PATIENCE: Duration = Duration::from_secs(120);

/// The survey file a signed-in respondent is sent to.
pub(crate) async fn fetch_survey(
    http: &reqwest::Client,
    base: &str,
    login: &LoginResponse,
) -> anyhow::Result<ValidSurvey> {
    let text = http.get(format!("{base}{}", login.survey_url)).send().await?.text().await?;
    ValidSurvey::parse(&text).map_err(|e| anyhow::anyhow!("survey file: {e:?}"))
}

/// Signs respondents in, `parallel` at a time.
pub(crate) async fn sign_in_all(
    http: &reqwest::Client,
    base: &str,
    codes: &[String],
    survey: &ValidSurvey,
    parallel: usize,
) -> anyhow::Result<Vec<Respondent>> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let (http, base, code, sem) = (http.clone(), base.to_owned(), code.clone(), sem.clone());
        let path = Arc::new(student_path(survey, i as u64));
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            anyhow::Ok(Respondent::new(sign_in(&http, &base, &code).await?, path))
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// Polls `/healthz` every 50 ms until `done`, returning the slowest answer in ms (a failed probe counts as 30 s).
pub(crate) async fn probe_healthz(http: reqwest::Client, base: String, done: Arc<AtomicBool>) -> f64 {
    let mut worst: f64 = 0.0;
    while !done.load(Ordering::Relaxed) {
        let t = Instant::now();
        let ok = http.get(format!("{base}/healthz")).send().await.map(|r| r.status() == 200).unwrap_or(false);
        let ms = if ok { t.elapsed().as_secs_f64() * 1000.0 } else { 30_000.0 };
        worst = worst.max(ms);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worst
}

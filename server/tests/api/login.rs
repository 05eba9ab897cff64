//! Login: tokens, version pinning, codes typed loosely.

use quire_shared::ValidSurvey;
use sqlx::PgPool;

use crate::helpers::{spawn_app, EXAMPLE};

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn login_gives_token_survey_url_and_empty_resume(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    assert_eq!(login.survey_version, app.survey.version());
    assert_eq!(login.survey_url, format!("/static/surveys/{}.json", app.survey.version()));
    assert_eq!(login.resume, quire_shared::ResumeState::default());
    // The published file is exactly the version it is named after.
    let text = app.get_text(&login.survey_url).await;
    assert_eq!(ValidSurvey::parse(&text).map(|s| s.version().to_owned()).ok(), Some(login.survey_version.clone()));
    // Codes are accepted in lower case with spaces and dashes, as people type them.
    let code = app.code("S1").to_lowercase();
    let loose = format!(" {}-{} {} ", &code[..4], &code[4..8], &code[8..]);
    let res = app.post_json("/api/v1/login", &serde_json::json!({"access_code": loose}), None).await;
    assert_eq!(res.status(), 200);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn respondents_stay_on_the_version_they_started(pool: PgPool) {
    let app = spawn_app(pool).await;
    let started = app.login("S1").await;

    // A new version is published.
    let mut changed: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
    changed["title"]["en"] = "School Climate Survey 2026 (revised)".into();
    let v2 = ValidSurvey::parse(&changed.to_string()).unwrap();
    assert_ne!(v2.version(), app.survey.version());
    quire_server::respondent::surveys::store_version(&app.pool, &v2, true, &app.static_dir).await.unwrap();

    let again = app.login("S1").await;
    assert_eq!(again.survey_version, started.survey_version);
    let newcomer = app.login("S2").await;
    assert_eq!(newcomer.survey_version, v2.version());
    // The server (started before v2 existed) validates the newcomer's saves against v2.
    let reply = app.sync(&newcomer, vec![app.save(1, 1, 1)]).await;
    assert!(reply.acks[0].status.is_accepted(), "{reply:?}");
    // Both files stay published for the respondents on them.
    for v in [app.survey.version(), v2.version()] {
        assert!(app.static_dir.join(format!("surveys/{v}.json")).exists());
    }
}

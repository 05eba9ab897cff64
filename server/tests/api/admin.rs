//! The administrators' side over real PostgreSQL: sign-in, CSRF, roles, uploads, the dashboard's aggregates and
//! the exports.

use std::collections::HashMap;

use quire_server::admin::auth::{create_admin, Role};
use quire_server::admin::dashboard::Progress;
use quire_shared::{AnswerValue, ValidSurvey};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{spawn_app, TestApp, EXAMPLE};

pub const PASSWORD: &str = "a long enough password";
const SURVEY_ID: &str = "school-climate-2026";

/// A signed-in browser: the session cookie and the page's CSRF token.
pub struct AdminSession {
    pub cookie: String,
    pub csrf: String,
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn sign_in_form(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{}/admin/login", app.base))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub async fn admin(app: &TestApp, email: &str, role: Role, school: Option<&str>) -> AdminSession {
    // A coordinator is granted the example survey; administrators need no grant.
    let surveys = if role == Role::Coordinator { vec![SURVEY_ID.to_owned()] } else { Vec::new() };
    create_admin(&app.pool, email, PASSWORD, role, school, &surveys).await.unwrap();
    signed_in(app, email, PASSWORD).await
}

/// Signs in an account that exists with `password`: its session.
pub async fn signed_in(app: &TestApp, email: &str, password: &str) -> AdminSession {
    let res = sign_in_form(app, email, password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let cookie = set.split(';').next().unwrap_or_default().to_owned();
    let page = app
        .http
        .get(format!("{}/admin", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_or_default();
    let csrf = page
        .split(r#"name="csrf-token" content=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!csrf.is_empty(), "{page}");
    AdminSession { cookie, csrf }
}

impl AdminSession {
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.http
            .get(format!("{}{path}", app.base))
            .header(COOKIE, &self.cookie)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, app: &TestApp, path: &str, content_type: &str, body: &str) -> reqwest::Response {
        app.http
            .post(format!("{}{path}", app.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn csv(&self, app: &TestApp, path: &str) -> Vec<HashMap<String, String>> {
        let res = self.get(app, path).await;
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text().await.unwrap_or_default();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                headers.iter().map(str::to_owned).zip(r.iter().map(str::to_owned)).collect()
            })
            .collect()
    }
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    res.json().await.unwrap()
}

pub fn another_survey(id: &str) -> String {
    EXAMPLE.replacen(r#""id": "school-climate-2026""#, &format!(r#""id": "{id}""#), 1)
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn sign_in_uses_a_strict_cookie_and_limits_failures(pool: PgPool) {
    let app = spawn_app(pool).await;
    create_admin(&app.pool, "Boss@Example.org", PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    let stored: (String,) = sqlx::query_as("select password_hash from admins").fetch_one(&app.pool).await.unwrap();
    assert!(stored.0.starts_with("$argon2id$") && !stored.0.contains(PASSWORD));

    let ok = sign_in_form(&app, "boss@example.org", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers().get(LOCATION).and_then(|v| v.to_str().ok()), Some("/admin"));
    let cookie = ok.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");

    for _ in 0..5 {
        assert_eq!(sign_in_form(&app, "boss@example.org", "wrong password!!").await.status(), 401);
    }
    // Locked now, even with the right password.
    let locked = sign_in_form(&app, "boss@example.org", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().get("retry-after").is_some());
    // Unknown accounts fail the same way and leak nothing.
    assert_eq!(sign_in_form(&app, "nobody@example.org", PASSWORD).await.status(), 401);

    // A sign-in posted from another site is refused.
    let cross = no_redirects()
        .post(format!("{}/admin/login", app.base))
        .header("origin", "https://evil.example")
        .form(&[("email", "nobody@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn state_changes_need_the_sessions_csrf_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let versions = app.count("survey_versions").await;
    for token in [None, Some("forged")] {
        let mut req = app
            .http
            .post(format!("{}/admin/surveys", app.base))
            .header(COOKIE, &boss.cookie)
            .header(CONTENT_TYPE, "application/json")
            .body(another_survey("csrf-test"));
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let body = json(res).await;
        assert_eq!(body["error"]["code"], "csrf");
        assert_eq!(body["error"]["field"], "X-CSRF-Token");
    }
    assert_eq!(app.count("survey_versions").await, versions, "nothing stored without the token");
    let res = boss.post(&app, "/admin/surveys", "application/json", &another_survey("csrf-test")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.count("survey_versions").await, versions + 1);

    // Signing out ends the session in the database: the old cookie is useless afterwards.
    assert_eq!(boss.post(&app, "/admin/logout", "application/json", "").await.status(), 200);
    assert_eq!(boss.get(&app, "/admin/surveys/school-climate-2026/progress").await.status(), 401);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn respondent_tokens_and_strangers_get_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    for path in [
        "/admin/surveys/school-climate-2026/progress",
        "/admin/surveys/school-climate-2026/export.csv",
        "/admin/surveys/school-climate-2026/codes.csv",
        "/admin/audit",
    ] {
        let res = app.http.get(format!("{}{path}", app.base)).bearer_auth(&login.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(json(res).await["error"]["code"], "unauthorized");
    }
    let res = app
        .http
        .post(format!("{}/admin/surveys/school-climate-2026/roster", app.base))
        .bearer_auth(&login.token)
        .header(CONTENT_TYPE, "text/csv")
        .body("school,class,role,external_id\nX,1,student,Z\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A browser without a session is sent to the sign-in page.
    let page = no_redirects().get(format!("{}/admin", app.base)).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers().get(LOCATION).and_then(|v| v.to_str().ok()), Some("/admin/login"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn survey_upload_errors_name_the_path_and_store_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let before = (app.count("survey_versions").await, app.count("surveys").await);

    let res = boss.post(&app, "/admin/surveys", "application/json", "{\"id\": ").await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"]["code"], "invalid_survey");

    // Two problems: a duplicate question id and a single-choice question without choices.
    let mut doc: serde_json::Value = serde_json::from_str(&another_survey("broken")).unwrap_or_default();
    let first = doc["pages"][0]["questions"][0]["id"].clone();
    doc["pages"][1]["questions"][0]["id"] = first;
    let res = boss.post(&app, "/admin/surveys", "application/json", &doc.to_string()).await;
    assert_eq!(res.status(), 400);
    let body = json(res).await;
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{body}");
    assert!(
        errors.iter().all(|e| e["path"].as_str().is_some_and(|p| p.starts_with('$')) && e["message"].is_string()),
        "{body}"
    );
    assert!(errors.iter().any(|e| e["path"].as_str().unwrap_or("").contains("pages[1].questions[0]")), "{body}");
    assert_eq!(body["error"]["field"], errors[0]["path"]);

    let huge = format!("{{\"id\": \"{}\"}}", "x".repeat(quire_server::admin::MAX_SURVEY_BYTES));
    let res = boss.post(&app, "/admin/surveys", "application/json", &huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(res).await["error"]["code"], "payload_too_large");

    let res = boss.post(&app, "/admin/surveys", "text/plain", &another_survey("x")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"]["field"], "Content-Type");
    assert_eq!((app.count("survey_versions").await, app.count("surveys").await), before, "nothing stored");

    // A good file is stored as a version, not published until asked. The example is translated throughout: no
    // warnings. Without the Spanish of its first question, that text is listed (stored all the same).
    let body =
        json(boss.post(&app, "/admin/surveys", "application/json", &another_survey("district-2027")).await).await;
    assert_eq!(body["warnings"], serde_json::json!([]), "{body}");
    let version = body["version"].as_str().unwrap_or_default().to_owned();
    let mut gap: serde_json::Value = serde_json::from_str(&another_survey("gap-2027")).unwrap_or_default();
    if let Some(text) = gap["pages"][0]["questions"][0]["text"].as_object_mut() {
        text.remove("es");
    }
    // Refused while a text lacks its translation, each listed by language; stored when the upload allows it.
    let res = boss.post(&app, "/admin/surveys", "application/json", &gap.to_string()).await;
    assert_eq!(res.status(), 400);
    let refused = json(res).await;
    assert_eq!(refused["error"]["code"], "missing_translations", "{refused}");
    assert_eq!(
        refused["errors"],
        serde_json::json!([{"path": "$.pages[0].questions[0].text.es", "language": "es", "message": "no `es` translation"}]),
    );
    assert!(refused["error"]["message"].as_str().unwrap_or("").contains("1 in `es`"), "{refused}");
    let allowed = "/admin/surveys?allow_missing_translations=true";
    let body = json(boss.post(&app, allowed, "application/json", &gap.to_string()).await).await;
    assert_eq!(
        body["warnings"],
        serde_json::json!([{"path": "$.pages[0].questions[0].text.es", "message": "no `es` translation"}]),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap_or("").contains("1 text(s) without a translation"), "{body}");
    let current: (Option<String>,) =
        sqlx::query_as("select current_version from surveys where survey_id = 'district-2027'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(current.0, None);
    let published = app.static_dir.join(format!("surveys/{version}.json"));
    assert!(!published.exists());
    let res = boss
        .post(&app, &format!("/admin/surveys/district-2027/versions/{version}/publish"), "application/json", "")
        .await;
    assert_eq!(res.status(), 200);
    assert!(published.exists() && app.static_dir.join(format!("surveys/{version}.json.br")).exists());
    let current: (Option<String>,) =
        sqlx::query_as("select current_version from surveys where survey_id = 'district-2027'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(current.0.as_deref(), Some(version.as_str()));
    // The served file is the survey, cacheable forever.
    let served = app.get(&format!("/static/surveys/{version}.json")).await;
    assert_eq!(served.status(), 200);
    // Publishing a version of another survey is not a thing.
    let res = boss
        .post(&app, &format!("/admin/surveys/school-climate-2026/versions/{version}/publish"), "application/json", "")
        .await;
    assert_eq!(res.status(), 404);
    // The preview is the respondent app on this (unpublished) version, which it reads as published.
    let preview = boss.get(&app, &format!("/admin/surveys/district-2027/versions/{version}/preview")).await;
    assert!(
        preview.url().as_str().ends_with(&format!("/?preview=district-2027/{version}")),
        "redirected to the app: {}",
        preview.url()
    );
    let res = boss.get(&app, &format!("/admin/surveys/district-2027/versions/{version}/survey.json")).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap_or_default();
    assert_eq!(ValidSurvey::parse_published(&text).map(|s| s.version().to_owned()), Ok(version.clone()));
    let res = boss.get(&app, &format!("/admin/surveys/school-climate-2026/versions/{version}/survey.json")).await;
    assert_eq!(res.status(), 404, "a version of another survey");

    let actions: Vec<(String,)> =
        sqlx::query_as("select action from audit_log where admin_email = 'boss@example.org' order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["sign_in", "survey.upload", "survey.upload", "survey.publish"]);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn roster_upload_is_all_or_nothing_and_idempotent(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let before = app.count("respondents").await;
    let bad = "school,class,role,external_id,name\nAdams,1,student,A1,Al\nAdams,,student,A2,\nAdams,1,robot,A3,\nAdams,1,student,A1,again\n";
    let res = boss.post(&app, "/admin/surveys/school-climate-2026/roster", "text/csv", bad).await;
    assert_eq!(res.status(), 400);
    let body = json(res).await;
    let lines: Vec<u64> = body["errors"].as_array().into_iter().flatten().filter_map(|e| e["line"].as_u64()).collect();
    assert_eq!(lines, [3, 4, 5], "{body}");
    let columns: Vec<&str> =
        body["errors"].as_array().into_iter().flatten().filter_map(|e| e["column"].as_str()).collect();
    assert_eq!(columns, ["class", "role", "external_id"], "{body}");
    assert_eq!(body["error"]["field"], "line 3 class");
    assert_eq!(app.count("respondents").await, before, "nothing loaded from a file with errors");

    for (ct, text, code) in [
        ("text/csv", "name,school\nx,y\n", "invalid_roster"),
        ("text/csv", "school,class,role,external_id\n", "invalid_roster"),
        ("application/json", "{}", "unsupported_media_type"),
    ] {
        let res = boss.post(&app, "/admin/surveys/school-climate-2026/roster", ct, text).await;
        assert_eq!(res.status(), 400, "{text}");
        assert_eq!(json(res).await["error"]["code"], code, "{text}");
    }
    assert_eq!(
        boss.post(&app, "/admin/surveys/nope/roster", "text/csv", "school,class,role,external_id\nA,1,student,B\n")
            .await
            .status(),
        404
    );

    let good =
        "school,class,role,external_id,name\nAdams,1,student,A1,Al\nAdams,1,student,A2,\nAdams,2,parent,P1,Pat\n";
    assert_eq!(boss.post(&app, "/admin/surveys/school-climate-2026/roster", "text/csv", good).await.status(), 200);
    let first = boss.csv(&app, "/admin/surveys/school-climate-2026/codes.csv?school=Adams").await;
    assert_eq!(first.len(), 3);
    assert!(
        first.iter().all(|r| r["access_code"].len() == 14 && !r["access_code"].contains(['0', 'O', '1', 'I'])),
        "{first:?}"
    );
    // The same people again, plus one: no duplicates, the same codes, the new one added.
    let again = format!("{good}Adams,2,student,A9,\n");
    assert_eq!(boss.post(&app, "/admin/surveys/school-climate-2026/roster", "text/csv", &again).await.status(), 200);
    let second = boss.csv(&app, "/admin/surveys/school-climate-2026/codes.csv?school=Adams").await;
    assert_eq!(second.len(), 4);
    for row in &first {
        assert!(second.contains(row), "{row:?} kept its code");
    }
    assert_eq!(app.count("respondents").await, before + 4);
    let progress: Progress = json(boss.get(&app, "/admin/surveys/school-climate-2026/progress?school=Adams").await)
        .await
        .as_object()
        .map(|o| serde_json::from_value(serde_json::Value::Object(o.clone())).unwrap())
        .expect("no progress");
    assert_eq!(progress.totals.total, 4, "re-uploading did not count people twice");
    // Read from the primary here: the figures are current and the page says nothing about a replica.
    assert_eq!(progress.replica_lag_seconds, None);

    let print = boss.get(&app, "/admin/surveys/school-climate-2026/codes/print?school=Adams&class=2").await;
    let html = print.text().await.unwrap_or_default();
    assert_eq!(html.matches("class=\"slip\"").count(), 2);
    let pat = second.iter().find(|r| r["external_id"] == "P1").map(|r| r["access_code"].clone()).unwrap_or_default();
    assert!(html.contains(&pat) && html.contains("Pat"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_coordinator_sees_only_their_school(pool: PgPool) {
    let app = spawn_app(pool).await;
    let coord = admin(&app, "lincoln@example.org", Role::Coordinator, Some("Lincoln")).await;
    let mine: Progress =
        serde_json::from_value(json(coord.get(&app, "/admin/surveys/school-climate-2026/progress").await).await)
            .unwrap();
    assert_eq!(mine.school.as_deref(), Some("Lincoln"));
    assert_eq!(mine.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["4A", "4B"]);
    for path in [
        "/admin/surveys/school-climate-2026/progress?school=Washington",
        "/admin/surveys/school-climate-2026/dashboard?school=Washington",
        "/admin/surveys/school-climate-2026/codes.csv?school=Washington",
        "/admin/surveys/school-climate-2026/codes/print?school=Washington",
        "/admin/surveys/school-climate-2026/export.csv",
        "/admin/surveys/school-climate-2026/quarantine.csv",
        "/admin/audit",
    ] {
        assert_eq!(coord.get(&app, path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let codes = coord.csv(&app, "/admin/surveys/school-climate-2026/codes.csv").await;
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|r| r["school"] == "Lincoln"));
    assert_eq!(coord.post(&app, "/admin/surveys", "application/json", &another_survey("mine")).await.status(), 403);
    let before = app.count("respondents").await;
    let res = coord
        .post(
            &app,
            "/admin/surveys/school-climate-2026/roster",
            "text/csv",
            "school,class,role,external_id\nLincoln,4A,student,S7\nWashington,9A,student,W1\n",
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = json(res).await;
    assert_eq!(body["errors"][0]["line"], 3, "{body}");
    assert_eq!(app.count("respondents").await, before);
    let res = coord
        .post(
            &app,
            "/admin/surveys/school-climate-2026/roster",
            "text/csv",
            "school,class,role,external_id\nLincoln,4A,student,S7\n",
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_dashboard_follows_saves_and_matches_a_recount(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let progress = |school: Option<&'static str>| {
        let boss = &boss;
        let app = &app;
        async move {
            let path = match school {
                Some(s) => format!("/admin/surveys/school-climate-2026/progress?school={s}"),
                None => "/admin/surveys/school-climate-2026/progress".to_owned(),
            };
            let p: Progress = serde_json::from_value(json(boss.get(app, &path).await).await).unwrap();
            p
        }
    };
    let p = progress(None).await;
    assert_eq!((p.totals.total, p.totals.not_started, p.totals.in_progress, p.totals.completed), (4, 4, 0, 0));

    let s1 = app.login("S1").await;
    app.sync(&s1, vec![app.save(0, 1, 1), app.save(1, 2, 1)]).await;
    let s3 = app.login("S3").await;
    app.sync(&s3, vec![app.save(0, 1, 3)]).await;
    // A repeat of the first save is not a second start.
    app.sync(&s3, vec![app.save(0, 1, 3)]).await;
    let journey = app.journey(3, 1);
    app.sync(&s1, journey.clone()).await;
    app.sync(&s1, journey).await;

    let p = progress(Some("Lincoln")).await;
    let a = p.rows.iter().find(|r| r.name == "4A").cloned().expect("4A");
    assert_eq!((a.total, a.not_started, a.in_progress, a.completed), (2, 1, 0, 1));
    assert!((a.rate - 0.5).abs() < 1e-9);
    assert!(a.last_activity.is_some());
    let b = p.rows.iter().find(|r| r.name == "4B").cloned().expect("4B");
    assert_eq!((b.total, b.in_progress, b.completed), (1, 1, 0));
    let all = progress(None).await;
    assert_eq!((all.totals.total, all.totals.not_started, all.totals.in_progress, all.totals.completed), (4, 2, 1, 1));

    // The maintained aggregates equal a count from scratch.
    let recount: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "select r.school, r.class, count(*), count(p.respondent_id), count(p.completed_at)
         from respondents r left join respondent_progress p on p.respondent_id = r.id
         group by 1, 2 order by 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let kept: Vec<(String, String, i64, i64, i64)> =
        sqlx::query_as("select school, class, total, started, completed from group_progress order by 1, 2")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(kept, recount);
}

/// The codebook's variable for a question (its first, for a question of several columns).
fn variable(codebook: &[HashMap<String, String>], question: &str) -> String {
    codebook.iter().find(|r| r["question_id"] == question).map(|r| r["variable"].clone()).unwrap_or_default()
}

/// Finding 5 of issue 12: answers on pages that a later answer hides are not current answers. Here the answers come
/// from an older app that did not re-save the hidden pages: the export still leaves them out, coded "not shown".
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn answers_hidden_by_a_later_change_are_not_exported(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let s1 = app.login("S1").await;
    // Page 11 asks whether the student was bullied; page 12 follows up only after a "yes".
    let mut screen = app.save(11, 1, 11);
    screen.answers.insert("bullied".into(), AnswerValue::Choice("yes".into()));
    let details = app.save(12, 2, 12);
    app.sync(&s1, vec![app.save(0, 3, 1), screen.clone(), details.clone()]).await;
    let row =
        |rows: Vec<HashMap<String, String>>| rows.into_iter().find(|r| r["external_id"] == "S1").unwrap_or_default();
    let qid = details.answers.keys().next().cloned().unwrap_or_default();
    let codebook = boss.csv(&app, "/admin/surveys/school-climate-2026/codebook.csv").await;
    let col = variable(&codebook, &qid);
    let before = row(boss.csv(&app, "/admin/surveys/school-climate-2026/export.csv").await);
    assert!(!before[&col].starts_with('-'), "a follow-up answer is exported after a yes: {}", before[&col]);
    // The student goes back and says no: the follow-up page is hidden from now on (an older app did not re-save it).
    screen.revision = 4;
    screen.answers.insert("bullied".into(), AnswerValue::Choice("no".into()));
    app.sync(&s1, vec![screen]).await;
    let after = row(boss.csv(&app, "/admin/surveys/school-climate-2026/export.csv").await);
    assert_eq!(after[&variable(&codebook, "bullied")], "2", "no is the second choice");
    assert_eq!(after[&col], "-97", "{col} is on a page a student who says no does not see");
    // History keeps it.
    assert_eq!(app.count("page_saves").await, 4);
}

/// The roster answers the questions that name one of its columns: the app is told the respondent's row at sign-in,
/// and the export takes the roster's value even when a client sent another (here a teacher's app claiming to be a
/// student).
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_roster_answers_its_questions_in_the_export(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let roster = "school,class,role,external_id,name,grade,language\nLincoln,4A,student,S9,Eve,4,es\n";
    assert_eq!(boss.post(&app, "/admin/surveys/school-climate-2026/roster", "text/csv", roster).await.status(), 200);
    let codes: Vec<(String,)> = sqlx::query_as("select access_code from respondents where external_id = 'S9'")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let res = app
        .post_json("/api/v1/login", &serde_json::json!({"access_code": codes[0].0}), None)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(
        res["roster"],
        serde_json::json!({"school": "Lincoln", "class": "4A", "role": "student", "grade": "4", "language": "es"})
    );
    let teacher = app.login("T1").await;
    app.sync(&teacher, vec![app.save(0, 1, 1)]).await;
    assert!(app.save(0, 1, 1).answers.contains_key("role"), "the helper's save claims a role");
    let rows = boss.csv(&app, "/admin/surveys/school-climate-2026/export.csv").await;
    let codebook = boss.csv(&app, "/admin/surveys/school-climate-2026/codebook.csv").await;
    let (role, grade) = (variable(&codebook, "role"), variable(&codebook, "grade"));
    let by = |id: &str| rows.iter().find(|r| r["external_id"] == id).cloned().unwrap_or_default();
    assert_eq!(
        (by("T1")["role"].as_str(), by("T1")[&role].as_str(), by("T1")[&grade].as_str()),
        ("teacher", "2", "-97")
    );
    // Eve never started: her roster answers are not answers she gave, so nothing of hers is "reached".
    assert_eq!(by("S9")[&role], "-98");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn export_round_trips_the_answers_given(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let s1 = app.login("S1").await;
    // Pages 0..4, then page 1 again with other answers: the export holds the latest.
    let saves =
        vec![app.save(0, 1, 11), app.save(1, 2, 12), app.save(2, 3, 13), app.save(3, 4, 14), app.save(1, 5, 99)];
    let expected: HashMap<String, AnswerValue> = [&saves[0], &saves[4], &saves[2], &saves[3]]
        .iter()
        .flat_map(|s| s.answers.iter().map(|(q, v)| (q.clone(), v.clone())))
        .collect();
    app.sync(&s1, saves).await;
    // One refused save, for the quarantine export.
    let mut bad = app.save(5, 6, 1);
    bad.page_id = "no-such-page".into();
    app.sync(&s1, vec![bad]).await;

    let rows = boss.csv(&app, "/admin/surveys/school-climate-2026/export.csv").await;
    assert_eq!(rows.len(), 4, "every respondent of the roster, started or not");
    let row = rows.iter().find(|r| r["external_id"] == "S1").cloned().unwrap_or_default();
    assert_eq!(row["status"], "1", "in progress");
    assert_eq!(row["respondent_id"], s1.respondent_id.to_string());
    let codebook = boss.csv(&app, "/admin/surveys/school-climate-2026/codebook.csv").await;
    // Likert codes are whole numbers, so each statement's cell is the code given (latest save of the page).
    let mut checked = 0;
    for entry in codebook.iter().filter(|r| r["part"].starts_with("statement ")) {
        if let Some(AnswerValue::Matrix(m)) = expected.get(&entry["question_id"]) {
            let statement = entry["part"].trim_start_matches("statement ");
            assert_eq!(row[&entry["variable"]], m[statement], "{}", entry["variable"]);
            checked += 1;
        }
    }
    assert!(checked >= 10, "the round trip compared real answers ({checked})");
    let untouched = rows.iter().find(|r| r["external_id"] == "S2").cloned().unwrap_or_default();
    assert_eq!(untouched["status"], "0");
    assert!(codebook.iter().filter(|r| !r["question_id"].is_empty()).all(|r| untouched[&r["variable"]] == "-98"));
    let washington = boss.csv(&app, "/admin/surveys/school-climate-2026/export.csv?school=Washington").await;
    assert_eq!(washington.len(), 1);

    let header: Vec<String> = codebook.iter().map(|r| r["variable"].clone()).collect();
    let mut exported: Vec<String> = rows[0].keys().cloned().collect();
    exported.sort();
    let mut described = header.clone();
    described.sort();
    assert_eq!(exported, described, "the codebook describes every column of the export");
    let role = codebook.iter().find(|r| r["question_id"] == "role").cloned().unwrap_or_default();
    assert_eq!(role["kind"], "single_choice");
    assert!(role["values_en"].contains("1=Student (code student)"), "{role:?}");

    let quarantined = boss.csv(&app, "/admin/surveys/school-climate-2026/quarantine.csv").await;
    assert_eq!(quarantined.len(), 1);
    assert!(quarantined[0]["payload"].contains("no-such-page"));
    assert_eq!(quarantined[0]["external_id"], "S1");

    let exports: (i64,) = sqlx::query_as("select count(*) from audit_log where action like 'export.%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(exports.0, 4);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn last_activity_reaches_the_dashboard_from_memory(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (s2,): (uuid::Uuid,) =
        sqlx::query_as("select id from respondents where external_id = 'S2'").fetch_one(&app.pool).await.unwrap();
    let activity = quire_server::ingest::activity::Activity::default();
    activity.touch(s2);
    activity.touch(s2);
    activity.flush(&app.pool).await.unwrap();
    let last: Vec<(String, bool)> = sqlx::query_as(
        "select class, last_activity is not null from group_progress where school = 'Lincoln' order by 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(last, [("4A".to_owned(), true), ("4B".to_owned(), false)]);
    // Flushed marks are gone; nothing is written twice.
    activity.flush(&app.pool).await.unwrap();
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn dashboard_reads_go_to_the_configured_replica(pool: PgPool) {
    // A second database stands in for the replica: the same schema and its own figures, so the answer shows which
    // database was read.
    let name = format!("quire_replica_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}")).execute(&pool).await.unwrap();
    let base = std::env::var("DATABASE_URL").unwrap_or_default();
    let url = format!("{}/{name}", base.rsplit_once('/').map_or(base.as_str(), |(head, _)| head));
    let replica = PgPool::connect(&url).await.unwrap();
    quire_server::MIGRATOR.run(&replica).await.unwrap();
    sqlx::query("insert into surveys (survey_id) values ('school-climate-2026')").execute(&replica).await.unwrap();
    sqlx::query(
        "insert into group_progress (survey_id, school, class, total, started, completed)
         values ('school-climate-2026', 'Replica School', 'R1', 7, 3, 1)",
    )
    .execute(&replica)
    .await
    .unwrap();

    let app = crate::helpers::spawn_app_with(pool, |c| {
        c.read_database_url = Some(quire_server::config::Secret::new(url.clone()));
    })
    .await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let p: Progress =
        serde_json::from_value(json(boss.get(&app, "/admin/surveys/school-climate-2026/progress").await).await)
            .unwrap();
    assert_eq!(p.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Replica School"]);
    assert_eq!((p.totals.total, p.totals.in_progress, p.totals.completed), (7, 2, 1));
    // Writes still go to the primary: the sign-in above was audited there, not on the replica.
    let (on_replica,): (i64,) = sqlx::query_as("select count(*) from audit_log").fetch_one(&replica).await.unwrap();
    assert_eq!((on_replica, app.count("audit_log").await), (0, 1));
    replica.close().await;
    sqlx::query(&format!("drop database {name} with (force)")).execute(&app.pool).await.unwrap();
}

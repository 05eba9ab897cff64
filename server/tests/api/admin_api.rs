//! The admin API (`/api/admin/v1/`) over real PostgreSQL: tokens (made once, stored hashed, revoked, expired,
//! scoped, a coordinator's held to their school), the limit on failed tokens, the audit log, a whole flow through the
//! API alone, and every answer checked against the OpenAPI document the server serves.

use std::collections::{BTreeSet, HashMap};

use quire_server::admin::api_tokens::{self, NewToken};
use quire_server::admin::auth::{create_admin, Role};
use quire_server::respondent::surveys;
use quire_shared::{LoginResponse, SyncBatch};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::admin::{admin, another_survey, PASSWORD};
use crate::helpers::{spawn_app, TestApp};

const SURVEY: &str = "school-climate-2026";
const V1: &str = "/api/admin/v1";
const BOSS: &str = "boss@example.org";

/// A token for `owner` (made as `owner` itself, as the command line does): its id and secret.
async fn token(app: &TestApp, owner: &str, read_only: bool, survey: Option<&str>) -> (Uuid, String) {
    let by = api_tokens::admin_by_email(&app.pool, owner).await.unwrap().unwrap();
    let new = NewToken {
        owner: owner.into(),
        name: "test".into(),
        read_only,
        survey_id: survey.map(Into::into),
        expires_in_days: None,
    };
    let created = api_tokens::create(&app.pool, &by, &new).await.unwrap();
    (created.id, created.token)
}

async fn boss(app: &TestApp) -> String {
    create_admin(&app.pool, BOSS, PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    token(app, BOSS, false, None).await.1
}

fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
    let req = app.http.request(method, format!("{}{path}", app.base));
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    call(app, Method::GET, path, Some(token)).send().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, content_type: &str, body: &str) -> reqwest::Response {
    call(app, Method::POST, path, Some(token))
        .header(CONTENT_TYPE, content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The error's code, after checking the status.
async fn error_code(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    body["error"]["code"].as_str().unwrap_or_default().to_owned()
}

fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().map(str::to_owned).zip(r.unwrap().iter().map(str::to_owned)).collect())
        .collect()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, Value)> {
    sqlx::query_as("select action, detail from audit_log order by id").fetch_all(&app.pool).await.unwrap()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_token_is_shown_once_and_stored_hashed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let session = admin(&app, BOSS, Role::Administrator, None).await;
    let new = json!({"owner": BOSS, "name": "nightly export", "read_only": true}).to_string();
    // A write of the page without its CSRF token is refused.
    let bare = app.http.post(format!("{}/admin/tokens", app.base)).header(CONTENT_TYPE, "application/json");
    assert_eq!(bare.body(new.clone()).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let res = session.post(&app, "/admin/tokens", "application/json", &new).await;
    assert_eq!(res.status(), 200);
    let made: Value = res.json().await.unwrap();
    let secret = made["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("qat_") && secret.len() > 40, "{secret}");

    let (hash, name): (Vec<u8>, String) =
        sqlx::query_as("select token_hash, name from api_tokens").fetch_one(&app.pool).await.unwrap();
    assert_eq!(hash, Sha256::digest(secret.as_bytes()).to_vec());
    assert_eq!(name, "nightly export");
    let dump: (String,) =
        sqlx::query_as("select string_agg(t::text, ' ') from api_tokens t").fetch_one(&app.pool).await.unwrap();
    assert!(!dump.0.contains(&secret[4..]), "the secret is stored: {}", dump.0);
    let page = session.get(&app, "/admin/tokens").await.text().await.unwrap();
    assert!(page.contains("nightly export") && !page.contains(&secret[4..]));

    let me: Value = get(&app, &format!("{V1}/token"), &secret).await.json().await.unwrap();
    assert_eq!(me["email"], BOSS);
    assert_eq!(me["read_only"], true);
    let actions = audit_actions(&app).await;
    assert!(actions.iter().any(|(a, d)| a == "api_token.create" && d["name"] == "nightly export"), "{actions:?}");

    // Not for another administrator, who makes their own.
    create_admin(&app.pool, "other@example.org", PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    let theirs = json!({"owner": "other@example.org", "name": "x"}).to_string();
    let res = session.post(&app, "/admin/tokens", "application/json", &theirs).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "owner");

    // Coordinators do not make tokens.
    let coord = admin(&app, "lincoln@example.org", Role::Coordinator, Some("Lincoln")).await;
    assert_eq!(coord.get(&app, "/admin/tokens").await.status(), StatusCode::FORBIDDEN);
    let theirs = json!({"owner": "lincoln@example.org", "name": "x"}).to_string();
    assert_eq!(coord.post(&app, "/admin/tokens", "application/json", &theirs).await.status(), 403);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn revoked_expired_malformed_and_unknown_tokens_get_401(pool: PgPool) {
    let app = spawn_app(pool).await;
    let session = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, secret) = token(&app, BOSS, false, None).await;
    let me = format!("{V1}/token");
    assert_eq!(get(&app, &me, &secret).await.status(), 200);

    let revoke = format!("/admin/tokens/{id}/revoke");
    assert_eq!(session.post(&app, &revoke, "application/json", "").await.status(), 200);
    assert_eq!(error_code(get(&app, &me, &secret).await, 401).await, "unauthorized");
    assert_eq!(session.post(&app, &revoke, "application/json", "").await.status(), StatusCode::CONFLICT);
    let actions = audit_actions(&app).await;
    assert_eq!(actions.iter().filter(|(a, _)| a == "api_token.revoke").count(), 1);

    let (expiring, secret) = token(&app, BOSS, true, None).await;
    assert_eq!(get(&app, &me, &secret).await.status(), 200);
    sqlx::query("update api_tokens set expires_at = now() - interval '1 second' where id = $1")
        .bind(expiring)
        .execute(&app.pool)
        .await
        .unwrap();
    let res = get(&app, &me, &secret).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("expired"), "{body}");

    for bad in ["qat_nothing-like-a-real-one", "not-even-the-prefix", ""] {
        assert_eq!(error_code(get(&app, &me, bad).await, 401).await, "unauthorized", "{bad}");
    }
    let none = call(&app, Method::GET, &me, None).send().await.unwrap();
    assert_eq!(error_code(none, 401).await, "unauthorized");
    // A browser's session cookie is no token.
    assert_eq!(session.get(&app, &me).await.status(), 401);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_read_only_token_cannot_write(pool: PgPool) {
    let app = spawn_app(pool).await;
    boss(&app).await;
    let (_, reader) = token(&app, BOSS, true, None).await;
    let mine = another_survey("mine");
    assert_eq!(
        error_code(post(&app, &format!("{V1}/surveys"), &reader, "application/json", &mine).await, 403).await,
        "forbidden"
    );
    let publish = format!("{V1}/surveys/{SURVEY}/versions/{}/publish", app.survey.version());
    assert_eq!(post(&app, &publish, &reader, "application/json", "").await.status(), 403);
    let roster = "school,class,role,external_id\nLincoln,4A,student,S9\n";
    assert_eq!(post(&app, &format!("{V1}/surveys/{SURVEY}/roster"), &reader, "text/csv", roster).await.status(), 403);
    assert_eq!(app.count("survey_versions").await, 1);
    // Reading and checking are not writes.
    assert_eq!(get(&app, &format!("{V1}/surveys/{SURVEY}/progress"), &reader).await.status(), 200);
    assert_eq!(post(&app, &format!("{V1}/surveys/validate"), &reader, "application/json", &mine).await.status(), 200);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_token_of_one_survey_touches_no_other(pool: PgPool) {
    let app = spawn_app(pool).await;
    boss(&app).await;
    let other = quire_shared::ValidSurvey::parse(&another_survey("other")).unwrap();
    surveys::store_version(&app.pool, &other, true, &app.static_dir).await.unwrap();
    let (_, scoped) = token(&app, BOSS, false, Some(SURVEY)).await;
    assert_eq!(get(&app, &format!("{V1}/surveys/{SURVEY}/progress"), &scoped).await.status(), 200);
    for path in ["progress", "versions", "codes.csv", "quarantine", "exports/responses.csv"] {
        let res = get(&app, &format!("{V1}/surveys/other/{path}"), &scoped).await;
        assert_eq!(error_code(res, 403).await, "forbidden", "{path}");
    }
    let roster = "school,class,role,external_id\nLincoln,4A,student,S9\n";
    assert_eq!(post(&app, &format!("{V1}/surveys/other/roster"), &scoped, "text/csv", roster).await.status(), 403);
    let upload = post(&app, &format!("{V1}/surveys"), &scoped, "application/json", &another_survey("other")).await;
    assert_eq!(upload.status(), 403);
    let list: Value = get(&app, &format!("{V1}/surveys"), &scoped).await.json().await.unwrap();
    assert_eq!(
        list.as_array().map(|l| l.iter().map(|s| s["survey_id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(SURVEY)])
    );
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_coordinators_token_is_held_to_their_school(pool: PgPool) {
    let app = spawn_app(pool).await;
    let lincoln = "lincoln@example.org";
    create_admin(&app.pool, lincoln, PASSWORD, Role::Coordinator, Some("Lincoln"), &[SURVEY.into()]).await.unwrap();
    let (_, t) = token(&app, lincoln, false, None).await;
    let progress: Value = get(&app, &format!("{V1}/surveys/{SURVEY}/progress"), &t).await.json().await.unwrap();
    assert_eq!(progress["school"], "Lincoln");
    let names: Vec<&str> = progress["rows"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["4A", "4B"]);
    let by_role: Value = get(&app, &format!("{V1}/surveys/{SURVEY}/progress?by=role"), &t).await.json().await.unwrap();
    assert_eq!(by_role["totals"]["total"], 3, "{by_role}");
    let washington = get(&app, &format!("{V1}/surveys/{SURVEY}/progress?school=Washington"), &t).await;
    assert_eq!(error_code(washington, 403).await, "forbidden");
    let codes = csv_rows(&get(&app, &format!("{V1}/surveys/{SURVEY}/codes.csv"), &t).await.text().await.unwrap());
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|r| r["school"] == "Lincoln"));
    for path in ["exports/responses.csv", "exports/codebook.csv", "quarantine", "quarantine.csv", "versions"] {
        assert_eq!(get(&app, &format!("{V1}/surveys/{SURVEY}/{path}"), &t).await.status(), 403, "{path}");
    }
    let foreign = "school,class,role,external_id\nLincoln,4A,student,S7\nWashington,9A,student,W1\n";
    let res = post(&app, &format!("{V1}/surveys/{SURVEY}/roster"), &t, "text/csv", foreign).await;
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["line"], 3, "{body}");
    assert_eq!(post(&app, &format!("{V1}/surveys"), &t, "application/json", &another_survey("c")).await.status(), 403);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn failed_tokens_are_limited_per_address(pool: PgPool) {
    let app = spawn_app(pool).await;
    let good = boss(&app).await;
    let me = format!("{V1}/token");
    let per_minute = quire_server::http::sign_in_limits::API_TOKEN_FAILURES_PER_MINUTE;
    for n in 0..per_minute {
        assert_eq!(get(&app, &me, &format!("qat_guess{n}")).await.status(), 401, "attempt {n}");
    }
    let res = get(&app, &me, "qat_one-more").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 =
        res.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(error_code(res, 429).await, "too_many_requests");
    // The address waits, right token or not; another node, sharing the database, agrees.
    assert_eq!(get(&app, &me, &good).await.status(), 429);
    let other = app.another_node(|_| {}).await;
    assert_eq!(get(&other, &me, &good).await.status(), 429);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn writes_through_the_api_are_audited_with_their_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    boss(&app).await;
    let (id, t) = token(&app, BOSS, false, None).await;
    let res = post(&app, &format!("{V1}/surveys"), &t, "application/json", &another_survey("audited")).await;
    assert_eq!(res.status(), 201);
    let version = res.json::<Value>().await.unwrap()["version"].as_str().unwrap().to_owned();
    let publish = format!("{V1}/surveys/audited/versions/{version}/publish");
    assert_eq!(post(&app, &publish, &t, "application/json", "").await.status(), 200);
    let roster = "school,class,role,external_id\nLincoln,4A,student,A1\n";
    assert_eq!(post(&app, &format!("{V1}/surveys/audited/roster"), &t, "text/csv", roster).await.status(), 201);
    let by_token: BTreeSet<String> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(_, d)| d["api_token"] == json!(id.to_string()))
        .map(|(a, _)| a)
        .collect();
    let expected: BTreeSet<String> =
        ["survey.upload", "survey.publish", "roster.upload"].into_iter().map(String::from).collect();
    assert_eq!(by_token, expected);
}

/// Everything an administrator does for a new survey, through the API alone.
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_whole_survey_through_the_api(pool: PgPool) {
    let app = spawn_app(pool).await;
    let t = boss(&app).await;
    let file = another_survey("flow");
    let checked: Value =
        post(&app, &format!("{V1}/surveys/validate"), &t, "application/json", &file).await.json().await.unwrap();
    assert_eq!(app.count("survey_versions").await, 1, "validation stores nothing");
    let stored = post(&app, &format!("{V1}/surveys"), &t, "application/json", &file).await;
    assert_eq!(stored.status(), 201);
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored["version"], checked["version"]);
    let version = stored["version"].as_str().unwrap();
    let versions: Value = get(&app, &format!("{V1}/surveys/flow/versions"), &t).await.json().await.unwrap();
    assert_eq!(versions[0]["current"], false);
    let published =
        post(&app, &format!("{V1}/surveys/flow/versions/{version}/publish"), &t, "application/json", "").await;
    assert_eq!(published.status(), 200);
    let versions: Value = get(&app, &format!("{V1}/surveys/flow/versions"), &t).await.json().await.unwrap();
    assert_eq!(versions[0]["current"], true);

    let roster = "school,class,role,external_id,name\nLincoln,4A,student,F1,Fay\nLincoln,4B,student,F2,Gus\n";
    let loaded: Value =
        post(&app, &format!("{V1}/surveys/flow/roster"), &t, "text/csv", roster).await.json().await.unwrap();
    assert_eq!(loaded["rows"], 2);
    let codes = csv_rows(&get(&app, &format!("{V1}/surveys/flow/codes.csv"), &t).await.text().await.unwrap());
    assert_eq!(codes.len(), 2);

    // F1 answers the first page.
    let code = &codes.iter().find(|r| r["external_id"] == "F1").unwrap()["access_code"];
    let login = app.post_json("/api/v1/login", &json!({"access_code": code}), None).await;
    let login: LoginResponse = login.json().await.unwrap();
    let batch = SyncBatch { respondent_id: login.respondent_id, saves: vec![app.save(0, 1, 7)] };
    assert_eq!(app.post_json("/api/v1/sync", &batch, Some(&login.token)).await.status(), 200);

    let progress: Value = get(&app, &format!("{V1}/surveys/flow/progress"), &t).await.json().await.unwrap();
    assert_eq!(progress["totals"]["total"], 2, "{progress}");
    assert_eq!(progress["totals"]["in_progress"], 1, "{progress}");
    let export = get(&app, &format!("{V1}/surveys/flow/exports/responses.csv"), &t).await;
    assert!(export.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let rows = csv_rows(&export.text().await.unwrap());
    assert_eq!(rows.len(), 2);
    let f1 = rows.iter().find(|r| r["external_id"] == "F1").unwrap();
    assert_eq!(f1["status"], "1", "in progress");
    let first_page = &app.survey.survey().pages[0].questions;
    // An answer, not a missing code (which are negative), in some column of the first page.
    let answered = |q: &quire_shared::Question| {
        f1.iter().any(|(c, v)| c.starts_with(&q.id) && c != "role" && !v.is_empty() && !v.starts_with('-'))
    };
    assert!(first_page.iter().any(answered), "{f1:?}");
    let codebook =
        csv_rows(&get(&app, &format!("{V1}/surveys/flow/exports/codebook.csv"), &t).await.text().await.unwrap());
    assert!(codebook.iter().any(|r| r["question_id"] == first_page[0].id));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn unknown_admin_api_paths_are_json_404(pool: PgPool) {
    let app = spawn_app(pool).await;
    let t = boss(&app).await;
    assert_eq!(error_code(get(&app, &format!("{V1}/nothing-here"), &t).await, 404).await, "not_found");
    let res = call(&app, Method::DELETE, &format!("{V1}/surveys"), Some(&t)).send().await.unwrap();
    assert_eq!(error_code(res, 405).await, "method_not_allowed");
}

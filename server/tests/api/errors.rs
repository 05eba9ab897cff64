//! Every client mistake gets its status and a JSON error body; none changes anything.

use quire_shared::ErrorBody;
use sqlx::PgPool;

use crate::helpers::{spawn_app, TestApp, MAX_BODY};

async fn expect_error(res: reqwest::Response, status: u16, code: &str) -> ErrorBody {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    let body: ErrorBody = res.json().await.unwrap_or_else(|e| panic!("not an error body: {e}"));
    assert_eq!(body.error.code, code, "{body:?}");
    assert!(!body.error.message.is_empty());
    body
}

async fn raw_post(app: &TestApp, path: &str, body: &str, token: Option<&str>) -> reqwest::Response {
    let mut req =
        app.http.post(format!("{}{path}", app.base)).header("content-type", "application/json").body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn client_errors_have_status_and_json_body_and_change_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let login = app.login("S1").await;
    let token = Some(login.token.as_str());
    let batch = |id: uuid::Uuid| serde_json::json!({"respondent_id": id, "saves": [app.save(1, 1, 1)]}).to_string();

    // Malformed JSON.
    expect_error(raw_post(&app, "/api/v1/sync", "{\"respondent_id\": ", token).await, 400, "malformed_json").await;
    expect_error(raw_post(&app, "/api/v1/login", "not json", None).await, 400, "malformed_json").await;
    // Well-formed JSON with a wrong field: the field is named.
    let body = expect_error(
        raw_post(&app, "/api/v1/sync", r#"{"respondent_id": 5, "saves": []}"#, token).await,
        400,
        "invalid_field",
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("respondent_id"));
    let body = expect_error(raw_post(&app, "/api/v1/login", "{}", None).await, 400, "invalid_field").await;
    assert!(body.error.message.contains("access_code"), "{body:?}");
    let body =
        expect_error(raw_post(&app, "/api/v1/login", r#"{"access_code": " - "}"#, None).await, 400, "invalid_field")
            .await;
    assert_eq!(body.error.field.as_deref(), Some("access_code"));
    // Not JSON at all.
    let res = app
        .http
        .post(format!("{}/api/v1/login", app.base))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    expect_error(res, 415, "unsupported_media_type").await;

    // Tokens: missing, garbage, signed with another key.
    expect_error(raw_post(&app, "/api/v1/sync", &batch(login.respondent_id), None).await, 401, "unauthorized").await;
    expect_error(
        raw_post(&app, "/api/v1/sync", &batch(login.respondent_id), Some("abc.def")).await,
        401,
        "unauthorized",
    )
    .await;
    let forged = quire_server::respondent::token::TokenKeys::new(
        &quire_server::config::Secret::new("another-secret-another-secret-xx".into()),
        1,
    )
    .issue(login.respondent_id, &login.survey_version);
    expect_error(raw_post(&app, "/api/v1/sync", &batch(login.respondent_id), Some(&forged)).await, 401, "unauthorized")
        .await;
    // Wrong access code.
    let body = expect_error(
        raw_post(&app, "/api/v1/login", r#"{"access_code": "AAAA-AAAA-AAAA"}"#, None).await,
        401,
        "unauthorized",
    )
    .await;
    assert!(body.error.message.contains("not valid"));

    // Another respondent's data under this token.
    let other = app.login("S2").await;
    expect_error(raw_post(&app, "/api/v1/sync", &batch(other.respondent_id), token).await, 403, "forbidden").await;

    // Too large: by bytes, and by number of saves.
    let huge =
        format!(r#"{{"respondent_id": "{}", "saves": [], "pad": "{}"}}"#, login.respondent_id, "x".repeat(MAX_BODY));
    expect_error(raw_post(&app, "/api/v1/sync", &huge, token).await, 413, "payload_too_large").await;
    let many: Vec<serde_json::Value> = (0..1001).map(|_| serde_json::json!({})).collect();
    let body = serde_json::json!({"respondent_id": login.respondent_id, "saves": many}).to_string();
    let err = expect_error(raw_post(&app, "/api/v1/sync", &body, token).await, 413, "payload_too_large").await;
    assert_eq!(err.error.field.as_deref(), Some("saves"));

    // Unknown API path.
    let res = app.get("/api/v1/nothing").await;
    expect_error(res, 404, "not_found").await;

    for table in ["page_saves", "current_answers", "respondent_progress", "quarantine"] {
        assert_eq!(app.count(table).await, 0, "{table} changed");
    }
}

/// What a former primary does right after a failover: every write fails with SQLSTATE 25006 (read-only). The save is
/// not acknowledged, and the answer is 503 with `Retry-After` (the device tries again and reaches the new primary),
/// not a 500 (found by scripts/failover.sh: the load generator's sign-in got a 500 during a failover).
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_database_gone_read_only_answers_503_with_retry_after(pool: PgPool) {
    use sqlx::Connection;
    let app = spawn_app(pool.clone()).await;
    let login = app.login("S1").await;
    let mut admin = sqlx::PgConnection::connect_with(&pool.connect_options()).await.unwrap();
    let db: String = sqlx::query_scalar("select current_database()").fetch_one(&mut admin).await.unwrap();
    sqlx::query(&format!("alter database \"{db}\" set default_transaction_read_only = on"))
        .execute(&mut admin)
        .await
        .unwrap();
    // The app's connections were opened before: end them, so that it reconnects to a read-only database.
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
    )
    .bind(&db)
    .execute(&mut admin)
    .await
    .unwrap();
    let body = serde_json::json!({"respondent_id": login.respondent_id, "saves": [app.save(1, 1, 1)]});
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app.post_json("/api/v1/sync", &body, Some(&login.token)).await;
        let status = res.status().as_u16();
        if status == 503 {
            assert!(res.headers().get("retry-after").is_some());
        }
        statuses.push(status);
    }
    // The first attempt may meet a connection that was cut (also 503); none is a 500, none is acknowledged.
    assert!(statuses.iter().all(|&s| s == 503), "{statuses:?}");
    sqlx::query(&format!("alter database \"{db}\" reset default_transaction_read_only"))
        .execute(&mut admin)
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("select count(*) from page_saves").fetch_one(&mut admin).await.unwrap();
    assert_eq!(stored, 0);
    // Counted as what it was, apart from the failures worth a look.
    let metrics = app.get_text("/metrics").await;
    assert!(!metrics.contains("quire_commit_failures_total{kind=\"unavailable\"} 0\n"), "{metrics}");
    assert!(metrics.contains("quire_commit_failures_total{kind=\"failed\"} 0\n"), "{metrics}");
}

/// The pool checks a connection that sat idle before handing it out (`db::options`): connections cut while idle (a
/// database restart between two quiet moments) are replaced, and the next save is stored at its first attempt
/// rather than failing once per dead connection.
#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn connections_cut_while_idle_are_replaced_before_a_save_uses_them(pool: PgPool) {
    use sqlx::Connection;
    // The node's pool as `quire serve` builds it (the test harness's own pool checks every connection).
    let options = (*pool.connect_options()).clone().application_name("quire-node-under-test");
    let app = spawn_app(quire_server::db::options(4).connect_with(options).await.unwrap()).await;
    let login = app.login("S1").await;
    let first = serde_json::json!({"respondent_id": login.respondent_id, "saves": [app.save(1, 1, 1)]});
    assert_eq!(app.post_json("/api/v1/sync", &first, Some(&login.token)).await.status(), 200);
    let mut admin = sqlx::PgConnection::connect_with(&pool.connect_options()).await.unwrap();
    let db: String = sqlx::query_scalar("select current_database()").fetch_one(&mut admin).await.unwrap();
    // Only the node's own connections (the harness's pool is left alone). (The node's activity flusher, every 5 s,
    // could meet a dead connection first and drop it; the saves below come well before its next round.)
    let cut: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = $1 and application_name = 'quire-node-under-test'",
    )
    .bind(&db)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "the node held no connection to cut");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for revision in 2..6 {
        let body = serde_json::json!({"respondent_id": login.respondent_id, "saves": [app.save(1, revision, 1)]});
        let res = app.post_json("/api/v1/sync", &body, Some(&login.token)).await;
        assert_eq!(res.status(), 200, "save {revision} met a dead connection");
    }
}

//! Several nodes over one database, as behind a load balancer: whatever one node knows about a guesser, the others
//! know too, and any node serves what another published. Each node here is a real server with its own memory.

use quire_server::admin::auth::{create_admin, Role};
use quire_server::config::{Secret, ServeConfig};
use quire_server::http::sign_in_limits::MAX_FAILURES;
use quire_server::respondent::surveys::{self, survey_url};
use quire_shared::ValidSurvey;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::admin::{admin, another_survey, sign_in_form, PASSWORD};
use crate::helpers::{spawn_app, spawn_app_with, TestApp, EXAMPLE};

async fn wrong_code(node: &TestApp) -> StatusCode {
    node.post_json("/api/v1/login", &serde_json::json!({"access_code": "ZZZZ-ZZZZ-ZZZZ"}), None).await.status()
}

async fn right_code(node: &TestApp, external_id: &str) -> StatusCode {
    node.post_json("/api/v1/login", &serde_json::json!({"access_code": node.code(external_id)}), None).await.status()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn wrong_access_codes_are_counted_across_nodes(pool: PgPool) {
    let limits = |c: &mut ServeConfig| c.login_failures_per_minute = 4;
    let a = spawn_app_with(pool, limits).await;
    let b = a.another_node(limits).await;
    // Four wrong codes in all, two on each node: the address's whole allowance.
    for node in [&a, &b, &a, &b] {
        assert_eq!(wrong_code(node).await, StatusCode::UNAUTHORIZED);
    }
    // Neither node looks up another code from this address now, right or wrong.
    for node in [&a, &b] {
        let res = node.post_json("/api/v1/login", &serde_json::json!({"access_code": node.code("S1")}), None).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().get("retry-after").is_some());
    }
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn sign_ins_per_minute_are_counted_across_nodes(pool: PgPool) {
    let limits = |c: &mut ServeConfig| c.login_per_minute = 6;
    let a = spawn_app_with(pool, limits).await;
    let b = a.another_node(limits).await;
    let mut statuses = Vec::new();
    for node in [&a, &b, &a, &b, &a, &b, &a, &b] {
        statuses.push(right_code(node, "S1").await);
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, throttled), (6, 2), "{statuses:?}");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_administrator_lockout_holds_across_nodes(pool: PgPool) {
    let a = spawn_app(pool).await;
    let b = a.another_node(|_| {}).await;
    create_admin(&a.pool, "boss@example.org", PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    for n in 0..MAX_FAILURES {
        let node = if n % 2 == 0 { &a } else { &b };
        assert_eq!(sign_in_form(node, "boss@example.org", "wrong password!!").await.status(), 401);
    }
    for node in [&a, &b] {
        let locked = sign_in_form(node, "boss@example.org", PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.headers().get("retry-after").is_some());
    }
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn concurrent_guesses_on_two_nodes_are_counted_before_they_finish(pool: PgPool) {
    let a = spawn_app(pool).await;
    let b = a.another_node(|_| {}).await;
    create_admin(&a.pool, "boss@example.org", PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    let guesses = (0..20).map(|n| sign_in_form(if n % 2 == 0 { &a } else { &b }, "boss@example.org", "guess!!!!"));
    let statuses: Vec<u16> =
        futures_util::future::join_all(guesses).await.iter().map(|r| r.status().as_u16()).collect();
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= MAX_FAILURES as usize, "{evaluated} of 20 evaluated: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_node_serves_a_survey_another_node_published(pool: PgPool) {
    let a = spawn_app(pool).await;
    let b = a.another_node(|_| {}).await;
    let login = b.login("S1").await;
    assert!(!b.static_dir.join("surveys").join(format!("{}.json", login.survey_version)).exists());
    let res = b.get(&login.survey_url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("cache-control").and_then(|v| v.to_str().ok()),
        Some(quire_server::http::assets::IMMUTABLE)
    );
    assert_eq!(res.text().await.unwrap(), a.get_text(&login.survey_url).await);
    // The copy this node kept is served from its folder from now on.
    let kept = b.static_dir.join("surveys").join(format!("{}.json", login.survey_version));
    for _ in 0..100 {
        if kept.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(std::fs::read_to_string(&kept).ok(), Some(a.get_text(&login.survey_url).await));
    // A version stored but never published is not served, nor one that does not exist.
    let mut draft: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
    draft["title"]["en"] = "A draft".into();
    let draft = ValidSurvey::parse(&draft.to_string()).unwrap();
    surveys::store_version(&a.pool, &draft, false, &a.static_dir).await.unwrap();
    assert_eq!(b.get(&survey_url(draft.version())).await.status(), StatusCode::NOT_FOUND);
    let unknown = survey_url(&"0".repeat(login.survey_version.len()));
    assert_eq!(b.get(&unknown).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_class_signing_in_at_once_on_two_nodes_all_get_in(pool: PgPool) {
    // The default allowance: 300 a minute from one school address, taken by the nodes in leases of 30.
    let limits = |c: &mut ServeConfig| c.login_per_minute = 300;
    let a = spawn_app_with(pool, limits).await;
    let b = a.another_node(limits).await;
    let class = (0..40).map(|n| right_code(if n % 2 == 0 { &a } else { &b }, ["S1", "S2", "S3", "T1"][n % 4]));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(class).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_replica_out_of_reach_at_start_does_not_stop_the_node(pool: PgPool) {
    // Nothing listens on this port: the read pool's first connection is refused (as when HAProxy's read port has
    // no replica up yet). The node starts anyway and serves what needs only the primary.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let read_url = format!("postgres://quire@127.0.0.1:{port}/quire");
    let app = spawn_app_with(pool, |c| c.read_database_url = Some(Secret::new(read_url))).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let login = app.login("S1").await;
    let reply = app.sync(&login, vec![app.save(1, 1, 1)]).await;
    assert_eq!(reply.acks.len(), 1);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_token_or_a_session_from_one_node_works_on_another(pool: PgPool) {
    let a = spawn_app(pool).await;
    let b = a.another_node(|_| {}).await;
    // A respondent signed in on one node saves through the other.
    let login = a.login("S1").await;
    let reply = b.sync(&login, vec![b.save(1, 1, 1)]).await;
    assert_eq!(reply.acks.len(), 1);
    assert_eq!(a.count("page_saves").await, 1);
    // An administrator signed in on one node writes through the other, with the session's CSRF token.
    let boss = admin(&a, "boss@example.org", Role::Administrator, None).await;
    let res = boss.post(&b, "/admin/surveys", "application/json", &another_survey("across-nodes")).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Signed out on one node, the session is over on every node.
    assert_eq!(boss.post(&b, "/admin/logout", "application/json", "").await.status(), 200);
    assert_eq!(boss.get(&a, "/admin/surveys/school-climate-2026/progress").await.status(), 401);
}

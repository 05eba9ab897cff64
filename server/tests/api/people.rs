//! People and access over real PostgreSQL: administrators create administrators and coordinators (a generated
//! password shown once), disable and re-enable them (sessions end, sign-in and API tokens refused), reset passwords
//! and change a coordinator's school and surveys; every change and failed sign-in is in the audit log, which filters,
//! pages and downloads as CSV.

use quire_server::admin::api_tokens::{self, NewToken};
use quire_server::admin::auth::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::admin::{admin, sign_in_form, signed_in, AdminSession};
use crate::helpers::{spawn_app, TestApp};

const BOSS: &str = "boss@example.org";
const COORD: &str = "coord@example.org";
const SURVEY: &str = "school-climate-2026";

async fn body(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or_default();
    assert_eq!(got, status, "{body}");
    body
}

/// Creates a person through the page's form; returns their id and the password shown.
async fn create(app: &TestApp, by: &AdminSession, person: Value) -> (Uuid, String) {
    let made = body(by.post(app, "/admin/people", "application/json", &person.to_string()).await, 200).await;
    let password = made["password"].as_str().unwrap_or_default().to_owned();
    assert!(password.chars().count() >= 16, "{made}");
    assert!(made["message"].as_str().unwrap_or_default().contains("shown once"), "{made}");
    (made["id"].as_str().unwrap_or_default().parse().unwrap(), password)
}

async fn coordinator(app: &TestApp, by: &AdminSession) -> (Uuid, String) {
    create(app, by, json!({"email": COORD, "role": "coordinator", "school": "Lincoln", "surveys": [SURVEY]})).await
}

async fn act(app: &TestApp, by: &AdminSession, id: Uuid, what: &str) -> reqwest::Response {
    by.post(app, &format!("/admin/people/{id}/{what}"), "application/json", "").await
}

async fn actions(app: &TestApp) -> Vec<(String, String, Value)> {
    sqlx::query_as("select admin_email, action, detail from audit_log order by id").fetch_all(&app.pool).await.unwrap()
}

async fn api_token(app: &TestApp, owner: &str) -> String {
    let by = api_tokens::admin_by_email(&app.pool, BOSS).await.unwrap().unwrap();
    let new = NewToken {
        owner: owner.into(),
        name: "script".into(),
        read_only: true,
        survey_id: None,
        expires_in_days: None,
    };
    api_tokens::create(&app.pool, &by, &new).await.unwrap().token
}

async fn token_status(app: &TestApp, token: &str) -> StatusCode {
    app.http.get(format!("{}/api/admin/v1/token", app.base)).bearer_auth(token).send().await.unwrap().status()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn an_administrator_creates_people_with_a_password_shown_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, password) = coordinator(&app, &boss).await;

    // Only its hash is kept, and the list never shows it.
    let (hash,): (String,) =
        sqlx::query_as("select password_hash from admins where id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&password));
    let page = boss.get(&app, "/admin/people").await.text().await.unwrap_or_default();
    assert!(page.contains(COORD) && page.contains("Lincoln") && page.contains(SURVEY), "{page}");
    assert!(!page.contains(&password));

    // The coordinator signs in with it and sees only their school; the people and the audit log are not theirs.
    let coord = signed_in(&app, COORD, &password).await;
    let progress = body(coord.get(&app, &format!("/admin/surveys/{SURVEY}/progress")).await, 200).await;
    let names: Vec<&str> = progress["rows"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["4A", "4B"], "Lincoln's classes only: {progress}");
    for path in ["/admin/people", "/admin/audit", "/admin/audit.csv"] {
        assert_eq!(coord.get(&app, path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let other = json!({"email": "x@example.org", "role": "coordinator", "school": "Lincoln"}).to_string();
    assert_eq!(coord.post(&app, "/admin/people", "application/json", &other).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(act(&app, &coord, id, "password").await.status(), StatusCode::FORBIDDEN);

    // An administrator is created the same way; the page lists it with its last sign-in.
    let (_, second) = create(&app, &boss, json!({"email": "Second@Example.org", "role": "administrator"})).await;
    signed_in(&app, "second@example.org", &second).await;
    let (last,): (Option<time::OffsetDateTime>,) =
        sqlx::query_as("select last_sign_in_at from admins where email = 'second@example.org'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(last.is_some());

    // Mistakes name their field; an address taken is a conflict.
    for (person, field) in [
        (json!({"email": "no-at-sign", "role": "administrator"}), "email"),
        (json!({"email": "a@example.org", "role": "boss"}), "role"),
        (json!({"email": "a@example.org", "role": "coordinator"}), "school"),
        (json!({"email": "a@example.org", "role": "administrator", "school": "Lincoln"}), "school"),
        (json!({"email": "a@example.org", "role": "administrator", "surveys": [SURVEY]}), "surveys"),
        (json!({"email": "a@example.org", "role": "coordinator", "school": "L", "surveys": ["nope"]}), "surveys"),
    ] {
        let res = boss.post(&app, "/admin/people", "application/json", &person.to_string()).await;
        assert_eq!(body(res, 400).await["error"]["field"], field, "{person}");
    }
    let again = json!({"email": "COORD@example.org", "role": "coordinator", "school": "Lincoln"}).to_string();
    assert_eq!(boss.post(&app, "/admin/people", "application/json", &again).await.status(), StatusCode::CONFLICT);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn disabling_ends_sessions_and_refuses_sign_in_and_tokens_until_enabled(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, password) = coordinator(&app, &boss).await;
    let coord = signed_in(&app, COORD, &password).await;
    let token = api_token(&app, COORD).await;
    assert_eq!(token_status(&app, &token).await, StatusCode::OK);

    body(act(&app, &boss, id, "disable").await, 200).await;
    assert_eq!(coord.get(&app, &format!("/admin/surveys/{SURVEY}/progress")).await.status(), StatusCode::UNAUTHORIZED);
    let (sessions,): (i64,) = sqlx::query_as("select count(*) from admin_sessions where admin_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(sign_in_form(&app, COORD, &password).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(token_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    let page = boss.get(&app, "/admin/people").await.text().await.unwrap_or_default();
    assert!(page.contains("disabled"), "{page}");
    assert_eq!(act(&app, &boss, id, "disable").await.status(), StatusCode::CONFLICT);

    body(act(&app, &boss, id, "enable").await, 200).await;
    signed_in(&app, COORD, &password).await;
    assert_eq!(token_status(&app, &token).await, StatusCode::OK);
    assert_eq!(act(&app, &boss, id, "enable").await.status(), StatusCode::CONFLICT);
    assert_eq!(act(&app, &boss, Uuid::new_v4(), "disable").await.status(), StatusCode::NOT_FOUND);

    let logged = actions(&app).await;
    let failed: Vec<&Value> = logged.iter().filter(|(_, a, _)| a == "sign_in_failed").map(|(_, _, d)| d).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["reason"], "disabled");
    let token_failed = logged.iter().find(|(_, a, _)| a == "api_token_failed").unwrap();
    assert_eq!((token_failed.0.as_str(), &token_failed.2["reason"]), (COORD, &json!("disabled")));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn an_administrator_cannot_disable_themself_or_the_last_administrator(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (boss_id,): (Uuid,) = sqlx::query_as("select id from admins").fetch_one(&app.pool).await.unwrap();
    let refused = body(act(&app, &boss, boss_id, "disable").await, 409).await;
    assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("yourself"), "{refused}");

    // Two administrators disabling each other at the same moment: one wins, and one administrator stays active.
    let (second_id, second_password) =
        create(&app, &boss, json!({"email": "second@example.org", "role": "administrator"})).await;
    let second = signed_in(&app, "second@example.org", &second_password).await;
    let (a, b) = tokio::join!(act(&app, &boss, second_id, "disable"), act(&app, &second, boss_id, "disable"));
    let wins = [a.status(), b.status()].iter().filter(|s| s.is_success()).count();
    assert_eq!(wins, 1, "{:?} {:?}", a.status(), b.status());
    let (active,): (i64,) =
        sqlx::query_as("select count(*) from admins where role = 'administrator' and disabled_at is null")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(active, 1);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_reset_password_is_shown_once_and_ends_sessions(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, old) = coordinator(&app, &boss).await;
    let coord = signed_in(&app, COORD, &old).await;

    let reset = body(act(&app, &boss, id, "password").await, 200).await;
    let new = reset["password"].as_str().unwrap_or_default().to_owned();
    assert!(new.chars().count() >= 16 && new != old, "{reset}");
    assert_eq!(coord.get(&app, &format!("/admin/surveys/{SURVEY}/progress")).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in_form(&app, COORD, &old).await.status(), StatusCode::UNAUTHORIZED);
    signed_in(&app, COORD, &new).await;
    // Shown once: not on the page, not in the database, not in the audit log.
    assert!(!boss.get(&app, "/admin/people").await.text().await.unwrap_or_default().contains(&new));
    let (dump,): (String,) = sqlx::query_as(
        "select (select string_agg(a::text, ' ') from admins a) || (select string_agg(l::text, ' ') from audit_log l)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(!dump.contains(&new) && !dump.contains(&old));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_coordinators_school_and_surveys_change(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, password) = coordinator(&app, &boss).await;
    let access = json!({"school": "Washington", "surveys": [SURVEY]}).to_string();
    body(boss.post(&app, &format!("/admin/people/{id}/access"), "application/json", &access).await, 200).await;
    let coord = signed_in(&app, COORD, &password).await;
    let progress = body(coord.get(&app, &format!("/admin/surveys/{SURVEY}/progress")).await, 200).await;
    assert_eq!(progress["rows"][0]["name"], "9A", "Washington's class: {progress}");

    // No survey granted: the coordinator reaches none.
    let none = json!({"school": "Washington", "surveys": []}).to_string();
    body(boss.post(&app, &format!("/admin/people/{id}/access"), "application/json", &none).await, 200).await;
    assert_eq!(coord.get(&app, &format!("/admin/surveys/{SURVEY}/progress")).await.status(), StatusCode::FORBIDDEN);

    let (boss_id,): (Uuid,) =
        sqlx::query_as("select id from admins where email = $1").bind(BOSS).fetch_one(&app.pool).await.unwrap();
    let res = boss.post(&app, &format!("/admin/people/{boss_id}/access"), "application/json", &access).await;
    assert_eq!(body(res, 400).await["error"]["field"], "school");
    let blank = json!({"school": " ", "surveys": []}).to_string();
    let res = boss.post(&app, &format!("/admin/people/{id}/access"), "application/json", &blank).await;
    assert_eq!(body(res, 400).await["error"]["field"], "school");

    let change = actions(&app).await.into_iter().find(|(_, a, _)| a == "person.access").unwrap();
    assert_eq!((change.0.as_str(), &change.2["email"]), (BOSS, &json!(COORD)));
    assert_eq!(change.2["school"], json!({"from": "Lincoln", "to": "Washington"}));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn every_change_and_failed_sign_in_is_audited_and_a_flood_is_summed_up(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, password) = coordinator(&app, &boss).await;
    body(act(&app, &boss, id, "password").await, 200).await;
    body(act(&app, &boss, id, "disable").await, 200).await;
    body(act(&app, &boss, id, "enable").await, 200).await;
    let access = json!({"school": "Washington", "surveys": []}).to_string();
    body(boss.post(&app, &format!("/admin/people/{id}/access"), "application/json", &access).await, 200).await;
    assert_eq!(sign_in_form(&app, "nobody@example.org", "a guess of a password").await.status(), 401);
    // Five wrong passwords lock the pair; what the limit turns away after that is one summary row, not one each.
    for _ in 0..5 {
        assert_eq!(sign_in_form(&app, COORD, "a guess of a password").await.status(), 401);
    }
    for _ in 0..4 {
        assert_eq!(sign_in_form(&app, COORD, "a guess of a password").await.status(), 429);
    }
    assert_eq!(token_status(&app, "qat_not-a-real-token").await, StatusCode::UNAUTHORIZED);

    let logged = actions(&app).await;
    let done: Vec<(&str, &str, &str)> = logged
        .iter()
        .filter(|(_, a, _)| a.starts_with("person."))
        .map(|(who, a, d)| (who.as_str(), a.as_str(), d["email"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        done,
        [
            (BOSS, "person.create", COORD),
            (BOSS, "person.reset_password", COORD),
            (BOSS, "person.disable", COORD),
            (BOSS, "person.enable", COORD),
            (BOSS, "person.access", COORD),
        ]
    );
    let reasons: Vec<(&str, &str)> = logged
        .iter()
        .filter(|(_, a, _)| a == "sign_in_failed")
        .map(|(who, _, d)| (who.as_str(), d["reason"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(reasons[0], ("nobody@example.org", "unknown_account"));
    assert_eq!(reasons[1..], [(COORD, "wrong_password"); 5]);
    let throttled: Vec<&Value> =
        logged.iter().filter(|(_, a, _)| a == "sign_in_throttled").map(|(_, _, d)| d).collect();
    assert_eq!(throttled.len(), 1, "{logged:?}");
    assert_eq!(throttled[0]["client"], "127.0.0.1");
    let unknown = logged.iter().find(|(_, a, _)| a == "api_token_failed").unwrap();
    assert_eq!(unknown.2["reason"], "unknown");
    let text = serde_json::to_string(&logged).unwrap();
    assert!(!text.contains("a guess of a password") && !text.contains(&password) && !text.contains("qat_not"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_audit_log_filters_pages_and_downloads_exactly_the_filtered_rows(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, BOSS, Role::Administrator, None).await;
    let (id, _) = coordinator(&app, &boss).await;
    body(act(&app, &boss, id, "disable").await, 200).await;
    assert_eq!(sign_in_form(&app, COORD, "a guess of a password").await.status(), 401);
    assert_eq!(sign_in_form(&app, "=HYPERLINK(\"x\")@evil", "a guess of a password").await.status(), 401);
    // Sixty entries of one action, to page through.
    sqlx::query(
        "insert into audit_log (admin_email, action, detail, at)
         select 'bulk@example.org', 'bulk.test', jsonb_build_object('n', n), now() - interval '3 days'
         from generate_series(1, 60) n",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    // By person: what they did and what was done to them (created, disabled, a failed sign-in).
    let rows = boss.csv(&app, &format!("/admin/audit.csv?email={}", "Coord%40example.org")).await;
    let got: Vec<&str> = rows.iter().map(|r| r["action"].as_str()).collect();
    assert_eq!(got, ["sign_in_failed", "person.disable", "person.create"], "newest first");
    assert!(rows.iter().all(|r| r.contains_key("when_utc") && r.contains_key("who") && r.contains_key("detail")));
    let page = boss.get(&app, "/admin/audit?email=coord%40example.org").await.text().await.unwrap_or_default();
    assert!(page.contains("sign_in_failed") && !page.contains("bulk.test"), "{page}");

    // By action and date, a page at a time; the CSV holds every filtered row, not one page.
    let today = time::OffsetDateTime::now_utc().date();
    let old = today - time::Duration::days(3);
    let page = boss.get(&app, &format!("/admin/audit?action=bulk.test&from={old}&to={old}")).await;
    let page = page.text().await.unwrap_or_default();
    assert_eq!(page.matches("bulk.test</td>").count(), 50, "a page of fifty");
    let older = page.split("before=").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
    let next = boss.get(&app, &format!("/admin/audit?action=bulk.test&before={older}")).await;
    assert_eq!(next.text().await.unwrap_or_default().matches("bulk.test</td>").count(), 10);
    assert_eq!(boss.csv(&app, &format!("/admin/audit.csv?action=bulk.test&from={old}")).await.len(), 60);
    assert!(boss.csv(&app, &format!("/admin/audit.csv?action=bulk.test&from={today}")).await.is_empty());
    assert_eq!(boss.csv(&app, "/admin/audit.csv?action=person.disable").await.len(), 1);
    // A typed address that a spreadsheet would run is defused.
    let evil = boss.csv(&app, "/admin/audit.csv?action=sign_in_failed").await;
    assert!(evil.iter().any(|r| r["who"] == "'=hyperlink(\"x\")@evil"), "{evil:?}");
    // The download is audited, with its filter.
    let exports = actions(&app).await.into_iter().filter(|(_, a, _)| a == "export.audit").count();
    assert!(exports >= 5);

    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        (&format!("from={today}&to={old}") as &str, "to"),
        ("action=DROP%20TABLE", "action"),
        ("before=abc", "before"),
        (&format!("email={}", "x".repeat(400)), "email"),
    ] {
        for path in ["/admin/audit", "/admin/audit.csv"] {
            let res = boss.get(&app, &format!("{path}?{query}")).await;
            assert_eq!(body(res, 400).await["error"]["field"], field, "{path}?{query}");
        }
    }
}

//! Results over real PostgreSQL: small groups suppressed and not recoverable by subtraction, schools under the
//! response rate left out, the role filter, a coordinator's scope, the CSV against the JSON, hidden answers.

use std::collections::HashMap;

use quire_server::admin::auth::Role;
use quire_server::respondent::roster::{self, CodeRow};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::admin::{admin, AdminSession};
use crate::helpers::{spawn_app, TestApp};

const RESULTS: &str = "/admin/surveys/school-climate-2026/results";

/// Big: class A has 4 students, class B 10 students and 5 parents. Everyone finishes the survey.
const BIG: &str = "school,class,role,external_id\n\
    Big,A,student,A1\nBig,A,student,A2\nBig,A,student,A3\nBig,A,student,A4\n\
    Big,B,student,B1\nBig,B,student,B2\nBig,B,student,B3\nBig,B,student,B4\nBig,B,student,B5\n\
    Big,B,student,B6\nBig,B,student,B7\nBig,B,student,B8\nBig,B,student,B9\nBig,B,student,B10\n\
    Big,B,parent,P1\nBig,B,parent,P2\nBig,B,parent,P3\nBig,B,parent,P4\nBig,B,parent,P5\n";

/// Small: 6 students and 3 parents.
const SMALL: &str = "school,class,role,external_id\n\
    Small,1,student,M1\nSmall,1,student,M2\nSmall,1,student,M3\nSmall,1,student,M4\nSmall,1,student,M5\n\
    Small,1,student,M6\nSmall,1,parent,N1\nSmall,1,parent,N2\nSmall,1,parent,N3\n";

async fn load_roster(app: &TestApp, csv: &str) -> Vec<CodeRow> {
    let rows = roster::parse(csv).unwrap();
    roster::load(&app.pool, &app.survey.survey().id, &rows).await.unwrap()
}

async fn respond(app: &TestApp, code: &str, seed: u64) {
    let res = app.post_json("/api/v1/login", &serde_json::json!({"access_code": code}), None).await;
    assert_eq!(res.status(), 200);
    let login = res.json().await.unwrap();
    app.sync(&login, app.journey(1, seed)).await;
}

async fn big_school(app: &TestApp) {
    load_and_respond(app, BIG).await;
}

async fn load_and_respond(app: &TestApp, roster: &str) {
    for (i, c) in load_roster(app, roster).await.iter().enumerate() {
        respond(app, &c.access_code, i as u64 + 1).await;
    }
}

async fn view(boss: &AdminSession, app: &TestApp, query: &str) -> Value {
    let res = boss.get(app, &format!("{RESULTS}.json?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

fn n(v: &Value) -> Option<u64> {
    v["respondents"].as_u64()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_class_of_four_shows_nothing_and_no_total_subtracts_it_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    big_school(&app).await;
    let school = view(&boss, &app, "school=Big").await;
    assert_eq!(n(&school), Some(19));
    let class_a = view(&boss, &app, "school=Big&class=A").await;
    assert_eq!(n(&class_a), None, "4 students: nothing");
    assert!(class_a["tables"].as_array().unwrap().iter().all(|t| t["answered"].is_null()));
    let class_b = view(&boss, &app, "school=Big&class=B").await;
    assert_eq!(n(&class_b), None, "Big - B would be A's 4");
    let b_students = view(&boss, &app, "school=Big&class=B&role=student").await;
    assert_eq!(n(&b_students), None, "Big's students - B's would be A's 4");
    assert_eq!(n(&view(&boss, &app, "school=Big&role=parent").await), Some(5));
    let survey = view(&boss, &app, "").await;
    assert!(n(&survey).is_none() || n(&survey) == Some(19), "only Big reports");
    // Small: its 3 parents never show, and neither does a total they could be subtracted from.
    load_and_respond(&app, SMALL).await;
    assert_eq!(n(&view(&boss, &app, "school=Small&role=parent").await), None);
    let (all, students) =
        (n(&view(&boss, &app, "school=Small").await), n(&view(&boss, &app, "school=Small&role=student").await));
    assert!(all.is_none() || students.is_none(), "all roles - students = 3 parents: {all:?} {students:?}");
    // Across levels: the survey's parents (given, or all roles - students) less Big's 5 would be Small's 3.
    let survey_all = n(&view(&boss, &app, "").await);
    let survey_students = n(&view(&boss, &app, "role=student").await);
    let survey_parents =
        n(&view(&boss, &app, "role=parent").await).or(survey_all.zip(survey_students).map(|(a, s)| a - s));
    let big_parents = n(&view(&boss, &app, "school=Big&role=parent").await);
    assert!(survey_parents.is_none() || big_parents.is_none(), "{survey_parents:?} - {big_parents:?}");
    // Within a question: no option under 5 is shown, and no shown total less the shown options leaves one hidden.
    let mut hidden_somewhere = 0;
    for t in school["tables"].as_array().unwrap() {
        let options: Vec<Option<u64>> = t["options"].as_array().unwrap().iter().map(|o| o["count"].as_u64()).collect();
        assert!(options.iter().flatten().all(|&c| c == 0 || c >= 5), "{t}");
        let hidden = options.iter().filter(|o| o.is_none()).count();
        hidden_somewhere += hidden;
        if t["kind"] != "multiple_choice" && !t["answered"].is_null() {
            assert_ne!(hidden, 1, "answered - shown options would give the hidden one: {t}");
        }
    }
    assert!(hidden_somewhere > 0, "17 people spread over five points leave small cells");
    // The page says so, and draws bars.
    let page = boss.get(&app, &format!("{RESULTS}?school=Big&class=A")).await.text().await.unwrap();
    assert!(page.contains("Suppressed"), "{page}");
    let page = boss.get(&app, &format!("{RESULTS}?school=Big")).await.text().await.unwrap();
    assert!(page.contains("<svg class=\"chart\"") && page.contains("<title id=\"chart-0\">"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_school_under_the_response_rate_shows_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    big_school(&app).await;
    // Lincoln: 1 of 3 responded (33% < 50%).
    respond(&app, &app.code("S1"), 7).await;
    let lincoln = view(&boss, &app, "school=Lincoln").await;
    assert_eq!(n(&lincoln), None);
    assert!(lincoln["unreported"].as_array().unwrap().iter().any(|s| s == "Lincoln"));
    let page = boss.get(&app, &format!("{RESULTS}?school=Lincoln")).await.text().await.unwrap();
    assert!(page.contains("Not reported"), "{page}");
    // Lowered to 30%, Lincoln reports (its single respondent still under min_cell, so its numbers stay hidden).
    let res =
        boss.post(&app, &format!("{RESULTS}/settings"), "application/json", r#"{"min_response_rate": 0.3}"#).await;
    assert_eq!(res.status(), 200);
    let lincoln = view(&boss, &app, "school=Lincoln").await;
    assert!(!lincoln["unreported"].as_array().unwrap().iter().any(|s| s == "Lincoln"));
    assert_eq!(n(&lincoln), None, "1 respondent");
    let survey = view(&boss, &app, "").await;
    assert!(n(&survey) != Some(20) || n(&view(&boss, &app, "school=Big").await).is_none(), "20 - 19 = Lincoln's 1");
    // Bad settings name the field; the change is audited.
    let res = boss.post(&app, &format!("{RESULTS}/settings"), "application/json", r#"{"min_cell": 0}"#).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "min_cell");
    let (audited,): (i64,) = sqlx::query_as("select count(*) from audit_log where action = 'results.settings'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn roles_scope_and_bad_parameters(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    big_school(&app).await;
    // Districts come from the roster (set here directly, before anything is counted).
    sqlx::query("update respondents set district = 'North' where school = 'Big'").execute(&app.pool).await.unwrap();
    let res = boss.post(&app, &format!("{RESULTS}/settings"), "application/json", r#"{"min_cell": 3}"#).await;
    assert!(res.json::<Value>().await.unwrap()["warnings"].as_array().is_some_and(|w| w.len() == 1), "under 5 warns");
    assert_eq!(n(&view(&boss, &app, "school=Big&role=parent").await), Some(5));
    assert_eq!(n(&view(&boss, &app, "school=Big&role=student").await), Some(14));
    assert_eq!(n(&view(&boss, &app, "school=Big&role=teacher").await), None, "nobody");
    let north = view(&boss, &app, "level=district&district=North").await;
    assert_eq!(n(&north), Some(19));
    assert_eq!(north["children"][0]["name"], "Big");
    let survey = view(&boss, &app, "").await;
    assert!(survey["children"].as_array().unwrap().iter().any(|c| c["name"] == "North"), "{survey}");
    assert_eq!(boss.get(&app, &format!("{RESULTS}?district=South")).await.status(), StatusCode::NOT_FOUND);
    for (query, field) in [
        ("role=pupil", "role"),
        ("level=galaxy", "level"),
        ("level=class&school=Big", "class"),
        ("level=district", "district"),
    ] {
        let res = boss.get(&app, &format!("{RESULTS}?{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], field, "{query}");
    }
    assert_eq!(boss.get(&app, &format!("{RESULTS}?school=Nowhere")).await.status(), StatusCode::NOT_FOUND);
    let coordinator = admin(&app, "big@example.org", Role::Coordinator, Some("Big")).await;
    assert_eq!(n(&view(&coordinator, &app, "").await), Some(19), "their school by default");
    assert_eq!(coordinator.get(&app, &format!("{RESULTS}?school=Lincoln")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(coordinator.get(&app, &format!("{RESULTS}?level=survey")).await.status(), StatusCode::FORBIDDEN);
    let res = coordinator.post(&app, &format!("{RESULTS}/settings"), "application/json", r#"{"min_cell": 9}"#).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_csv_holds_the_pages_numbers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    big_school(&app).await;
    let json = view(&boss, &app, "school=Big").await;
    let res = boss.get(&app, &format!("{RESULTS}.csv?school=Big")).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(|r| r.unwrap()).collect();
    let cell = |v: &Value| v.as_u64().map_or("suppressed".to_owned(), |n| n.to_string());
    let mut expected = Vec::new();
    for t in json["tables"].as_array().unwrap() {
        let options = t["options"].as_array().unwrap();
        if options.is_empty() {
            expected.push((t["question"].as_str().unwrap().to_owned(), "(answered)".to_owned(), cell(&t["answered"])));
        }
        for o in options {
            expected.push((
                t["question"].as_str().unwrap().to_owned(),
                o["label"].as_str().unwrap().to_owned(),
                cell(&o["count"]),
            ));
        }
    }
    let got: Vec<(String, String, String)> =
        rows.iter().map(|r| (r["question"].clone(), r["answer"].clone(), r["count"].clone())).collect();
    assert_eq!(got, expected);
    assert!(rows.iter().all(|r| r["respondents"] == "19" && r["school"] == "Big"));
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn hidden_answers_do_not_count(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    // Every number shows: this test is about counting, not suppression.
    let body = r#"{"min_cell": 1, "min_response_rate": 0}"#;
    assert_eq!(boss.post(&app, &format!("{RESULTS}/settings"), "application/json", body).await.status(), 200);
    let s1 = app.login("S1").await;
    // Page 11 asks whether the student was bullied; page 12 follows up only after a "yes". (The role is the
    // roster's: S1 is a student whatever a save says.)
    let mut screen = app.save(11, 2, 11);
    screen.answers.insert("bullied".into(), quire_shared::AnswerValue::Choice("yes".into()));
    let details = app.save(12, 3, 12);
    let question = details.answers.keys().next().cloned().unwrap();
    app.sync(&s1, vec![app.save(0, 1, 11), screen.clone(), details]).await;
    let answered = |v: &Value| -> u64 {
        v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["question"] == question.as_str())
            .map(|t| t["answered"].as_u64().unwrap_or(0))
            .sum()
    };
    assert!(answered(&view(&boss, &app, "school=Lincoln").await) >= 1);
    // S1 says no after all: the follow-up page is hidden, its answers inactive.
    screen.revision = 4;
    screen.answers.insert("bullied".into(), quire_shared::AnswerValue::Choice("no".into()));
    app.sync(&s1, vec![screen]).await;
    // The school's counts are refreshed once its activity reaches group_progress (at most FLUSH_EVERY, 5 s).
    let mut last = u64::MAX;
    for _ in 0..40 {
        last = answered(&view(&boss, &app, "school=Lincoln").await);
        if last == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(last, 0, "{question} is on a page a student who says no does not see");
}

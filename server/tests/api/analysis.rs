//! The analysis bundle read by the programs analysts use: a survey in two versions, a respondent who finished (with
//! one question left blank and pages skip logic hid), one who stopped after two pages, one who signed in to the newer
//! version and saved nothing, one who never started. The bundle is downloaded as a zip and as single files; then
//! `scripts/check_bundle.py` reads it with pandas, pyreadstat and openpyxl, and runs data.R in R, and compares every
//! cell of every respondent with what this test expects from the saves it sent.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use quire_server::admin::auth::Role;
use quire_server::respondent::surveys;
use quire_shared::{active_answers, AllAnswers, AnswerValue, Question, QuestionKind, ValidSurvey};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::admin::admin;
use crate::helpers::{spawn_app, EXAMPLE};

const SURVEY: &str = "school-climate-2026";

/// The Python with pandas, pyreadstat and openpyxl (`scripts/lib.sh ensure_python` makes it).
fn python() -> PathBuf {
    match std::env::var_os("QUIRE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.quire/venv/bin/python"),
    }
}

/// A question's numeric value for a code: the code if every code of the question is a whole number, else its place.
fn value_of(q: &Question, code: &str) -> String {
    let codes = q.kind.codes().unwrap_or_default();
    if codes.iter().all(|c| c.code.parse::<i64>().is_ok()) {
        code.to_owned()
    } else {
        (codes.iter().position(|c| c.code == code).expect("a known code") + 1).to_string()
    }
}

fn label_of(q: &Question, code: &str, lang: &str) -> Value {
    let c = q.kind.codes().unwrap_or_default().iter().find(|c| c.code == code).expect("a known code");
    json!(c.label.get(lang, "en"))
}

/// Expected cells of one respondent: `[question, part, value, label]`, `part` as the codebook writes it.
fn cells(survey: &ValidSurvey, q: &Question, answer: Result<&AnswerValue, i64>, lang: &str) -> Vec<Value> {
    let id = &q.id;
    match (&q.kind, answer) {
        (QuestionKind::Likert { statements, .. }, a) => statements
            .iter()
            .map(|s| match a {
                Ok(AnswerValue::Matrix(m)) => match m.get(&s.id) {
                    Some(c) => json!([id, format!("statement {}", s.id), value_of(q, c), label_of(q, c, lang)]),
                    None => json!([id, format!("statement {}", s.id), "-99", null]),
                },
                Err(code) => json!([id, format!("statement {}", s.id), code.to_string(), null]),
                Ok(other) => panic!("{other:?}"),
            })
            .collect(),
        (QuestionKind::MultipleChoice { choices, .. }, a) => choices
            .iter()
            .map(|c| {
                let v = match a {
                    Ok(AnswerValue::Choices(cs)) => if cs.contains(&c.code) { "1" } else { "0" }.to_owned(),
                    Err(code) => code.to_string(),
                    Ok(other) => panic!("{other:?}"),
                };
                json!([id, format!("option {}", c.code), v, null])
            })
            .collect(),
        (_, Ok(AnswerValue::Choice(c))) => vec![json!([id, "", value_of(q, c), label_of(q, c, lang)])],
        (_, Ok(AnswerValue::Number(n))) => vec![json!([id, "", n.to_string(), null])],
        (_, Ok(AnswerValue::Text(t))) => vec![json!([id, "", t, null])],
        (_, Err(code)) => vec![json!([id, "", code.to_string(), null])],
        (_, Ok(other)) => panic!("{other:?} for {id} of {}", survey.survey().id),
    }
}

/// A second version: `role` reworded, and a new question on the last page.
fn second_version() -> ValidSurvey {
    let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
    doc["pages"][0]["questions"][0]["text"]["en"] = json!("Which of these are you?");
    let last = doc["pages"].as_array().unwrap().len() - 1;
    doc["pages"][last]["questions"].as_array_mut().unwrap().push(json!({
        "id": "would_recommend", "type": "single_choice",
        "text": {"en": "Would you recommend your school?", "es": "¿Recomendaría su escuela?"},
        "choices": [{"code": "yes", "label": {"en": "Yes", "es": "Sí"}}, {"code": "no", "label": {"en": "No", "es": "No"}}]
    }));
    ValidSurvey::parse(&doc.to_string()).unwrap()
}

/// A free-text question the finishing respondent leaves blank: optional, always shown, read by no condition.
fn blank_question(survey: &ValidSurvey, pages: &[quire_shared::PageSave]) -> String {
    pages
        .iter()
        .flat_map(|p| p.answers.keys())
        .find(|id| {
            let q = survey.question(id).unwrap();
            matches!(q.kind, QuestionKind::FreeText { .. })
                && !q.required
                && q.visible_if.is_none()
                && !EXAMPLE.contains(&format!("\"question\": \"{id}\""))
        })
        .cloned()
        .expect("an optional free-text question")
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_bundle_reads_the_same_in_pandas_pyreadstat_excel_and_r(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let v1 = app.survey.clone();
    let (s1, s2) = (app.login("S1").await, app.login("S2").await);
    let mut journey = app.journey(1, 7);
    let blank = blank_question(&v1, &journey);
    journey.iter_mut().for_each(|p| {
        p.answers.remove(&blank);
    });
    app.sync(&s1, journey.clone()).await;
    app.sync(&s2, vec![app.save(0, 1, 5), app.save(1, 2, 6)]).await;
    let v2 = second_version();
    surveys::store_version(&app.pool, &v2, true, &app.static_dir).await.unwrap();
    let s3 = app.login("S3").await;

    let lang = "es";
    let mut expect: Vec<Value> = Vec::new();
    let given: HashMap<&str, &AnswerValue> =
        journey.iter().flat_map(|p| p.answers.iter().map(|(q, v)| (q.as_str(), v))).collect();
    // What counts of the second respondent's two pages is what the shared visibility rule keeps.
    let held: AllAnswers = [app.save(0, 1, 5), app.save(1, 2, 6)].into_iter().map(|p| (p.page_id, p.answers)).collect();
    let second: HashMap<String, AnswerValue> = active_answers(&v1, &held).into_values().flatten().collect();
    for (index, page) in v2.survey().pages.iter().enumerate() {
        for q in &page.questions {
            // The finished student: their answer, blank (-99), or -97 when hidden or not in their version.
            let a = match given.get(q.id.as_str()) {
                Some(v) => Ok(*v),
                None if q.id == blank => Err(-99),
                // Hidden by skip logic (page or question), or not in their version.
                None => Err(-97),
            };
            expect.extend(cells(&v2, q, a, lang).into_iter().map(|c| json!([s1.respondent_id, c])));
            // Stopped after the first two pages: what they gave, then not reached; never asked what their version
            // does not hold.
            let a = match second.get(q.id.as_str()) {
                Some(v) if index < 2 => Ok(v),
                _ if index < 2 || v1.question(&q.id).is_none() => Err(-97),
                _ => Err(-98),
            };
            expect.extend(cells(&v2, q, a, lang).into_iter().map(|c| json!([s2.respondent_id, c])));
            expect.extend(cells(&v2, q, Err(-98), lang).into_iter().map(|c| json!([s3.respondent_id, c])));
        }
    }
    let status: BTreeMap<String, &str> = [(s1.respondent_id, "2"), (s2.respondent_id, "1"), (s3.respondent_id, "0")]
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();

    let dir = std::env::temp_dir().join(format!("quire-bundle-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let zip_bytes = download(&app, &boss, &format!("bundle.zip?lang={lang}")).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    let want = [
        "README.txt",
        "codebook.csv",
        "codebook.html",
        "data.R",
        "data.csv",
        "data.do",
        "data.dta",
        "data.sps",
        "data.xlsx",
    ];
    assert_eq!(names, want);
    for name in &names {
        let mut bytes = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        std::fs::write(dir.join(name), &bytes).unwrap();
    }
    // Each file alone is the file in the zip.
    for name in ["data.csv", "data.dta", "data.R", "codebook.csv"] {
        let alone = download(&app, &boss, &format!("{name}?lang={lang}")).await;
        assert!(alone == std::fs::read(dir.join(name)).unwrap(), "{name} alone differs from the zip's");
    }
    let expectations = json!({"lang": lang, "rows": 4, "cells": expect, "status": status});
    std::fs::write(dir.join("expect.json"), expectations.to_string()).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/check_bundle.py");
    let python = python();
    assert!(
        python.exists(),
        "{} is missing: run `source scripts/lib.sh && ensure_python` (scripts/test.sh does)",
        python.display()
    );
    let out = std::process::Command::new(&python).arg(&script).arg(&dir).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "check_bundle.py failed:\n{report}");
    assert!(report.contains("R: checked"), "R must have run:\n{report}");
    println!("{report}");
    std::fs::remove_dir_all(&dir).ok();
}

async fn download(app: &crate::helpers::TestApp, boss: &crate::admin::AdminSession, file: &str) -> Vec<u8> {
    let res = boss.get(app, &format!("/admin/surveys/{SURVEY}/analysis/{file}")).await;
    assert_eq!(res.status(), 200, "{file}");
    res.bytes().await.unwrap().to_vec()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn bundle_requests_that_are_wrong_say_why_and_coordinators_get_none(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let base = format!("/admin/surveys/{SURVEY}/analysis");
    for (path, status, field) in [
        (format!("{base}/data.csv?lang=fr"), 400, Some("lang")),
        (format!("{base}/data.csv?bom=yes"), 400, Some("bom")),
        (format!("{base}/data.csv?joined=2"), 400, Some("joined")),
        (format!("{base}/data.exe"), 404, None),
        ("/admin/surveys/no-such-survey/analysis/data.csv".to_owned(), 404, None),
    ] {
        let res = boss.get(&app, &path).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
        if let Some(field) = field {
            assert_eq!(body["error"]["field"], field, "{path}: {body}");
        }
    }
    let before: (i64,) = sqlx::query_as("select count(*) from audit_log where action = 'export.analysis'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before.0, 0, "a refused download is not recorded as one");
    let coordinator = admin(&app, "lincoln@example.org", Role::Coordinator, Some("Lincoln")).await;
    let res = coordinator.get(&app, &format!("{base}/bundle.zip")).await;
    assert_eq!(res.status(), 403, "respondent-level answers are the administrator's");
    // A bom and joined codes, and one school.
    let csv = download(&app, &boss, "data.csv?bom=1&joined=1&school=Washington").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBFrespondent_id,"));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.lines().next().unwrap().contains(",home_languages_codes,"));
    assert_eq!(text.lines().count(), 2, "the header and Washington's one respondent");
    let logged: (i64,) = sqlx::query_as("select count(*) from audit_log where action = 'export.analysis'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(logged.0, 1);
}

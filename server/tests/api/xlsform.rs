//! XLSForm uploads through the admin: every problem at its sheet, row and column and nothing stored; a good workbook
//! stored as a version: the researchers' example from e2e/fixtures (its rules at work on the server: tests/logic.rs, e2e).

use quire_server::admin::auth::Role;
use quire_shared::ValidSurvey;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use rust_xlsxwriter::Workbook;
use sqlx::PgPool;

use crate::admin::{admin, AdminSession};
use crate::helpers::{spawn_app, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, boss: &AdminSession, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let res = app
        .http
        .post(format!("{}/admin/surveys", app.base))
        .header(COOKIE, &boss.cookie)
        .header("x-csrf-token", &boss.csrf)
        .header(CONTENT_TYPE, XLSX)
        .header("x-file-name", "mistakes.xlsx")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// A survey sheet from rows of cells (the first row: headers), and a choices sheet.
fn workbook(survey: &[&[&str]], choices: &[&[&str]]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in [("survey", survey), ("choices", choices)] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_workbook_with_mistakes_names_each_cell_and_stores_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let before = app.count("survey_versions").await;
    let bytes = workbook(
        &[
            &["type", "name", "label", "constraint", "relevant"],
            &["integer", "age", "Age", ". >= ", ""],
            &["geopoint", "where", "Where are you?", "", ""],
            &["select_one colours", "colour", "Colour", "", "${nobody} = 1"],
            &["text", "age", "Again", "", ""],
        ],
        &[&["list_name", "name", "label"], &["colors", "red", "Red"]],
    );
    let (status, body) = upload(&app, &boss, bytes).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_survey");
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let cells: Vec<&str> = errors.iter().filter_map(|e| e["cell"].as_str()).collect();
    for cell in ["D2", "A3", "A4", "E4", "B5"] {
        assert!(cells.contains(&cell), "a problem at {cell}: {body}");
    }
    assert!(errors.iter().all(|e| e["sheet"].is_string() && e["message"].is_string()), "{body}");
    assert_eq!(app.count("survey_versions").await, before, "nothing stored");
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn the_researchers_example_is_stored_with_its_pages_likert_table_and_calculation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/school-xlsform.xlsx")).unwrap();
    let (status, body) = upload(&app, &boss, bytes).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["survey_id"], "xlsform-journey");
    let version = body["version"].as_str().unwrap_or_default().to_owned();
    let res = boss.get(&app, &format!("/admin/surveys/xlsform-journey/versions/{version}/survey.json")).await;
    let survey = ValidSurvey::parse_published(&res.text().await.unwrap_or_default()).expect("stored");
    let s = survey.survey();
    assert_eq!((s.languages.as_slice(), s.pages.len()), (&["es".to_owned(), "fr".to_owned()][..], 3));
    // The table-list group is one Likert question; the calculation is stored as a question of its page.
    let school = &s.pages[1];
    assert!(school.questions.iter().any(|q| q.kind.name() == "likert"), "{school:?}");
    assert!(s.pages[0].questions.iter().any(|q| q.kind.name() == "calculate"));
    assert_eq!(s.title.0.get("fr").map(String::as_str), Some("School life"), "one form_title for every language");
    // Downloaded as an XLSForm to edit, it imports to the very same survey.
    let res = boss.get(&app, &format!("/admin/surveys/xlsform-journey/versions/{version}/survey.xlsx")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap_or_default();
    let back = quire_xlsform::import(&bytes, "back.xlsx").expect("imports");
    assert_eq!(&back.survey, s);
}

//! Progress down to the person: the list of one school's people by status, its CSV, and reminder slips for exactly
//! the people picked, in each one's language, with the app's address and its QR code but never the code in a URL.

use quire_server::admin::auth::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::admin::admin;
use crate::helpers::{spawn_app, TestApp};

const SURVEY: &str = "/admin/surveys/school-climate-2026";

async fn id_of(app: &TestApp, external_id: &str) -> String {
    let (id,): (uuid::Uuid,) = sqlx::query_as("select id from respondents where external_id = $1")
        .bind(external_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    id.to_string()
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn a_school_lists_its_people_by_status_with_the_last_page_saved(pool: PgPool) {
    let app = spawn_app(pool).await;
    let coord = admin(&app, "lincoln@example.org", Role::Coordinator, Some("Lincoln")).await;
    // S1 saves two pages, S2 finishes, S3 never starts.
    let s1 = app.login("S1").await;
    app.sync(&s1, vec![app.save(0, 1, 1), app.save(1, 2, 1)]).await;
    let s2 = app.login("S2").await;
    app.sync(&s2, app.journey(1, 2)).await;

    let rows = coord.csv(&app, &format!("{SURVEY}/respondents.csv")).await;
    let status: Vec<(&str, &str, &str)> =
        rows.iter().map(|r| (r["external_id"].as_str(), r["status"].as_str(), r["last_page"].as_str())).collect();
    let second = &app.survey.survey().pages[1];
    let expected_page = format!("2 of 60: {}", second.title.get("en", "en"));
    assert_eq!(status[0], ("S1", "in_progress", expected_page.as_str()), "{rows:?}");
    assert_eq!((status[1].0, status[1].1), ("S2", "completed"));
    assert_eq!(status[2], ("S3", "not_started", ""));
    assert_eq!(rows.len(), 3, "only the coordinator's school");

    let not_started = coord.csv(&app, &format!("{SURVEY}/respondents.csv?status=not_started")).await;
    assert_eq!(not_started.iter().map(|r| r["external_id"].as_str()).collect::<Vec<_>>(), ["S3"]);
    let class = coord.csv(&app, &format!("{SURVEY}/respondents.csv?class=4B")).await;
    assert_eq!(class.iter().map(|r| r["external_id"].as_str()).collect::<Vec<_>>(), ["S3"]);

    let page = coord.get(&app, &format!("{SURVEY}/respondents?status=in_progress")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("Ben") && html.contains("Ana") && html.contains(&expected_page), "{html}");

    // Another school, a bad filter, an administrator without a school: refused, naming the field.
    for (path, status, field) in [
        (format!("{SURVEY}/respondents?school=Washington"), 403, None),
        (format!("{SURVEY}/respondents.csv?school=Washington"), 403, None),
        (format!("{SURVEY}/respondents?status=lost"), 400, Some("status")),
        (format!("{SURVEY}/respondents.csv?role=robot"), 400, Some("role")),
    ] {
        let res = coord.get(&app, &path).await;
        assert_eq!(res.status(), status, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        if let Some(field) = field {
            assert_eq!(body["error"]["field"], field, "{path}: {body}");
        }
    }
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    // By role is counted from the respondents: within a school only, on a page refreshed every 5 s.
    let res = boss.get(&app, &format!("{SURVEY}/progress?by=role")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"]["field"], "by");
    let by_role: serde_json::Value =
        boss.get(&app, &format!("{SURVEY}/progress?school=Lincoln&by=role")).await.json().await.unwrap();
    assert_eq!(by_role["rows"][0]["name"], "student");
    assert_eq!(by_role["totals"]["total"], 3);
    let res = boss.get(&app, &format!("{SURVEY}/respondents")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["field"], "school", "{body}");
    let audited: (i64,) = sqlx::query_as("select count(*) from audit_log where action = 'respondents.download'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audited.0, 3);
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn reminder_slips_are_for_exactly_the_people_picked_in_their_language(pool: PgPool) {
    let app = spawn_app(pool).await;
    let boss = admin(&app, "boss@example.org", Role::Administrator, None).await;
    let roster = "school,class,role,external_id,name,language\n\
                  Lincoln,4A,parent,P1,Paz,Spanish\nLincoln,4A,parent,P2,Pat,en\nWashington,9A,parent,P3,Quinn,es\n";
    assert_eq!(boss.post(&app, &format!("{SURVEY}/roster"), "text/csv", roster).await.status(), 200);
    let (p1, p2, p3, s1) =
        (id_of(&app, "P1").await, id_of(&app, "P2").await, id_of(&app, "P3").await, id_of(&app, "S1").await);

    let res = boss.get(&app, &format!("{SURVEY}/reminders?school=Lincoln&id={p1}&id={s1}")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    // Exactly the two picked: P1 in Spanish, S1 (no language) in the survey's default, English.
    let slips: Vec<&str> = html.split("data-respondent=\"").skip(1).map(|s| &s[..36]).collect();
    assert_eq!(slips, [p1.as_str(), s1.as_str()], "{html}");
    assert!(html.contains(r#"<div class="slip" lang="es""#) && html.contains("Recordatorio: su encuesta le espera"));
    assert!(html.contains(r#"<div class="slip" lang="en""#) && html.contains("Reminder: your survey is waiting"));
    assert!(html.contains("madre, padre o tutor"), "the role in Spanish");
    // The address, as text and as a QR code; the access code is printed but is in no address.
    // (Tests run with secure cookies, as in production: the address is https.)
    let site = app.base.replace("http://", "https://");
    assert!(html.contains(&format!("<strong>{site}/</strong>")), "{html}");
    assert_eq!(html.matches(r##"<use href="#app-qr">"##).count(), 2, "one QR code per slip");
    assert_eq!(html.matches("<symbol").count(), 1, "drawn once");
    let code = quire_server::respondent::roster::format_code(&app.code("S1"));
    assert!(html.contains(&code));
    assert!(!html.contains("code="), "no access code in a URL");

    // By filter: everyone not started in Lincoln (S1..S3, P1, P2), none from Washington.
    let html =
        boss.get(&app, &format!("{SURVEY}/reminders?school=Lincoln&status=not_started")).await.text().await.unwrap();
    assert_eq!(html.matches("data-respondent=").count(), 5);
    assert!(!html.contains(&p3));

    // A person of another school, an id that is none, nobody at all: 400 naming `id`; a coordinator elsewhere: 403.
    for path in [
        format!("{SURVEY}/reminders?school=Lincoln&id={p3}"),
        format!("{SURVEY}/reminders?school=Lincoln&id=not-an-id"),
        format!("{SURVEY}/reminders?school=Lincoln&id={p2}&id={p2}"),
        format!("{SURVEY}/reminders?school=Nowhere"),
    ] {
        let res = boss.get(&app, &path).await;
        assert_eq!(res.status(), 400, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["field"], "id", "{path}: {body}");
    }
    let coord = admin(&app, "washington@example.org", Role::Coordinator, Some("Washington")).await;
    assert_eq!(coord.get(&app, &format!("{SURVEY}/reminders?school=Lincoln&id={p1}")).await.status(), 403);
    let html = coord.get(&app, &format!("{SURVEY}/codes/print")).await.text().await.unwrap();
    assert!(html.contains(r#"lang="es""#) && html.contains("Su código de acceso") && html.contains("Quinn"), "{html}");
    let audited: (i64,) = sqlx::query_as("select count(*) from audit_log where action = 'reminders.print'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audited.0, 2);

    // A survey that opts in: each slip's link and QR code carry the person's code (the app takes `?code=` out of the
    // address bar), and the page draws one code per slip. Only administrators may opt in.
    let opt_in = r#"{"code_in_url": true}"#;
    assert_eq!(coord.post(&app, &format!("{SURVEY}/slips/settings"), "application/json", opt_in).await.status(), 403);
    let res =
        boss.post(&app, &format!("{SURVEY}/slips/settings"), "application/json", r#"{"code_in_url": "yes"}"#).await;
    assert_eq!(res.status(), 400);
    assert_eq!(boss.post(&app, &format!("{SURVEY}/slips/settings"), "application/json", opt_in).await.status(), 200);
    let html = boss.get(&app, &format!("{SURVEY}/reminders?school=Lincoln&id={p1}")).await.text().await.unwrap();
    assert!(!html.contains("<symbol"), "no shared code");
    assert!(html.contains("QR code that opens the survey with this access code"), "{html}");
    let (code,): (String,) = sqlx::query_as("select access_code from respondents where external_id = 'P1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let qr = html.split(r#"<svg class="qr""#).nth(1).unwrap_or_default();
    let decoded = qr_of(&format!("{site}/?code={code}"));
    assert!(qr.contains(&decoded), "the slip's QR code is its own address with the code");
}

/// The shapes `qrcode` draws for `text`, as the slips embed them.
fn qr_of(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().quiet_zone(true).module_dimensions(1, 1).build())
        .unwrap();
    svg.split("crispEdges\">").nth(1).unwrap_or_default().trim_end_matches("</svg>").to_owned()
}

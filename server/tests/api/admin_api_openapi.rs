//! The admin API's OpenAPI document against the API itself: fetched from the server, every answer of every route
//! (successes and errors) is checked against the schema the document gives for its status and content type
//! (`jsonschema`, with `$ref`s resolved into the document's components), every documented operation is exercised, and
//! every one the server routes is documented (a request without a token to each gets the documented 401, not 404).

use std::collections::BTreeSet;

use quire_server::admin::auth::{create_admin, Role};
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::admin::{another_survey, PASSWORD};
use crate::helpers::{spawn_app, TestApp};

const SURVEY: &str = "school-climate-2026";

struct Doc {
    doc: Value,
    /// (method, path template) of every operation a response was checked for.
    seen: BTreeSet<(String, String)>,
}

impl Doc {
    async fn fetch(app: &TestApp) -> Doc {
        let res = app.get("/api/admin/openapi.json").await;
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        Doc { doc, seen: BTreeSet::new() }
    }

    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "delete", "patch"] {
                if item.get(method).is_some() {
                    out.insert((method.to_owned(), path.clone()));
                }
            }
        }
        out
    }

    /// The schema the document gives an answer of `status` and `content_type` to `method template`, made a
    /// standalone JSON Schema: the document's components ride along so `#/components/…` resolves.
    fn schema(&self, method: &str, template: &str, status: u16, content_type: &str) -> Value {
        let op = &self.doc["paths"][template][method];
        assert!(op.is_object(), "{method} {template} is not in the document");
        let response = &op["responses"][status.to_string()];
        assert!(response.is_object(), "{method} {template}: status {status} is not documented");
        let content = &response["content"][content_type];
        assert!(content.is_object(), "{method} {template} {status}: {content_type} is not documented: {response}");
        let mut schema = content["schema"].clone();
        schema["components"] = self.doc["components"].clone();
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        schema
    }

    /// Checks `res` against the document and returns its status and body.
    async fn check(&mut self, res: reqwest::Response, method: &str, template: &str) -> (u16, Value) {
        let status = res.status().as_u16();
        let content_type = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let content_type = content_type.split(';').next().unwrap_or("").trim().to_owned();
        if status == 429 || status == 503 {
            let headers = &self.doc["paths"][template][method]["responses"][status.to_string()]["headers"];
            assert!(headers.get("Retry-After").is_some(), "{method} {template} {status}: Retry-After undocumented");
            assert!(res.headers().get("retry-after").is_some());
        }
        let text = res.text().await.unwrap();
        let body = if content_type == "application/json" {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {template}: not JSON ({e}): {text}"))
        } else {
            Value::String(text)
        };
        let schema = self.schema(method, template, status, &content_type);
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{method} {template} {status}: the document's schema does not compile: {e}"));
        let problems: Vec<String> =
            validator.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(problems.is_empty(), "{method} {template} {status}: {problems:?}\nbody: {body}\nschema: {schema}");
        self.seen.insert((method.to_owned(), template.to_owned()));
        (status, body)
    }
}

/// A request to `template` with its parameters filled in (`{survey_id}`, `{version}`) and `query` appended.
struct Call<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
}

impl Call<'_> {
    async fn send(
        &self,
        method: &str,
        template: &str,
        fill: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> reqwest::Response {
        let mut path = template.to_owned();
        for (name, value) in fill {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = self.app.http.request(method, format!("{}{path}", self.app.base));
        if let Some(t) = self.token {
            req = req.bearer_auth(t);
        }
        if let Some((content_type, body)) = body {
            req = req.header(CONTENT_TYPE, content_type).body(body);
        }
        req.send().await.unwrap()
    }
}

async fn tokens(app: &TestApp) -> (String, String, String) {
    use quire_server::admin::api_tokens::{admin_by_email, create, NewToken};
    create_admin(&app.pool, "boss@example.org", PASSWORD, Role::Administrator, None, &[]).await.unwrap();
    create_admin(&app.pool, "c@example.org", PASSWORD, Role::Coordinator, Some("Lincoln"), &[SURVEY.into()])
        .await
        .unwrap();
    let mut out = Vec::new();
    for (owner, read_only) in [("boss@example.org", false), ("boss@example.org", true), ("c@example.org", false)] {
        let by = admin_by_email(&app.pool, owner).await.unwrap().unwrap();
        let new =
            NewToken { owner: owner.into(), name: "doc".into(), read_only, survey_id: None, expires_in_days: None };
        out.push(create(&app.pool, &by, &new).await.unwrap().token);
    }
    (out[0].clone(), out[1].clone(), out[2].clone())
}

#[sqlx::test(migrator = "quire_server::MIGRATOR")]
async fn every_answer_matches_the_openapi_document(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut doc = Doc::fetch(&app).await;
    assert_eq!(doc.doc["openapi"], "3.1.0");
    let scheme = &doc.doc["components"]["securitySchemes"]["api_token"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")));
    for (method, path) in doc.operations() {
        assert!(path.starts_with("/api/admin/"), "{path}");
        let op = &doc.doc["paths"][&path][&method];
        if path == "/api/admin/openapi.json" {
            continue;
        }
        assert_eq!(op["security"], json!([{"api_token": []}]), "{method} {path}");
        for status in ["401", "403", "429", "500", "503"] {
            let schema = &op["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
        }
    }

    let (boss, reader, coordinator) = tokens(&app).await;
    let (as_boss, as_reader, as_coord) = (
        Call { app: &app, token: Some(&boss) },
        Call { app: &app, token: Some(&reader) },
        Call { app: &app, token: Some(&coordinator) },
    );
    let nobody = Call { app: &app, token: None };
    let version = app.survey.version().to_owned();
    let s: &[(&str, &str)] = &[("survey_id", SURVEY), ("version", &version)];
    let missing: &[(&str, &str)] = &[("survey_id", "no-such-survey"), ("version", "nope")];
    let json_file = |id: &str| Some(("application/json", another_survey(id)));
    let csv = |text: &str| Some(("text/csv", text.to_owned()));

    // Every documented operation is routed, and refuses a request without a token as documented.
    for (method, path) in doc.operations() {
        if path == "/api/admin/openapi.json" {
            continue;
        }
        let (status, body) = doc.check(nobody.send(&method, &path, s, None).await, &method, &path).await;
        assert_eq!((status, &body["error"]["code"]), (401, &json!("unauthorized")), "{method} {path}");
    }
    let o = "/api/admin/openapi.json";
    doc.check(nobody.send("get", o, &[], None).await, "get", o).await;

    let t = "/api/admin/v1/token";
    assert_eq!(doc.check(as_reader.send("get", t, &[], None).await, "get", t).await.0, 200);

    let list = "/api/admin/v1/surveys";
    assert_eq!(doc.check(as_boss.send("get", list, &[], None).await, "get", list).await.0, 200);
    assert_eq!(doc.check(as_boss.send("post", list, &[], json_file("doc-two")).await, "post", list).await.0, 201);
    assert_eq!(doc.check(as_reader.send("post", list, &[], json_file("doc-three")).await, "post", list).await.0, 403);
    let broken = Some(("application/json", r#"{"id": "x", "pages": []}"#.to_owned()));
    let (status, body) = doc.check(as_boss.send("post", list, &[], broken.clone()).await, "post", list).await;
    assert_eq!(status, 400);
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()), "{body}");

    let validate = "/api/admin/v1/surveys/validate";
    assert_eq!(doc.check(as_reader.send("post", validate, &[], json_file("v")).await, "post", validate).await.0, 200);
    assert_eq!(doc.check(as_reader.send("post", validate, &[], broken).await, "post", validate).await.0, 400);
    let not_json = Some(("text/plain", "{}".to_owned()));
    assert_eq!(doc.check(as_reader.send("post", validate, &[], not_json).await, "post", validate).await.0, 400);

    let versions = "/api/admin/v1/surveys/{survey_id}/versions";
    assert_eq!(doc.check(as_boss.send("get", versions, s, None).await, "get", versions).await.0, 200);
    assert_eq!(doc.check(as_boss.send("get", versions, missing, None).await, "get", versions).await.0, 404);
    assert_eq!(doc.check(as_coord.send("get", versions, s, None).await, "get", versions).await.0, 403);

    let publish = "/api/admin/v1/surveys/{survey_id}/versions/{version}/publish";
    assert_eq!(doc.check(as_boss.send("post", publish, s, None).await, "post", publish).await.0, 200);
    let wrong_version: &[(&str, &str)] = &[("survey_id", SURVEY), ("version", "nope")];
    assert_eq!(doc.check(as_boss.send("post", publish, wrong_version, None).await, "post", publish).await.0, 404);
    assert_eq!(doc.check(as_reader.send("post", publish, s, None).await, "post", publish).await.0, 403);

    let roster = "/api/admin/v1/surveys/{survey_id}/roster";
    let good = csv("school,class,role,external_id\nLincoln,4A,student,D1\n");
    assert_eq!(doc.check(as_boss.send("post", roster, s, good.clone()).await, "post", roster).await.0, 201);
    let bad = csv("school,class,role,external_id\nLincoln,4A,robot,D2\n");
    let (status, body) = doc.check(as_boss.send("post", roster, s, bad).await, "post", roster).await;
    assert_eq!(status, 400, "{body}");
    let foreign = csv("school,class,role,external_id\nWashington,9A,student,D3\n");
    assert_eq!(doc.check(as_coord.send("post", roster, s, foreign).await, "post", roster).await.0, 403);
    assert_eq!(doc.check(as_boss.send("post", roster, missing, good).await, "post", roster).await.0, 404);

    let codes = "/api/admin/v1/surveys/{survey_id}/codes.csv";
    assert_eq!(doc.check(as_coord.send("get", codes, s, None).await, "get", codes).await.0, 200);
    assert_eq!(doc.check(as_boss.send("get", codes, missing, None).await, "get", codes).await.0, 404);

    let progress = "/api/admin/v1/surveys/{survey_id}/progress";
    for query in ["", "?by=role", "?school=Lincoln", "?by=class&school=Lincoln"] {
        let path = format!("{progress}{query}");
        let res = as_boss.send("get", &path, s, None).await;
        assert_eq!(doc.check(res, "get", progress).await.0, 200, "{query}");
    }
    let res = as_boss.send("get", &format!("{progress}?by=nonsense"), s, None).await;
    assert_eq!(doc.check(res, "get", progress).await.0, 400);
    let res = as_coord.send("get", &format!("{progress}?school=Washington"), s, None).await;
    assert_eq!(doc.check(res, "get", progress).await.0, 403);
    assert_eq!(doc.check(as_boss.send("get", progress, missing, None).await, "get", progress).await.0, 404);

    // A refused save, so the quarantine has a row to describe.
    let login = app.login("S1").await;
    let mut save = app.save(0, 1, 3);
    save.answers.insert("no-such-question".into(), quire_shared::AnswerValue::Text("?".into()));
    app.sync(&login, vec![save]).await;
    let quarantine = "/api/admin/v1/surveys/{survey_id}/quarantine";
    let (status, body) = doc.check(as_boss.send("get", quarantine, s, None).await, "get", quarantine).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
    let res = as_boss.send("get", &format!("{quarantine}?limit=0"), s, None).await;
    assert_eq!(doc.check(res, "get", quarantine).await.0, 400);
    assert_eq!(doc.check(as_boss.send("get", quarantine, missing, None).await, "get", quarantine).await.0, 404);
    for csv_path in [
        "/api/admin/v1/surveys/{survey_id}/quarantine.csv",
        "/api/admin/v1/surveys/{survey_id}/exports/responses.csv",
        "/api/admin/v1/surveys/{survey_id}/exports/codebook.csv",
    ] {
        assert_eq!(doc.check(as_boss.send("get", csv_path, s, None).await, "get", csv_path).await.0, 200);
        assert_eq!(doc.check(as_boss.send("get", csv_path, missing, None).await, "get", csv_path).await.0, 404);
        assert_eq!(doc.check(as_coord.send("get", csv_path, s, None).await, "get", csv_path).await.0, 403);
    }

    // The analysis bundle: every file with its content type, a parameter that is not allowed, no such file.
    let analysis = "/api/admin/v1/surveys/{survey_id}/exports/analysis/{file}";
    for file in ["bundle.zip", "data.csv", "codebook.html", "data.R", "data.dta", "data.xlsx", "README.txt"] {
        let with = [("survey_id", SURVEY), ("file", file)];
        assert_eq!(doc.check(as_boss.send("get", analysis, &with, None).await, "get", analysis).await.0, 200, "{file}");
    }
    let data_csv = [("survey_id", SURVEY), ("file", "data.csv")];
    let res = as_boss.send("get", &format!("{analysis}?lang=xx"), &data_csv, None).await;
    assert_eq!(doc.check(res, "get", analysis).await.0, 400);
    let exe = [("survey_id", SURVEY), ("file", "data.exe")];
    assert_eq!(doc.check(as_boss.send("get", analysis, &exe, None).await, "get", analysis).await.0, 404);
    assert_eq!(doc.check(as_coord.send("get", analysis, &data_csv, None).await, "get", analysis).await.0, 403);

    people_and_audit(&mut doc, &as_boss, &as_reader, &as_coord).await;

    // Last, as it makes this address wait: too many failed tokens.
    let bad_token = Call { app: &app, token: Some("qat_wrong") };
    let mut last = 0;
    for _ in 0..=quire_server::http::sign_in_limits::API_TOKEN_FAILURES_PER_MINUTE {
        last = doc.check(bad_token.send("get", t, &[], None).await, "get", t).await.0;
    }
    assert_eq!(last, 429);

    assert_eq!(doc.seen, doc.operations(), "every documented operation is exercised");
}

/// The people routes and the audit log: each success and each documented error.
async fn people_and_audit(doc: &mut Doc, boss: &Call<'_>, reader: &Call<'_>, coord: &Call<'_>) {
    let people = "/api/admin/v1/people";
    assert_eq!(doc.check(boss.send("get", people, &[], None).await, "get", people).await.0, 200);
    assert_eq!(doc.check(coord.send("get", people, &[], None).await, "get", people).await.0, 403);
    let body = |v: Value| Some(("application/json", v.to_string()));
    let new = json!({"email": "new@example.org", "role": "coordinator", "school": "Lincoln", "surveys": [SURVEY]});
    let (status, made) = doc.check(boss.send("post", people, &[], body(new.clone())).await, "post", people).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(doc.check(boss.send("post", people, &[], body(new.clone())).await, "post", people).await.0, 409);
    let bad = json!({"email": "x", "role": "coordinator"});
    assert_eq!(doc.check(boss.send("post", people, &[], body(bad)).await, "post", people).await.0, 400);
    assert_eq!(doc.check(reader.send("post", people, &[], body(new)).await, "post", people).await.0, 403);

    let id = made["id"].as_str().unwrap_or_default().to_owned();
    let one: &[(&str, &str)] = &[("id", &id)];
    let none: &[(&str, &str)] = &[("id", "00000000-0000-0000-0000-000000000000")];
    for what in ["disable", "enable"] {
        let path = format!("/api/admin/v1/people/{{id}}/{what}");
        assert_eq!(doc.check(boss.send("post", &path, one, None).await, "post", &path).await.0, 200, "{what}");
        assert_eq!(doc.check(boss.send("post", &path, one, None).await, "post", &path).await.0, 409, "{what}");
        assert_eq!(doc.check(boss.send("post", &path, none, None).await, "post", &path).await.0, 404, "{what}");
    }
    let password = "/api/admin/v1/people/{id}/password";
    let (status, reset) = doc.check(boss.send("post", password, one, None).await, "post", password).await;
    assert_eq!((status, reset["email"].as_str()), (200, Some("new@example.org")));
    assert_eq!(doc.check(boss.send("post", password, none, None).await, "post", password).await.0, 404);
    let access = "/api/admin/v1/people/{id}/access";
    let to = body(json!({"school": "Washington", "surveys": []}));
    assert_eq!(doc.check(boss.send("post", access, one, to.clone()).await, "post", access).await.0, 200);
    let blank = body(json!({"school": "", "surveys": []}));
    assert_eq!(doc.check(boss.send("post", access, one, blank).await, "post", access).await.0, 400);
    assert_eq!(doc.check(boss.send("post", access, none, to).await, "post", access).await.0, 404);

    let audit = "/api/admin/v1/audit";
    let (status, page) = doc.check(boss.send("get", audit, &[], None).await, "get", audit).await;
    assert_eq!(status, 200);
    assert!(page["entries"].as_array().is_some_and(|e| e.iter().any(|e| e["action"] == "person.access")), "{page}");
    let filtered = format!("{audit}?email=new%40example.org&action=person.disable&from=2026-01-01");
    let (status, page) = doc.check(boss.send("get", &filtered, &[], None).await, "get", audit).await;
    assert_eq!((status, page["entries"].as_array().map(Vec::len)), (200, Some(1)));
    let (status, bad) = doc.check(boss.send("get", &format!("{audit}?to=x"), &[], None).await, "get", audit).await;
    assert_eq!((status, &bad["error"]["field"]), (400, &json!("to")));
    assert_eq!(doc.check(coord.send("get", audit, &[], None).await, "get", audit).await.0, 403);
    let csv = "/api/admin/v1/audit.csv";
    let (status, text) = doc.check(boss.send("get", csv, &[], None).await, "get", csv).await;
    assert!(status == 200 && text.as_str().is_some_and(|t| t.starts_with("id,when_utc,who,action")), "{text}");
    assert_eq!(doc.check(boss.send("get", &format!("{csv}?from=x"), &[], None).await, "get", csv).await.0, 400);
}

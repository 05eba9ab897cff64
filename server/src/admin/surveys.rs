//! Surveys in the admin: the list, uploading a file as a new version, publishing a version, and previewing it.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use quire_shared::{Question, QuestionKind, ValidSurvey};
use serde::Deserialize;
use time::OffsetDateTime;

use super::audit;
use super::csrf::AdminWrite;
use super::html::{self, esc, fmt_time, url_param};
use super::session::Admin;
use super::upload::{read_body, require_content_type, MAX_SURVEY_BYTES};
use crate::http::error::ApiError;
use crate::respondent::surveys;
use crate::AppState;

/// `GET /admin`: every survey with its current version and how many people its rosters hold. A coordinator sees
/// the surveys their school takes part in.
pub async fn home(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    // survey, current version, published at, respondents
    type Row = (String, Option<String>, Option<OffsetDateTime>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "select s.survey_id, s.current_version, s.published_at,
                (select sum(total)::int8 from group_progress g
                 where g.survey_id = s.survey_id and ($1::text is null or g.school = $1))
         from surveys s
         where $1::text is null or s.survey_id = any($2)
         order by s.survey_id",
    )
    .bind(&admin.school)
    .bind(&admin.surveys)
    .fetch_all(&state.read_pool)
    .await?;
    let mut body = String::from(
        "<table class=\"list\"><thead><tr><th>Survey</th><th>Current version</th><th>Published (UTC)</th><th>Respondents</th></tr></thead><tbody>",
    );
    for (id, version, published, total) in &rows {
        body.push_str(&format!(
            "<tr><td><a href=\"/admin/surveys/{}\">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            url_param(id),
            esc(id),
            esc(version.as_deref().map_or("not published", |v| &v[..v.len().min(12)])),
            esc(&fmt_time(*published)),
            total.unwrap_or(0)
        ));
    }
    body.push_str("</tbody></table>");
    if rows.is_empty() {
        body.push_str("<p>No surveys yet.</p>");
    }
    if admin.require_administrator().is_ok() {
        body.push_str("<h2>Upload a survey</h2><p>A survey file (JSON). It is checked and stored as a new version; publish it from the survey's page.</p>");
        body.push_str(&html::api_form(
            "/admin/surveys",
            "Survey file",
            Some((".json,application/json", "application/json")),
        ));
    }
    Ok(html::page(&admin, "Surveys", &body))
}

/// `POST /admin/surveys` (body: the survey JSON): validated with the same code respondents' answers are checked
/// against; every problem is reported with its JSON path, and nothing is stored unless there are none.
pub async fn upload(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    require_content_type(&headers, "application/json")?;
    let body = read_body(body, MAX_SURVEY_BYTES).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_survey", "the survey file is not UTF-8 text", None))?;
    let survey = ValidSurvey::parse(text).map_err(|errors| ApiError::Invalid {
        code: "invalid_survey",
        message: format!("the survey has {} problem(s); nothing was stored", errors.len()),
        field: errors.first().map(|e| e.path.clone()),
        errors: errors.iter().map(|e| serde_json::json!({"path": e.path, "message": e.message})).collect(),
    })?;
    surveys::store_version(&state.pool, &survey, false, &state.config.static_dir).await?;
    let (id, version) = (&survey.survey().id, survey.version());
    audit::record(&state.pool, &admin, "survey.upload", Some(id), serde_json::json!({"version": version})).await?;
    let warnings = survey.warnings();
    let gaps = if warnings.is_empty() {
        String::new()
    } else {
        format!(" ({} text(s) without a translation, listed under warnings)", warnings.len())
    };
    Ok(Json(serde_json::json!({
        "survey_id": id,
        "version": version,
        "message": format!("stored {id} version {}{gaps}; publish it from the survey's page", &version[..12.min(version.len())]),
        "redirect": format!("/admin/surveys/{}", url_param(id)),
        "warnings": warnings.iter().map(|w| serde_json::json!({"path": w.path, "message": w.message})).collect::<Vec<_>>(),
    })))
}

/// `GET /admin/surveys/{id}`: versions (publish, preview), roster upload, access codes, dashboard and exports.
pub async fn show(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Response, ApiError> {
    admin.require_survey(&id)?;
    let current: Option<(Option<String>,)> = sqlx::query_as("select current_version from surveys where survey_id = $1")
        .bind(&id)
        .fetch_optional(&state.read_pool)
        .await?;
    let Some((current,)) = current else { return Err(ApiError::NotFound("no such survey")) };
    let schools: Vec<(String, Vec<String>)> = sqlx::query_as(
        "select school, array_agg(class order by class) from group_progress
         where survey_id = $1 and ($2::text is null or school = $2) group by school order by school",
    )
    .bind(&id)
    .bind(&admin.school)
    .fetch_all(&state.read_pool)
    .await?;
    let eid = url_param(&id);
    let mut body =
        format!(r#"<p><a class="button" href="/admin/surveys/{eid}/dashboard">Completion dashboard</a></p>"#);
    if admin.require_administrator().is_ok() {
        let versions: Vec<(String, OffsetDateTime)> = sqlx::query_as(
            "select version, created_at from survey_versions where survey_id = $1 order by created_at desc",
        )
        .bind(&id)
        .fetch_all(&state.read_pool)
        .await?;
        body.push_str("<h2>Versions</h2><table class=\"list\"><thead><tr><th>Version</th><th>Uploaded (UTC)</th><th></th><th></th></tr></thead><tbody>");
        for (version, created) in versions {
            let state_cell = if current.as_deref() == Some(version.as_str()) {
                "<strong>published: new respondents get this version</strong>".to_owned()
            } else {
                html::api_form(&format!("/admin/surveys/{eid}/versions/{version}/publish"), "Publish", None)
            };
            body.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{state_cell}</td><td><a href=\"/admin/surveys/{eid}/versions/{}/preview\">Preview</a></td></tr>",
                esc(&version[..version.len().min(16)]),
                esc(&fmt_time(Some(created))),
                esc(&version)
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(
        "<h2>Roster</h2><p>A CSV file with the header <code>school,class,role,external_id,name</code> (role: student, \
         teacher or parent; name optional). Every bad row is reported; nothing is loaded from a file with errors. \
         People already loaded keep their codes.</p>",
    );
    body.push_str(&html::api_form(
        &format!("/admin/surveys/{eid}/roster"),
        "Roster file",
        Some((".csv,text/csv", "text/csv")),
    ));
    body.push_str("<h2>Access codes</h2><table class=\"list\"><thead><tr><th>School</th><th>Codes</th><th>Print a slip per respondent</th></tr></thead><tbody>");
    for (school, classes) in &schools {
        let es = url_param(school);
        let mut links = format!(r#"<a href="/admin/surveys/{eid}/codes/print?school={es}">whole school</a>"#);
        for class in classes {
            links.push_str(&format!(
                r#" · <a href="/admin/surveys/{eid}/codes/print?school={es}&amp;class={}">{}</a>"#,
                url_param(class),
                esc(class)
            ));
        }
        body.push_str(&format!(
            r#"<tr><td>{}</td><td><a href="/admin/surveys/{eid}/codes.csv?school={es}">CSV</a></td><td>{links}</td></tr>"#,
            esc(school)
        ));
    }
    body.push_str("</tbody></table>");
    if admin.require_administrator().is_ok() {
        body.push_str(&format!(
            r#"<p><a href="/admin/surveys/{eid}/codes.csv">All codes (CSV)</a></p>
<h2>Export</h2><form method="get" action="/admin/surveys/{eid}/export.csv" class="inline">
<label>School (empty for all) <input name="school"></label><button>Responses (CSV)</button></form>
<p><a href="/admin/surveys/{eid}/codebook.csv">Codebook (CSV)</a> · <a href="/admin/surveys/{eid}/quarantine.csv">Quarantined saves (CSV)</a></p>"#
        ));
    }
    Ok(html::page(&admin, &format!("Survey {id}"), &body))
}

/// `POST /admin/surveys/{id}/versions/{version}/publish`: writes the content-hashed file under `static/surveys/`
/// (before the database points at it) and makes it the version new respondents get. Respondents already pinned to an
/// older version keep it.
pub async fn publish(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    surveys::store_version(&state.pool, &survey, true, &state.config.static_dir).await?;
    audit::record(&state.pool, &admin, "survey.publish", Some(&id), serde_json::json!({"version": version})).await?;
    Ok(Json(serde_json::json!({
        "message": format!("published; new respondents get {}", surveys::survey_url(&version)),
        "survey_url": surveys::survey_url(&version),
        "reload": true,
    })))
}

async fn load_version(state: &AppState, id: &str, version: &str) -> Result<std::sync::Arc<ValidSurvey>, ApiError> {
    match state.surveys.get(&state.pool, version).await? {
        Some(s) if s.survey().id == id => Ok(s),
        _ => Err(ApiError::NotFound("no such survey version")),
    }
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    lang: Option<String>,
}

/// `GET /admin/surveys/{id}/versions/{version}/preview?lang=`: every page as a respondent sees it (same questions,
/// choices and help in the chosen language), with the skip rules written out. Nothing is saved.
pub async fn preview(
    State(state): State<AppState>,
    admin: Admin,
    Path((id, version)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let survey = load_version(&state, &id, &version).await?;
    let s = survey.survey();
    let languages: Vec<&String> = std::iter::once(&s.default_language).chain(&s.languages).collect();
    let lang = q.lang.filter(|l| languages.contains(&l)).unwrap_or_else(|| s.default_language.clone());
    let t = |text: &quire_shared::Text| esc(text.get(&lang, &s.default_language));
    let mut body = format!(
        "<p class=\"note\">Preview of version <code>{}</code>. Languages: ",
        esc(&version[..16.min(version.len())])
    );
    for l in languages {
        body.push_str(&format!(r#"<a href="?lang={0}">{0}</a> "#, esc(l)));
    }
    body.push_str(&format!("</p><h2>{}</h2>", t(&s.title)));
    for (n, page) in s.pages.iter().enumerate() {
        body.push_str(&format!(
            "<section class=\"preview-page\"><h3>Page {} of {}: {}</h3>",
            n + 1,
            s.pages.len(),
            t(&page.title)
        ));
        if let Some(c) = &page.visible_if {
            body.push_str(&format!(
                "<p class=\"note\">Shown only if: <code>{}</code></p>",
                esc(&serde_json::to_string(c).unwrap_or_default())
            ));
        }
        for q in &page.questions {
            body.push_str(&preview_question(q, &t));
        }
        body.push_str("</section>");
    }
    Ok(html::page(&admin, &format!("Preview: {id}"), &body))
}

fn preview_question(q: &Question, t: &dyn Fn(&quire_shared::Text) -> String) -> String {
    let required = if q.required { " <span class=\"required\">(required)</span>" } else { "" };
    let help = q.help.as_ref().map(|h| format!("<p class=\"help\">{}</p>", t(h))).unwrap_or_default();
    let condition = q
        .visible_if
        .as_ref()
        .map(|c| {
            format!(
                "<p class=\"note\">Shown only if: <code>{}</code></p>",
                esc(&serde_json::to_string(c).unwrap_or_default())
            )
        })
        .unwrap_or_default();
    let name = esc(&q.id);
    let control = match &q.kind {
        QuestionKind::SingleChoice { choices } | QuestionKind::MultipleChoice { choices, .. } => {
            let ty = if matches!(q.kind, QuestionKind::SingleChoice { .. }) { "radio" } else { "checkbox" };
            choices
                .iter()
                .map(|c| format!(r#"<label class="choice"><input type="{ty}" name="{name}"> {}</label>"#, t(&c.label)))
                .collect::<String>()
        }
        QuestionKind::Dropdown { choices } => format!(
            "<select name=\"{name}\"><option></option>{}</select>",
            choices.iter().map(|c| format!("<option>{}</option>", t(&c.label))).collect::<String>()
        ),
        QuestionKind::Likert { scale, statements } => {
            let head: String = scale.iter().map(|c| format!("<th>{}</th>", t(&c.label))).collect();
            let rows: String = statements
                .iter()
                .map(|st| {
                    let cells: String = scale
                        .iter()
                        .map(|_| format!(r#"<td><input type="radio" name="{name}.{}"></td>"#, esc(&st.id)))
                        .collect();
                    format!("<tr><th scope=\"row\">{}</th>{cells}</tr>", t(&st.text))
                })
                .collect();
            format!("<table class=\"likert\"><thead><tr><td></td>{head}</tr></thead><tbody>{rows}</tbody></table>")
        }
        QuestionKind::FreeText { max_length, multiline: true } => {
            format!(r#"<textarea name="{name}" maxlength="{max_length}"></textarea>"#)
        }
        QuestionKind::FreeText { max_length, .. } => format!(r#"<input name="{name}" maxlength="{max_length}">"#),
        QuestionKind::Number { .. } => format!(r#"<input type="number" name="{name}">"#),
    };
    format!(
        "<fieldset class=\"question\"><legend>{}{required}</legend>{help}{condition}{control}<p class=\"note\">id <code>{name}</code> · {}</p></fieldset>",
        t(&q.text),
        q.kind.name()
    )
}

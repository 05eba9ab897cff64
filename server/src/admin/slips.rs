//! Printed slips: access slips for a school or class (`/codes/print`) and reminder slips for exactly the people an
//! administrator picked (`/reminders`). Each slip is in the language the person's roster row names (English or
//! Spanish; others get the survey's default language if it is one of those, else English) and carries the app's
//! address as text and as a QR code. The address holds the access code only when the survey opts in
//! (`surveys.code_in_slip_url`, set on the survey page): one scan then signs in (the app reads `?code=` and takes it
//! out of the address bar), but a shared printer's queue or a phone's history may keep it.

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup, PreEscaped};
use qrcode::render::svg;
use qrcode::QrCode;
use uuid::Uuid;

use super::audit;
use super::csrf::AdminWrite;
use super::html;
use super::respondents::{self, Filter, ListQuery, Person};
use super::rosters::{survey_exists, CodesQuery};
use super::session::Admin;
use crate::config::ServeConfig;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::respondent::roster::format_code;
use crate::state::AppState;

/// Most slips one request prints (a large school's everyone, several times over).
const MAX_SLIPS: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Access,
    Reminder,
}

/// A slip's words in one language.
struct Words {
    lang: &'static str,
    access: &'static str,
    reminder: &'static str,
    nudge: &'static str,
    code: &'static str,
    go: &'static str,
    then: &'static str,
    scan: &'static str,
    roles: [(&'static str, &'static str); 3],
}

const EN: Words = Words {
    lang: "en",
    access: "Your survey",
    reminder: "Reminder: your survey is waiting",
    nudge: "We have not received your answers yet. It only takes a few minutes to start, and the app keeps every answer as you go.",
    code: "Your access code",
    go: "Go to",
    then: "and enter your access code.",
    scan: "Or scan this code with a phone or tablet:",
    roles: [("student", "student"), ("teacher", "teacher"), ("parent", "parent or guardian")],
};

const ES: Words = Words {
    lang: "es",
    access: "Su encuesta",
    reminder: "Recordatorio: su encuesta le espera",
    nudge: "Todavía no hemos recibido sus respuestas. Empezar toma unos minutos, y la aplicación guarda cada respuesta al momento.",
    code: "Su código de acceso",
    go: "Vaya a",
    then: "y escriba su código de acceso.",
    scan: "O escanee este código con un teléfono o una tableta:",
    roles: [("student", "estudiante"), ("teacher", "docente"), ("parent", "madre, padre o tutor")],
};

/// The words for a person: their roster language, else the survey's default, else English.
fn words(person: Option<&str>, survey_default: &str) -> &'static Words {
    [person, Some(survey_default)]
        .into_iter()
        .flatten()
        .find_map(|l| match l.split('-').next() {
            Some("en") => Some(&EN),
            Some("es") => Some(&ES),
            _ => None,
        })
        .unwrap_or(&EN)
}

/// The address respondents open: `QUIRE_PUBLIC_URL`, else the host this page was asked for (https unless the
/// server runs on plain HTTP on loopback).
pub fn app_url(config: &ServeConfig, headers: &HeaderMap) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}/")
}

/// `url` drawn as a QR code: its view box and its shapes.
fn qr_shapes(url: &str) -> (String, String) {
    let svg = QrCode::new(url.as_bytes())
        .map(|code| code.render::<svg::Color>().quiet_zone(true).module_dimensions(1, 1).build())
        .unwrap_or_default();
    let view_box = svg.split("viewBox=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("0 0 0 0");
    let inner = svg.find("crispEdges\">").and_then(|i| svg.get(i + 12..)).and_then(|s| s.strip_suffix("</svg>"));
    (view_box.to_owned(), inner.unwrap_or("").to_owned())
}

/// The QR code of `url`, once per page: an SVG symbol that each slip shows with `<use>` (the code of one address is
/// the same on every slip, and drawn out it is some 10 KB).
pub fn qr_symbol(url: &str) -> Markup {
    let (view_box, shapes) = qr_shapes(url);
    html! {
        svg class="qr-defs" aria-hidden="true" width="0" height="0" {
            symbol id="app-qr" viewBox=(view_box) shape-rendering="crispEdges" { (PreEscaped(shapes)) }
        }
    }
}

/// A slip's QR code: the page's symbol (the app's address), or with `own`, a code of this slip's own address.
fn qr(url: &str, own: bool) -> Markup {
    if own {
        let (view_box, shapes) = qr_shapes(url);
        return html! {
            svg class="qr" role="img" aria-label="QR code that opens the survey with this access code"
                viewBox=(view_box) shape-rendering="crispEdges" { (PreEscaped(shapes)) }
        };
    }
    html! { svg class="qr" role="img" aria-label={ "QR code of " (url) } { use href="#app-qr" {} } }
}

/// How a survey's slips are printed: the language of people whose roster names none, and whether the address carries
/// the access code.
pub struct Options {
    pub default_language: String,
    pub code_in_url: bool,
}

impl Options {
    pub async fn of(state: &AppState, survey_id: &str) -> Result<Options, ApiError> {
        let found: Option<(Option<String>, bool)> = sqlx::query_as(
            "select (v.content::jsonb) ->> 'default_language', s.code_in_slip_url from surveys s
             left join survey_versions v on v.version = s.current_version where s.survey_id = $1",
        )
        .bind(survey_id)
        .fetch_optional(&state.read_pool)
        .await?;
        let (lang, code_in_url) = found.unwrap_or_default();
        Ok(Options { default_language: lang.unwrap_or_else(|| "en".into()), code_in_url })
    }
}

/// One person's slip.
fn slip(kind: Kind, p: &Person, url: &str, options: &Options) -> Markup {
    let w = words(p.language.as_deref(), &options.default_language);
    let role = w.roles.iter().find(|(k, _)| *k == p.role).map_or(p.role.as_str(), |(_, v)| v);
    let own = options.code_in_url.then(|| format!("{url}?code={}", p.access_code));
    html! {
        div class="slip" lang=(w.lang) data-respondent=(p.id) {
            div class="heading" { (if kind == Kind::Access { w.access } else { w.reminder }) }
            div class="who" { (p.display_name()) }
            div { (p.school) " · " (p.class) " · " (role) }
            @if kind == Kind::Reminder { p class="nudge" { (w.nudge) } }
            div class="code-label" { (w.code) }
            div class="code" { (format_code(&p.access_code)) }
            div class="how" { (w.go) " " strong { (url) } " " (w.then) }
            div class="scan" { (w.scan) }
            (qr(own.as_deref().unwrap_or(url), own.is_some()))
        }
    }
}

/// The printable page: one sheet per class.
pub fn sheets(kind: Kind, people: &[Person], url: &str, options: &Options) -> Markup {
    html! {
        @if !options.code_in_url { (qr_symbol(url)) }
        p class="no-print" { (people.len()) " slip(s). Use the browser's Print; each class starts on a new sheet." }
        @for sheet in people.chunk_by(|a, b| a.class == b.class) {
            div class="sheet" {
                @if let Some(first) = sheet.first() { h2 { (first.school) " · class " (first.class) } }
                @for p in sheet { (slip(kind, p, url, options)) }
            }
        }
    }
}

/// `POST /admin/surveys/{id}/slips/settings` (`{"code_in_url": true}`, administrators): whether slips' addresses and
/// QR codes carry the access code. Audited.
pub async fn settings(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    survey_exists(&state, &admin, &id).await?;
    let Some(on) = body.get("code_in_url").and_then(serde_json::Value::as_bool) else {
        return Err(ApiError::bad_request(
            "invalid_field",
            "code_in_url must be true or false",
            Some("code_in_url".into()),
        ));
    };
    sqlx::query("update surveys set code_in_slip_url = $2 where survey_id = $1")
        .bind(&id)
        .bind(on)
        .execute(&state.pool)
        .await?;
    audit::record(&state.pool, &admin, "slips.settings", Some(&id), serde_json::json!({"code_in_url": on})).await?;
    let message = if on {
        "Slips now carry the access code in their link and QR code."
    } else {
        "Slips carry the app's address only."
    };
    Ok(axum::Json(serde_json::json!({"message": message, "code_in_url": on})))
}

/// `GET /admin/surveys/{id}/codes/print?school=&class=`: one access slip per respondent, each class starting a new
/// sheet, in each person's language (`slips`).
pub async fn access(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<CodesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let filter = Filter::new(&admin, ListQuery { school: q.school, class: q.class, ..ListQuery::default() })?;
    survey_exists(&state, &admin, &id).await?;
    let people = respondents::list(&state.read_pool, &id, &filter).await?;
    let detail = serde_json::json!({"school": filter.school, "class": filter.class});
    audit::record(&state.pool, &admin, "codes.print", Some(&id), detail).await?;
    let options = Options::of(&state, &id).await?;
    let url = app_url(&state.config, &headers);
    Ok(html::page(&admin, &format!("Access codes: {}", filter.school), sheets(Kind::Access, &people, &url, &options)))
}

/// `GET /admin/surveys/{id}/reminders?school=&id=…&id=…` (exactly those people) or `?school=&class=&role=&status=`
/// (everyone the filter lists): reminder slips.
pub async fn reminders(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (q, picked) = parse_query(query.as_deref().unwrap_or(""))?;
    let filter = Filter::new(&admin, q)?;
    survey_exists(&state, &admin, &id).await?;
    let mut people = respondents::list(&state.read_pool, &id, &filter).await?;
    if !picked.is_empty() {
        people.retain(|p| picked.contains(&p.id));
        if people.len() != picked.len() {
            let message = "a picked person is not on this school's list (or was picked twice)";
            return Err(ApiError::bad_request("invalid_field", message, Some("id".into())));
        }
    }
    if people.is_empty() || people.len() > MAX_SLIPS {
        let message = format!("print between 1 and {MAX_SLIPS} slips at a time; this asks for {}", people.len());
        return Err(ApiError::bad_request("invalid_field", message, Some("id".into())));
    }
    let detail =
        serde_json::json!({"school": filter.school, "people": people.iter().map(|p| p.id).collect::<Vec<_>>()});
    audit::record(&state.pool, &admin, "reminders.print", Some(&id), detail).await?;
    let options = Options::of(&state, &id).await?;
    let url = app_url(&state.config, &headers);
    let title = format!("Reminder slips: {}", filter.school);
    Ok(html::page(&admin, &title, sheets(Kind::Reminder, &people, &url, &options)))
}

/// The filter and the picked ids (`id`, repeated) of a reminder request.
fn parse_query(query: &str) -> Result<(ListQuery, Vec<Uuid>), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request("invalid_field", format!("the query does not parse: {e}"), None))?;
    let mut q = ListQuery::default();
    let mut ids = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "school" => q.school = Some(value),
            "class" => q.class = Some(value),
            "role" => q.role = Some(value),
            "status" => q.status = Some(value),
            "id" => ids.push(Uuid::parse_str(&value).map_err(|_| {
                ApiError::bad_request("invalid_field", format!("`{value}` is not a person's id"), Some("id".into()))
            })?),
            _ => {}
        }
    }
    Ok((q, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slip_speaks_the_persons_language_and_never_puts_the_code_in_the_address() {
        assert_eq!(words(Some("es"), "en").lang, "es");
        assert_eq!(words(Some("es-MX"), "en").lang, "es");
        assert_eq!(words(Some("pl"), "es").lang, "es");
        assert_eq!(words(None, "fr").lang, "en");
        let symbol = qr_symbol("https://survey.example.org/").into_string();
        let start = r#"<svg class="qr-defs" aria-hidden="true" width="0" height="0"><symbol id="app-qr" viewBox="0 0 "#;
        assert!(symbol.starts_with(start) && symbol.contains(r#"crispEdges"><rect"#), "{symbol}");
        assert!(symbol.ends_with("</symbol></svg>"), "{symbol}");
        let (q, ids) = parse_query("school=Lincoln&id=6f1f7a3e-8d2c-4b8e-9f10-2a3b4c5d6e7f&id=6f1f7a3e-8d2c-4b8e-9f10-2a3b4c5d6e70&status=not_started").unwrap();
        assert_eq!((q.school.as_deref(), q.status.as_deref(), ids.len()), (Some("Lincoln"), Some("not_started"), 2));
        assert!(parse_query("id=nope").is_err());
    }
}

//! The administrators' side: accounts and roles (`auth`), sign-in and sessions (`login`, `session`, `csrf`),
//! surveys, rosters and access codes, the completion dashboard and the people behind it, results, exports, the audit
//! log, people and access, and admin API tokens.
//! Everything lives under /admin; pages are server-rendered (`html`). This module only routes: its children use one
//! another, never it.

pub mod accounts;
pub mod analysis;
pub mod api_tokens;
pub mod audit;
pub mod audit_filter;
pub mod audit_page;
pub mod auth;
pub mod csrf;
pub mod csv_stream;
pub mod dashboard;
pub mod html;
pub mod login;
pub mod people;
pub mod people_page;
pub mod preview;
pub mod quarantine;
pub mod respondents;
pub mod results;
pub mod results_page;
pub mod results_settings;
pub mod rosters;
pub mod session;
pub mod slips;
pub mod survey_page;
pub mod surveys;
pub mod tokens;
pub mod upload;

pub use upload::{MAX_ROSTER_BYTES, MAX_SURVEY_BYTES};

use axum::extract::DefaultBodyLimit;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::http::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(surveys::home))
        .route("/admin/login", get(login::login_page).post(login::login))
        .route("/admin/logout", post(login::logout))
        .route("/admin/assets/admin.js", get(|| async { asset("text/javascript; charset=utf-8", html::ADMIN_JS) }))
        .route("/admin/assets/admin.css", get(|| async { asset("text/css; charset=utf-8", html::ADMIN_CSS) }))
        // Uploads read their bodies with `read_body` and their own limits; everything else keeps axum's 2 MB.
        .route("/admin/surveys", post(surveys::upload).layer(DefaultBodyLimit::disable()))
        .route("/admin/surveys/{id}", get(survey_page::show))
        .route("/admin/surveys/{id}/versions/{version}/publish", post(surveys::publish))
        .route("/admin/surveys/{id}/versions/{version}/preview", get(preview::preview))
        .route("/admin/surveys/{id}/versions/{version}/survey.json", get(preview::survey_json))
        .route("/admin/surveys/{id}/versions/{version}/survey.xlsx", get(preview::survey_xlsx))
        .route("/admin/surveys/{id}/roster", post(rosters::upload).layer(DefaultBodyLimit::disable()))
        .route("/admin/surveys/{id}/codes.csv", get(rosters::codes_csv))
        .route("/admin/surveys/{id}/codes/print", get(slips::access))
        .route("/admin/surveys/{id}/dashboard", get(dashboard::page))
        .route("/admin/surveys/{id}/progress", get(dashboard::progress))
        .route("/admin/surveys/{id}/respondents", get(respondents::page))
        .route("/admin/surveys/{id}/respondents.csv", get(respondents::csv))
        .route("/admin/surveys/{id}/reminders", get(slips::reminders))
        .route("/admin/surveys/{id}/slips/settings", post(slips::settings))
        .route("/admin/surveys/{id}/results", get(results_page::page))
        .route("/admin/surveys/{id}/results.json", get(results::json))
        .route("/admin/surveys/{id}/results.csv", get(results::csv))
        .route("/admin/surveys/{id}/results/settings", post(results_settings::save))
        .route("/admin/surveys/{id}/export.csv", get(analysis::responses))
        .route("/admin/surveys/{id}/codebook.csv", get(analysis::codebook))
        .route("/admin/surveys/{id}/quarantine.csv", get(quarantine::quarantine))
        .route("/admin/surveys/{id}/analysis/{file}", get(analysis::download))
        .route("/admin/audit", get(audit_page::page))
        .route("/admin/audit.csv", get(audit_page::csv))
        .route("/admin/people", get(people_page::page).post(people_page::create))
        .route("/admin/people/{id}/disable", post(people_page::disable))
        .route("/admin/people/{id}/enable", post(people_page::enable))
        .route("/admin/people/{id}/password", post(people_page::reset_password))
        .route("/admin/people/{id}/access", post(people_page::access))
        .route("/admin/tokens", get(tokens::page).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/{*rest}", axum::routing::any(|| async { ApiError::NotFound("no such admin page") }))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")], body)
}

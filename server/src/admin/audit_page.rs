//! `/admin/audit`: the audit log, newest first, filtered (`audit_filter`) and a page at a time, and the same filter
//! as a streamed CSV of every matching entry (`/admin/audit.csv`). Administrators only.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use futures_util::TryStreamExt;
use maud::{html, Markup};
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::audit;
use super::audit_filter::AuditFilter;
use super::csv_stream::stream_csv;
use super::html::{self, fmt_time};
use super::session::Admin;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Entries on a page.
pub const PAGE: i64 = 50;

/// Actions offered as suggestions in the filter (any other is typed).
const ACTIONS: &[&str] = &[
    "sign_in",
    "sign_in_failed",
    "sign_in_throttled",
    "api_token_failed",
    "api_token_throttled",
    "person.create",
    "person.disable",
    "person.enable",
    "person.reset_password",
    "person.access",
    "api_token.create",
    "api_token.revoke",
    "survey.upload",
    "survey.publish",
    "roster.upload",
    "codes.print",
    "export.audit",
];

pub type Entry = (i64, OffsetDateTime, String, String, Option<String>, serde_json::Value);

fn select(filter: &AuditFilter) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::new("select id, at, admin_email, action, survey_id, detail from audit_log");
    filter.push_where(&mut q);
    q.push(" order by id desc");
    q
}

/// One page of the filtered log, newest first, and the `before` of the next (older) page if there is one.
pub async fn read_page(pool: &PgPool, filter: &AuditFilter) -> Result<(Vec<Entry>, Option<i64>), sqlx::Error> {
    let mut q = select(filter);
    q.push(" limit ").push_bind(PAGE + 1);
    let mut rows: Vec<Entry> = q.build_query_as().fetch_all(pool).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let older = rows.last().filter(|_| more).map(|r| r.0);
    Ok((rows, older))
}

/// `GET /admin/audit?email=&action=&from=&to=&before=`.
pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let filter = AuditFilter::parse(raw.as_deref())?;
    let (rows, older) = read_page(&state.read_pool, &filter).await?;
    let query = filter.query_string();
    let body = html! {
        (filter_form(&filter))
        p { a href={ "/admin/audit.csv?" (query) } download { "Download these entries as CSV" } " (every page)" }
        (entries(&rows))
        nav class="pages" aria-label="Pages of the audit log" {
            @if filter.before.is_some() { a href={ "/admin/audit?" (query) } { "Newest entries" } }
            @if let Some(older) = older { a href={ "/admin/audit?" (query) "&before=" (older) } { "Older entries" } }
        }
    };
    Ok(html::page(&admin, "Audit log", body))
}

fn filter_form(f: &AuditFilter) -> Markup {
    let day = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    html! {
        form method="get" action="/admin/audit" class="inline filters" {
            label { "Person (email) " input name="email" value=(f.email.as_deref().unwrap_or("")); }
            label { "Action " input name="action" list="audit-actions" value=(f.action.as_deref().unwrap_or("")); }
            datalist id="audit-actions" { @for a in ACTIONS { option value=(a) {} } }
            label { "From (UTC) " input name="from" type="date" value=(day(f.from)); }
            label { "To (UTC) " input name="to" type="date" value=(day(f.to)); }
            button { "Filter" }
            a href="/admin/audit" { "Clear" }
        }
    }
}

fn entries(rows: &[Entry]) -> Markup {
    html! {
        // Focusable, so that a keyboard scrolls it sideways on a narrow screen.
        div class="scroll" tabindex="0" role="region" aria-label="Audit log entries" {
            table class="list" {
                caption class="visually-hidden" { "Audit log entries, newest first" }
                thead { tr { th { "When (UTC)" } th { "Who" } th { "Action" } th { "Survey" } th { "Detail" } } }
                tbody {
                    @for (_, at, email, action, survey, detail) in rows {
                        tr {
                            td { (fmt_time(Some(*at))) }
                            td { (email) }
                            td { (action) }
                            td { (survey.as_deref().unwrap_or("")) }
                            td { code { (detail.to_string()) } }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() {
            p { "No entries match." }
        }
    }
}

/// `GET /admin/audit.csv?email=&action=&from=&to=`.
pub async fn csv(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    download(&state, &admin, AuditFilter::parse(raw.as_deref())?).await
}

/// Every entry the filter matches, streamed as CSV, each cell defused; the download is audited with its filter.
pub async fn download(state: &AppState, admin: &Admin, filter: AuditFilter) -> Result<Response, ApiError> {
    let asked = serde_json::json!({
        "email": filter.email, "action": filter.action,
        "from": filter.from.map(|d| d.to_string()), "to": filter.to.map(|d| d.to_string()),
    });
    audit::record(&state.pool, admin, "export.audit", None, serde_json::json!({ "filter": asked })).await?;
    let pool = state.read_pool.clone();
    Ok(stream_csv("audit.csv", move |mut sink| async move {
        sink.write(CSV_HEADER)?;
        let mut q = select(&filter);
        let mut rows = q.build_query_as::<Entry>().fetch(&pool);
        while let Some((id, at, email, action, survey, detail)) = rows.try_next().await? {
            sink.write([
                id.to_string(),
                fmt_time(Some(at)),
                email,
                action,
                survey.unwrap_or_default(),
                detail.to_string(),
            ])?;
            sink.flush_if_full().await?;
        }
        sink.finish().await
    }))
}

pub const CSV_HEADER: [&str; 6] = ["id", "when_utc", "who", "action", "survey", "detail"];

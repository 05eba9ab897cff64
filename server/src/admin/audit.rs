//! The audit log: who uploaded, published, loaded, downloaded or exported what, and when. Written in the same
//! request as the action (after it succeeded); read by administrators at /admin/audit.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::html::{self, fmt_time};
use super::session::Admin;
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn record(
    pool: &PgPool,
    admin: &Admin,
    action: &str,
    survey_id: Option<&str>,
    mut detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    // What an API token did is told from what its owner did in a browser by the token's id.
    if let (Some(token), Some(fields)) = (admin.token, detail.as_object_mut()) {
        fields.insert("api_token".into(), serde_json::Value::String(token.to_string()));
    }
    record_by(pool, admin.id, &admin.email, action, survey_id, detail).await
}

/// An event with no signed-in administrator (a failed sign-in): `who` is what was typed as the address.
pub async fn record_anonymous(
    pool: &PgPool,
    who: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into audit_log (admin_id, admin_email, action, detail) values (null, $1, $2, $3)")
        .bind(who)
        .bind(action)
        .bind(detail)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn record_by(
    pool: &PgPool,
    admin_id: Uuid,
    email: &str,
    action: &str,
    survey_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into audit_log (admin_id, admin_email, action, survey_id, detail) values ($1, $2, $3, $4, $5)")
        .bind(admin_id)
        .bind(email)
        .bind(action)
        .bind(survey_id)
        .bind(detail)
        .execute(pool)
        .await?;
    Ok(())
}

/// `GET /admin/audit`: the latest 500 entries.
pub async fn page(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let rows: Vec<(OffsetDateTime, String, String, Option<String>, serde_json::Value)> =
        sqlx::query_as("select at, admin_email, action, survey_id, detail from audit_log order by id desc limit 500")
            .fetch_all(&state.read_pool)
            .await?;
    let body = html! {
        div class="scroll" tabindex="0" role="region" aria-label="Audit log entries" {
            table class="list" {
                thead { tr { th { "When (UTC)" } th { "Who" } th { "Action" } th { "Survey" } th { "Detail" } } }
                tbody {
                    @for (at, email, action, survey, detail) in &rows {
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
    };
    Ok(html::page(&admin, "Audit log", body))
}

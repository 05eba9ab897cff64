//! `/admin/tokens`: administrators make, list and revoke admin API tokens (`api_tokens`). A new token's secret is
//! shown once, in the answer to the form; the page lists only names, owners and scopes.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use maud::{html, Markup};
use uuid::Uuid;

use super::api_tokens::{self, NewToken, TokenRow};
use super::csrf::AdminWrite;
use super::html::{self, fmt_time};
use super::session::Admin;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::state::AppState;

/// `GET /admin/tokens`: the tokens, and the form that makes one.
pub async fn page(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let tokens = api_tokens::list(&state.pool).await?;
    let body = html! {
        p {
            "A token lets a script use the admin API (" code { "/api/admin/v1/" } ", described at "
            a href="/api/admin/openapi.json" { "/api/admin/openapi.json" } ") as the account that owns it, "
            "sent as " code { "Authorization: Bearer qat_…" } ". It is shown once; only its hash is kept."
        }
        h2 { "New token" }
        (new_token_form(&admin.email))
        h2 { "Tokens" }
        (tokens_table(&tokens))
    };
    Ok(html::page(&admin, "API tokens", body))
}

fn new_token_form(own_email: &str) -> Markup {
    html! {
        form data-api action="/admin/tokens" class="stack" {
            label { "Name " input name="name" required maxlength="200" placeholder="nightly export"; }
            label { "Owner (the account it acts as) " input name="owner" type="email" required value=(own_email); }
            label { input name="read_only" type="checkbox" checked; " Read only (no uploads or publishing)" }
            label { "Only this survey (empty for all) " input name="survey_id"; }
            label { "Expires after days (empty for never) " input name="expires_in_days" type="number" min="1" max="3650"; }
            button { "Create token" }
            div class="result" aria-live="polite" {}
        }
    }
}

fn tokens_table(tokens: &[TokenRow]) -> Markup {
    html! {
        div class="scroll" tabindex="0" role="region" aria-label="API tokens" {
            table class="list" {
                thead {
                    tr {
                        th { "Name" } th { "Owner" } th { "Access" } th { "Survey" } th { "Created (UTC)" }
                        th { "Expires (UTC)" } th { "Last used (UTC)" } th {}
                    }
                }
                tbody {
                    @for t in tokens {
                        tr {
                            td { (t.name) }
                            td { (t.owner) }
                            td { (if t.read_only { "read only" } else { "full" }) }
                            td { (t.survey_id.as_deref().unwrap_or("all")) }
                            td { (fmt_time(Some(t.created_at))) }
                            td { (t.expires_at.map_or("never".to_owned(), |e| fmt_time(Some(e)))) }
                            td { (fmt_time(t.last_used_at)) }
                            td {
                                @if let Some(at) = t.revoked_at {
                                    "revoked " (fmt_time(Some(at)))
                                } @else {
                                    (html::api_form(&format!("/admin/tokens/{}/revoke", t.id), "Revoke", None))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if tokens.is_empty() {
            p { "No tokens yet." }
        }
    }
}

/// `POST /admin/tokens` (JSON: `NewToken`): the token, once.
pub async fn create(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    JsonBody(new): JsonBody<NewToken>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let created = api_tokens::create(&state.pool, &admin, &new).await?;
    Ok(Json(serde_json::json!({
        "id": created.id,
        "token": created.token,
        "expires_at": created.expires_at.map(|t| fmt_time(Some(t))),
        "message": format!("Copy this token now; it is not shown again: {}", created.token),
    })))
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<Uuid>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    api_tokens::revoke(&state.pool, &admin, id).await?;
    Ok(Json(serde_json::json!({"message": "revoked", "reload": true})))
}

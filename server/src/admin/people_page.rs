//! `/admin/people`: administrators list, create, disable, enable and reset the passwords of administrators and
//! coordinators, and change a coordinator's school and surveys (`people`, `accounts`). A generated password is in
//! the answer to the form that made it, once; the page never shows one.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use maud::{html, Markup};
use uuid::Uuid;

use super::accounts;
use super::csrf::AdminWrite;
use super::html::{self, fmt_time};
use super::people::{self, Access, NewPerson, Person};
use super::session::Admin;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::state::AppState;

/// `GET /admin/people`.
pub async fn page(State(state): State<AppState>, admin: Admin) -> Result<Response, ApiError> {
    admin.require_administrator()?;
    let people = people::list(&state.pool).await?;
    let surveys = people::survey_ids(&state.pool).await?;
    let body = html! {
        p {
            "Administrators see and do everything. A coordinator sees only their school, in the surveys granted to "
            "them. A new account, or a password reset, gets a generated password that is shown once: give it to its "
            "owner. Disabling an account signs it out at once and stops its API tokens."
        }
        h2 { "New person" }
        (new_person_form(&surveys))
        h2 { "People" }
        div class="scroll" tabindex="0" role="region" aria-label="People" { (people_table(&admin, &people, &surveys)) }
    };
    Ok(html::page(&admin, "People and access", body))
}

fn survey_boxes(legend: &str, surveys: &[String], granted: &[String]) -> Markup {
    html! {
        fieldset class="surveys" {
            legend { (legend) }
            @for s in surveys {
                label class="choice" {
                    input type="checkbox" name="surveys" value=(s) data-many checked[granted.contains(s)];
                    " " (s)
                }
            }
            @if surveys.is_empty() { p class="note" { "No surveys yet." } }
        }
    }
}

fn new_person_form(surveys: &[String]) -> Markup {
    html! {
        form data-api action="/admin/people" class="stack" {
            label { "Email " input name="email" type="email" required autocomplete="off"; }
            label {
                "Role "
                select name="role" {
                    option value="coordinator" { "Coordinator (one school)" }
                    option value="administrator" { "Administrator" }
                }
            }
            label { "School (a coordinator's; empty for an administrator) " input name="school" maxlength="200"; }
            (survey_boxes("Surveys granted (a coordinator's)", surveys, &[]))
            button { "Create" }
            div class="result" aria-live="polite" {}
        }
    }
}

fn people_table(me: &Admin, people: &[Person], surveys: &[String]) -> Markup {
    html! {
        table class="list people" {
            thead {
                tr {
                    th { "Email" } th { "Role" } th { "School" } th { "Surveys" } th { "Status" }
                    th { "Created (UTC)" } th { "Last sign-in (UTC)" } th { "Actions" }
                }
            }
            tbody {
                @for p in people {
                    tr {
                        td { (p.email) }
                        td { (p.role) }
                        td { (p.school.as_deref().unwrap_or("all")) }
                        td { (if p.role == "administrator" { "all".to_owned() } else { p.surveys.join(", ") }) }
                        td {
                            @match p.disabled_at {
                                Some(at) => { "disabled " (fmt_time(Some(at))) }
                                None => { "active" }
                            }
                        }
                        td { (fmt_time(Some(p.created_at))) }
                        td { (p.last_sign_in_at.map_or("never".to_owned(), |t| fmt_time(Some(t)))) }
                        td class="actions" { (actions(me, p, surveys)) }
                    }
                }
            }
        }
    }
}

/// A button whose name says whom it acts on (the rows' buttons would otherwise all read the same).
fn action(p: &Person, what: &str, label: &str) -> Markup {
    html! {
        form data-api action={ "/admin/people/" (p.id) "/" (what) } {
            button { (label) span class="visually-hidden" { " " (p.email) } }
            div class="result" aria-live="polite" {}
        }
    }
}

fn actions(me: &Admin, p: &Person, surveys: &[String]) -> Markup {
    html! {
        @if p.id != me.id {
            @if p.disabled_at.is_some() { (action(p, "enable", "Enable")) } @else { (action(p, "disable", "Disable")) }
        }
        (action(p, "password", "Reset password"))
        @if p.role == "coordinator" {
            details {
                summary { "Change access" span class="visually-hidden" { " of " (p.email) } }
                form data-api action={ "/admin/people/" (p.id) "/access" } class="stack" {
                    label { "School " input name="school" required maxlength="200" value=(p.school.as_deref().unwrap_or("")); }
                    (survey_boxes("Surveys granted", surveys, &p.surveys))
                    button { "Save access" span class="visually-hidden" { " of " (p.email) } }
                    div class="result" aria-live="polite" {}
                }
            }
        }
    }
}

/// `POST /admin/people` (JSON: `NewPerson`): the account, and its password once.
pub async fn create(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    JsonBody(new): JsonBody<NewPerson>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let made = people::create(&state.pool, &admin, &new).await?;
    Ok(Json(serde_json::json!({
        "id": made.id,
        "email": made.email,
        "password": made.password,
        "secret": made.password,
        "message": format!("Created {}. Their password is shown once; give it to them now:", made.email),
    })))
}

/// `POST /admin/people/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<Uuid>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    accounts::disable(&state.pool, &admin, id).await?;
    Ok(Json(serde_json::json!({"message": "Disabled: signed out everywhere.", "reload": true})))
}

/// `POST /admin/people/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<Uuid>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    accounts::enable(&state.pool, &admin, id).await?;
    Ok(Json(serde_json::json!({"message": "Enabled.", "reload": true})))
}

/// `POST /admin/people/{id}/password`: a new generated password, once.
pub async fn reset_password(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<Uuid>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    let (email, password) = accounts::reset_password(&state.pool, &admin, id).await?;
    Ok(Json(serde_json::json!({
        "password": password,
        "secret": password,
        "message": format!("{email} is signed out. Their new password is shown once; give it to them now:"),
    })))
}

/// `POST /admin/people/{id}/access` (JSON: `Access`).
pub async fn access(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<Uuid>,
    JsonBody(access): JsonBody<Access>,
) -> Result<Json<serde_json::Value>, ApiError> {
    admin.require_administrator()?;
    people::set_access(&state.pool, &admin, id, &access).await?;
    Ok(Json(serde_json::json!({"message": "Saved.", "reload": true})))
}

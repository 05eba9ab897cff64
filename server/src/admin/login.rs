//! Signing in and out: the sign-in page and form, the password check behind it, and sign-out.

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use maud::{html, DOCTYPE};
use serde::Deserialize;
use uuid::Uuid;

use super::audit;
use super::auth::{verify_password, DUMMY_HASH};
use super::csrf::AdminWrite;
use super::session;
use crate::http::error::ApiError;
use crate::http::sign_in_limits::ClientIp;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
}

/// Largest sign-in form: an address and a password.
const SIGN_IN_BODY_BYTES: usize = 16 * 1024;

/// Longest a sign-in waits for a password check to be free before it is answered 503 (and not counted).
const ARGON2_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `GET /admin/login`.
pub async fn login_page() -> Response {
    sign_in_page(None, StatusCode::OK)
}

/// The sign-in form, after `message` when the last attempt failed.
fn sign_in_page(message: Option<&str>, status: StatusCode) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign in · Quire admin" }
                link rel="stylesheet" href="/admin/assets/admin.css";
            }
            body {
                main class="narrow" {
                    h1 { "Quire admin" }
                    @if let Some(message) = message {
                        p class="error" role="alert" { (message) }
                    }
                    form method="post" action="/admin/login" {
                        label { "Email " input name="email" type="email" autocomplete="username" required; }
                        label {
                            "Password "
                            input name="password" type="password" autocomplete="current-password" required;
                        }
                        button { "Sign in" }
                    }
                }
            }
        }
    };
    (status, Html(page.into_string())).into_response()
}

/// `POST /admin/login` (an HTML form). A cross-site form cannot sign someone in: the Origin, when the browser sends
/// one, must be this site. Attempts are limited per account and address (`sign_in_limits::AdminLimits`).
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    if !same_origin(&headers) {
        return sign_in_page(Some("This sign-in did not come from this site."), StatusCode::FORBIDDEN);
    }
    let form: SignInForm = match crate::http::body::read(body, SIGN_IN_BODY_BYTES, state.config.body_timeout()).await {
        Ok(bytes) => match serde_urlencoded::from_bytes(&bytes) {
            Ok(form) => form,
            Err(_) => return sign_in_page(Some("Enter an email address and a password."), StatusCode::BAD_REQUEST),
        },
        Err(e) => return e.into_response(),
    };
    let email = form.email.trim().to_lowercase();
    // Not an address anyone has (PostgreSQL text cannot hold U+0000, and no address is that long): refused like a
    // wrong password, without a database lookup, but still counted.
    let plausible = !email.contains('\0') && email.len() <= 320;
    let attempt = match state.admin_limits.begin(&state.pool, &email, ip).await {
        Ok(a) => a,
        Err(e @ ApiError::TooManyRequests { .. }) => {
            state.metrics.count_throttled(true);
            if state.admin_limits.new_burst(ip) {
                audit_failed_sign_in(&state, &email, ip, "sign_in_throttled", "rate_limited").await;
            }
            return throttled(e);
        }
        Err(e) => return e.into_response(),
    };
    let outcome = if plausible { sign_in(&state, &email, form.password).await } else { Ok(Err(UNKNOWN)) };
    match outcome {
        Ok(Ok(cookie)) => {
            attempt.succeeded().await;
            (StatusCode::SEE_OTHER, CookieJar::new().add(cookie), [(LOCATION, "/admin")]).into_response()
        }
        Ok(Err(reason)) => {
            attempt.failed().await;
            audit_failed_sign_in(&state, &email, ip, "sign_in_failed", reason).await;
            sign_in_page(Some("That email and password do not match."), StatusCode::UNAUTHORIZED)
        }
        Err(e) => {
            attempt.abandon().await;
            e.into_response()
        }
    }
}

/// The sign-in page for an account or address over its limit, with how long to wait.
fn throttled(e: ApiError) -> Response {
    let mut res = sign_in_page(
        Some("Too many failed sign-ins for this account. Wait a few minutes and try again."),
        StatusCode::TOO_MANY_REQUESTS,
    );
    if let ApiError::TooManyRequests { retry_after, .. } = e {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
    }
    res
}

/// Failed sign-ins go to the audit log: the address as typed (made printable), where from and why (`UNKNOWN`,
/// `WRONG_PASSWORD`, `DISABLED`), never the password. Bounded by the sign-in limits: an attempt they let through is
/// one row; those they turn away are one `sign_in_throttled` row per address and burst (`AdminLimits::new_burst`).
async fn audit_failed_sign_in(state: &AppState, email: &str, ip: std::net::IpAddr, action: &str, reason: &str) {
    let shown: String = quire_shared::storable::printable(email).chars().take(320).collect();
    let details = serde_json::json!({"client": ip.to_string(), "reason": reason});
    if let Err(e) = audit::record_anonymous(&state.pool, &shown, action, details).await {
        tracing::warn!(error = %e, "could not audit a failed sign-in");
    }
}

/// Why a sign-in failed, as the audit log says it (the person signing in is told only that it failed).
const UNKNOWN: &str = "unknown_account";
const WRONG_PASSWORD: &str = "wrong_password";
const DISABLED: &str = "disabled";

/// Checks the password (off the async threads: argon2 takes tens of milliseconds by design) and opens a session;
/// returns its cookie, or why not.
async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Result<Cookie<'static>, &'static str>, ApiError> {
    let row: Option<(Uuid, String, bool)> =
        sqlx::query_as("select id, password_hash, disabled_at is not null from admins where email = $1")
            .bind(email)
            .fetch_optional(&state.pool)
            .await?;
    // An unknown address costs the same hash as a known one, so timing does not tell which addresses exist; nor
    // does a disabled account answer faster.
    let (id, hash, disabled) = row.unwrap_or((Uuid::nil(), DUMMY_HASH.to_owned(), false));
    // At most `admin_sign_in_concurrency` checks at once, each about 19 MiB: a flood waits here instead of
    // allocating. A wait longer than `ARGON2_QUEUE_WAIT` is answered 503.
    let permit = tokio::time::timeout(ARGON2_QUEUE_WAIT, state.argon2.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::Overloaded("sign-in is busy; try again shortly"))?
        .map_err(|e| anyhow::anyhow!("argon2 limit closed: {e}"))?;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        verify_password(&password, &hash)
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    match (id.is_nil(), disabled, ok) {
        (true, ..) => return Ok(Err(UNKNOWN)),
        (_, true, _) => return Ok(Err(DISABLED)),
        (_, _, false) => return Ok(Err(WRONG_PASSWORD)),
        _ => {}
    }
    let hours = state.config.admin_session_hours;
    let token = session::open(&state.pool, id, hours).await?;
    sqlx::query("update admins set last_sign_in_at = now() where id = $1").bind(id).execute(&state.pool).await?;
    audit::record_by(&state.pool, id, email, "sign_in", None, serde_json::json!({})).await?;
    Ok(Ok(session::cookie(token, hours, state.config.secure_cookies)))
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

/// `POST /admin/logout`: ends the session in the database, so the cookie is useless even if it was copied.
pub async fn logout(State(state): State<AppState>, AdminWrite(admin): AdminWrite, jar: CookieJar) -> Response {
    if let Some(token) = session::token(&jar) {
        if let Err(e) = session::close(&state.pool, token).await {
            return ApiError::from(e).into_response();
        }
    }
    tracing::info!(admin = %admin.email, "signed out");
    let body = axum::Json(serde_json::json!({"message": "signed out", "redirect": "/admin/login"}));
    (jar.add(session::expired_cookie()), body).into_response()
}

//! Administrator sign-in: argon2id passwords, server-side sessions in an HttpOnly + SameSite=Strict cookie, a CSRF
//! token per session, and a limit on failed sign-ins per account.
//!
//! Why a session table rather than signed cookies like respondent tokens: administrators are few, a database
//! lookup per admin request costs nothing that matters, and signing out (or removing an administrator) must take
//! effect at once.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{audit, html};
use crate::http::error::ApiError;
use crate::http::sign_in_limits::ClientIp;
use crate::state::AppState;

pub const COOKIE_NAME: &str = "quire_admin";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Administrator,
    Coordinator,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "administrator" => Some(Role::Administrator),
            "coordinator" => Some(Role::Coordinator),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Coordinator => "coordinator",
        }
    }
}

/// A signed-in administrator or school coordinator.
#[derive(Debug, Clone)]
pub struct Admin {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// The coordinator's school; `None` for an administrator.
    pub school: Option<String>,
    /// The surveys a coordinator was granted (`coordinator_surveys`); empty for an administrator, who needs none.
    pub surveys: Vec<String>,
    pub csrf: String,
}

impl Admin {
    /// Refuses a coordinator: survey files, publishing, exports and the audit log are the administrator's.
    pub fn require_administrator(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Administrator => Ok(()),
            Role::Coordinator => Err(ApiError::Forbidden("only an administrator may do this")),
        }
    }

    /// Refuses a coordinator acting on a survey they were not granted (an administrator may act on any).
    pub fn require_survey(&self, survey_id: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Administrator => Ok(()),
            Role::Coordinator if self.surveys.iter().any(|s| s == survey_id) => Ok(()),
            Role::Coordinator => Err(ApiError::Forbidden("this survey is not one of yours")),
        }
    }

    /// The school this request is about: a coordinator is held to their own whatever they ask for.
    pub fn scope_school(&self, asked: Option<String>) -> Result<Option<String>, ApiError> {
        match (&self.school, asked) {
            (None, asked) => Ok(asked.filter(|s| !s.is_empty())),
            (Some(own), Some(asked)) if !asked.is_empty() && asked != *own => {
                Err(ApiError::Forbidden("a school coordinator sees only their own school"))
            }
            (Some(own), _) => Ok(Some(own.clone())),
        }
    }
}

/// Why an admin request was refused before its handler ran. Pages send the browser to the sign-in form; everything
/// else gets Quire's JSON error.
pub enum AuthRejection {
    SignIn,
    Api(ApiError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::SignIn => (StatusCode::SEE_OTHER, [(LOCATION, "/admin/login")]).into_response(),
            AuthRejection::Api(e) => e.into_response(),
        }
    }
}

fn wants_html(parts: &Parts) -> bool {
    parts.method == axum::http::Method::GET
        && parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let refuse = |parts: &Parts| {
            if wants_html(parts) {
                AuthRejection::SignIn
            } else {
                AuthRejection::Api(ApiError::Unauthorized("sign in as an administrator"))
            }
        };
        let Some(token) = cookie_value(&parts.headers, COOKIE_NAME) else {
            return Err(refuse(parts));
        };
        type Row = (Uuid, String, String, Option<String>, String, Vec<String>);
        let row: Option<Row> = sqlx::query_as(
            "select a.id, a.email, a.role, a.school, s.csrf,
                    array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1)
             from admin_sessions s join admins a on a.id = s.admin_id
             where s.token_hash = $1 and s.expires_at > now()",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| AuthRejection::Api(e.into()))?;
        let Some((id, email, role, school, csrf, surveys)) = row else {
            return Err(refuse(parts));
        };
        let role = Role::parse(&role).ok_or_else(|| AuthRejection::Api(anyhow::anyhow!("bad role {role}").into()))?;
        Ok(Admin { id, email, role, school, surveys, csrf })
    }
}

/// An administrator making a change: the request must carry the session's CSRF token in `X-CSRF-Token`. A form on
/// another site cannot set that header, and a script there cannot read the token.
pub struct AdminWrite(pub Admin);

impl FromRequestParts<AppState> for AdminWrite {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let admin = Admin::from_request_parts(parts, state).await?;
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        // Constant time (`subtle`): how long the comparison takes says nothing about how much of the token matched.
        if !bool::from(sent.as_bytes().ct_eq(admin.csrf.as_bytes())) {
            return Err(AuthRejection::Api(ApiError::Csrf));
        }
        Ok(AdminWrite(admin))
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Creates an administrator or coordinator (the `quire create-admin` command), or updates one with that address. A
/// coordinator is granted `surveys` (added to any granted before).
pub async fn create_admin(
    pool: &PgPool,
    email: &str,
    password: &str,
    role: Role,
    school: Option<&str>,
    surveys: &[String],
) -> anyhow::Result<Uuid> {
    anyhow::ensure!(
        role == Role::Coordinator || surveys.is_empty(),
        "--survey grants a coordinator a survey; an administrator has them all"
    );
    anyhow::ensure!(password.chars().count() >= 12, "the password must be at least 12 characters");
    anyhow::ensure!(email.contains('@'), "`{email}` is not an email address");
    anyhow::ensure!(
        (role == Role::Coordinator) == school.is_some(),
        "a coordinator needs --school; an administrator takes none"
    );
    let hash = hash_password(password)?;
    let mut tx = pool.begin().await?;
    let (id,): (Uuid,) = sqlx::query_as(
        "insert into admins (id, email, password_hash, role, school) values ($1, lower($2), $3, $4, $5)
         on conflict (email) do update set password_hash = excluded.password_hash, role = excluded.role,
                                           school = excluded.school
         returning id",
    )
    .bind(Uuid::new_v4())
    .bind(email)
    .bind(hash)
    .bind(role.as_str())
    .bind(school)
    .fetch_one(&mut *tx)
    .await?;
    grant(&mut tx, id, surveys).await?;
    tx.commit().await?;
    Ok(id)
}

/// Grants a coordinator more surveys without touching their password (the `quire grant` command).
pub async fn grant_surveys(pool: &PgPool, email: &str, surveys: &[String]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, String)> = sqlx::query_as("select id, role from admins where email = lower($1)")
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((id, role)) = row else { anyhow::bail!("no administrator or coordinator `{email}`") };
    anyhow::ensure!(role == Role::Coordinator.as_str(), "`{email}` is an administrator, who needs no grant");
    grant(&mut tx, id, surveys).await?;
    tx.commit().await?;
    Ok(())
}

async fn grant(tx: &mut sqlx::PgConnection, id: Uuid, surveys: &[String]) -> anyhow::Result<()> {
    for survey in surveys {
        let known: Option<(String,)> = sqlx::query_as("select survey_id from surveys where survey_id = $1")
            .bind(survey)
            .fetch_optional(&mut *tx)
            .await?;
        anyhow::ensure!(known.is_some(), "no survey `{survey}`: load it first");
        sqlx::query("insert into coordinator_surveys (admin_id, survey_id) values ($1, $2) on conflict do nothing")
            .bind(id)
            .bind(survey)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
}

pub async fn login_page() -> Response {
    html::login_page(None, StatusCode::OK)
}

/// Largest sign-in form: an address and a password.
const SIGN_IN_BODY_BYTES: usize = 16 * 1024;

/// `POST /admin/login` (an HTML form). A cross-site form cannot sign someone in: the Origin, when the browser sends
/// one, must be this site. Attempts are limited per account and address (`sign_in_limits::AdminLimits`).
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    if !same_origin(&headers) {
        return html::login_page(Some("This sign-in did not come from this site."), StatusCode::FORBIDDEN);
    }
    let form: SignInForm = match crate::http::body::read(body, SIGN_IN_BODY_BYTES, state.config.body_timeout()).await {
        Ok(bytes) => match serde_urlencoded::from_bytes(&bytes) {
            Ok(form) => form,
            Err(_) => return html::login_page(Some("Enter an email address and a password."), StatusCode::BAD_REQUEST),
        },
        Err(e) => return e.into_response(),
    };
    let email = form.email.trim().to_lowercase();
    // Not an address anyone has (PostgreSQL text cannot hold U+0000, and no address is that long): refused like a
    // wrong password, without a database lookup, but still counted.
    let plausible = !email.contains('\0') && email.len() <= 320;
    let attempt = match state.admin_limits.begin(&email, ip) {
        Ok(a) => a,
        Err(e) => {
            state.metrics.count_throttled(true);
            let mut res = html::login_page(
                Some("Too many failed sign-ins for this account. Wait a few minutes and try again."),
                StatusCode::TOO_MANY_REQUESTS,
            );
            if let ApiError::TooManyRequests { retry_after, .. } = e {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
            }
            return res;
        }
    };
    let outcome = if plausible { sign_in(&state, &email, form.password).await } else { Ok(None) };
    match outcome {
        Ok(Some(cookie)) => {
            attempt.succeeded();
            let mut res = (StatusCode::SEE_OTHER, [(LOCATION, "/admin")]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(SET_COOKIE, v);
            }
            res
        }
        Ok(None) => {
            attempt.failed();
            audit_failed_sign_in(&state, &email, ip).await;
            html::login_page(Some("That email and password do not match."), StatusCode::UNAUTHORIZED)
        }
        Err(e) => {
            attempt.abandon();
            e.into_response()
        }
    }
}

/// Failed sign-ins go to the audit log (the address as typed, made printable, and where from).
async fn audit_failed_sign_in(state: &AppState, email: &str, ip: std::net::IpAddr) {
    let shown: String = quire_shared::storable::printable(email).chars().take(320).collect();
    let details = serde_json::json!({"client": ip.to_string()});
    if let Err(e) = audit::record_anonymous(&state.pool, &shown, "sign_in_failed", details).await {
        tracing::warn!(error = %e, "could not audit a failed sign-in");
    }
}

/// Checks the password (off the async threads: argon2 takes tens of milliseconds by design) and opens a session.
async fn sign_in(state: &AppState, email: &str, password: String) -> Result<Option<String>, ApiError> {
    let row: Option<(Uuid, String)> = sqlx::query_as("select id, password_hash from admins where email = $1")
        .bind(email)
        .fetch_optional(&state.pool)
        .await?;
    // An unknown address costs the same hash as a known one, so timing does not tell which addresses exist.
    let (id, hash) = row.unwrap_or((Uuid::nil(), DUMMY_HASH.to_owned()));
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
    if !ok || id.is_nil() {
        return Ok(None);
    }
    let token = random_token();
    let hours = i64::from(state.config.admin_session_hours);
    sqlx::query(
        "insert into admin_sessions (token_hash, admin_id, csrf, expires_at)
         values ($1, $2, $3, now() + make_interval(hours => $4::int))",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(random_token())
    .bind(hours as i32)
    .execute(&state.pool)
    .await?;
    sqlx::query("delete from admin_sessions where expires_at < now()").execute(&state.pool).await?;
    audit::record_by(&state.pool, id, email, "sign_in", None, serde_json::json!({})).await?;
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    Ok(Some(format!("{COOKIE_NAME}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}", hours * 3600)))
}

/// Longest a sign-in waits for a password check to be free before it is answered 503 (and not counted).
const ARGON2_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// An argon2id hash of a random string: verifying against it takes as long as a real check and never succeeds.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Hfr3oGd4cOUjsn2mNBDXOuHuaz6qCqOqn1mY0F+I9Y";

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

/// `POST /admin/logout`: ends the session in the database, so the cookie is useless even if it was copied.
pub async fn logout(State(state): State<AppState>, AdminWrite(admin): AdminWrite, headers: HeaderMap) -> Response {
    if let Some(token) = cookie_value(&headers, COOKIE_NAME) {
        if let Err(e) = sqlx::query("delete from admin_sessions where token_hash = $1")
            .bind(token_hash(token))
            .execute(&state.pool)
            .await
        {
            return ApiError::from(e).into_response();
        }
    }
    tracing::info!(admin = %admin.email, "signed out");
    let mut res = axum::Json(serde_json::json!({"message": "signed out", "redirect": "/admin/login"})).into_response();
    res.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("quire_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", DUMMY_HASH));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn coordinators_are_held_to_their_school() {
        let c = Admin {
            id: Uuid::nil(),
            email: "c@x".into(),
            role: Role::Coordinator,
            school: Some("Lincoln".into()),
            surveys: vec!["s1".into()],
            csrf: String::new(),
        };
        assert!(c.require_survey("s1").is_ok());
        assert!(c.require_survey("s2").is_err());
        assert_eq!(c.scope_school(None).ok().flatten().as_deref(), Some("Lincoln"));
        assert!(c.scope_school(Some("Washington".into())).is_err());
        assert!(c.require_administrator().is_err());
        let a = Admin { role: Role::Administrator, school: None, surveys: Vec::new(), ..c };
        assert!(a.require_survey("s2").is_ok());
        assert_eq!(a.scope_school(Some("Washington".into())).ok().flatten().as_deref(), Some("Washington"));
    }
}

//! Administrator sessions: the `admin_sessions` table, the HttpOnly + SameSite=Strict cookie that names one, and the
//! `Admin` extractor that turns that cookie into the signed-in administrator.
//!
//! Why a session table rather than signed cookies like respondent tokens: administrators are few, a database
//! lookup per admin request costs nothing that matters, and signing out (or removing an administrator) must take
//! effect at once.

use axum::extract::FromRequestParts;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::auth::Role;
use crate::http::error::ApiError;
use crate::state::AppState;

pub const COOKIE_NAME: &str = "quire_admin";
/// The cookie goes only to the admin pages, never to the respondent app or its API.
const COOKIE_PATH: &str = "/admin";

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
    /// The admin API token this request came with (`api::auth`); `None` for a signed-in browser. The audit log names
    /// it beside the account.
    pub token: Option<Uuid>,
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

/// Only the hash is stored, so a copy of the table opens no session (nor an API token: `api_tokens`).
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// 256 random bits, URL-safe base64: a session token, a CSRF token, the secret part of an API token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The session token the browser sent, if any.
pub fn token(jar: &CookieJar) -> Option<&str> {
    jar.get(COOKIE_NAME).map(Cookie::value)
}

/// The cookie that carries a new session for `hours`; `Secure` when `secure` (only a server on loopback may turn that
/// off).
pub fn cookie(token: String, hours: u32, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build((COOKIE_NAME, token))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(hours.into()))
        .build();
    if secure {
        cookie.set_secure(true);
    }
    cookie
}

/// The cookie that makes the browser forget its session. Built rather than `CookieJar::remove`d so that it carries
/// the same attributes as ever (and no `Expires`), whatever the request sent.
pub fn expired_cookie() -> Cookie<'static> {
    Cookie::build((COOKIE_NAME, ""))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::ZERO)
        .build()
}

/// Opens a session for `hours` (and drops the expired ones); returns the token for the cookie.
pub async fn open(pool: &PgPool, admin_id: Uuid, hours: u32) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query(
        "insert into admin_sessions (token_hash, admin_id, csrf, expires_at)
         values ($1, $2, $3, now() + make_interval(hours => $4::int))",
    )
    .bind(token_hash(&token))
    .bind(admin_id)
    .bind(random_token())
    .bind(hours as i32)
    .execute(pool)
    .await?;
    sqlx::query("delete from admin_sessions where expires_at < now()").execute(pool).await?;
    Ok(token)
}

/// Ends a session in the database, so its cookie is useless even if it was copied.
pub async fn close(pool: &PgPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from admin_sessions where token_hash = $1").bind(token_hash(token)).execute(pool).await?;
    Ok(())
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
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = token(&jar) else {
            return Err(refuse(parts));
        };
        type Row = (Uuid, String, String, Option<String>, String, Vec<String>);
        let row: Option<Row> = sqlx::query_as(
            "select a.id, a.email, a.role, a.school, s.csrf,
                    array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1)
             from admin_sessions s join admins a on a.id = s.admin_id
             where s.token_hash = $1 and s.expires_at > now() and a.disabled_at is null",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| AuthRejection::Api(e.into()))?;
        let Some((id, email, role, school, csrf, surveys)) = row else {
            return Err(refuse(parts));
        };
        let role = Role::parse(&role).ok_or_else(|| AuthRejection::Api(anyhow::anyhow!("bad role {role}").into()))?;
        Ok(Admin { id, email, role, school, surveys, csrf, token: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinators_are_held_to_their_school() {
        let c = Admin {
            id: Uuid::nil(),
            email: "c@x".into(),
            role: Role::Coordinator,
            school: Some("Lincoln".into()),
            surveys: vec!["s1".into()],
            csrf: String::new(),
            token: None,
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

    #[test]
    fn cookies_keep_their_attributes() {
        let set = cookie("t0k".into(), 12, true).to_string();
        assert_eq!(set, "quire_admin=t0k; HttpOnly; SameSite=Strict; Secure; Path=/admin; Max-Age=43200");
        assert!(!cookie("t0k".into(), 1, false).to_string().contains("Secure"));
        assert_eq!(expired_cookie().to_string(), "quire_admin=; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=0");
    }
}

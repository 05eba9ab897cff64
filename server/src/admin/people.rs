//! People and access: the administrators and coordinators, as the people page lists them, and the changes an
//! administrator makes to them: a new account (with a generated password, returned once) and a coordinator's school
//! and surveys. Disabling, enabling and password resets are `accounts`. Every change is audited (`detail.email` names
//! whom it was to, so the log filtered by a person finds it).
//!
//! A coordinator keeps exactly one school (`admins.school`): every scope check (`Admin::scope_school`) is built on it.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::{generate_password, hash_off_thread};
use super::audit;
use super::auth::Role;
use super::session::Admin;
use crate::http::error::ApiError;

const MAX_SCHOOL_CHARS: usize = 200;

/// A new administrator or coordinator, as the form sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewPerson {
    pub email: String,
    /// `administrator` or `coordinator`.
    pub role: String,
    /// A coordinator's one school (as the roster spells it); none for an administrator.
    #[serde(default)]
    pub school: Option<String>,
    /// The surveys a coordinator is granted; none for an administrator, who has all.
    #[serde(default)]
    pub surveys: Vec<String>,
}

/// A coordinator's school and surveys (the surveys replace those granted before).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Access {
    #[serde(default)]
    pub school: Option<String>,
    #[serde(default)]
    pub surveys: Vec<String>,
}

/// A person as the page lists them (never their password or its hash).
#[derive(Debug, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
    /// `administrator` or `coordinator`.
    pub role: String,
    /// A coordinator's school.
    pub school: Option<String>,
    /// A coordinator's granted surveys (empty for an administrator, who has all).
    pub surveys: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it was disabled; `null` while it is active.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sign_in_at: Option<OffsetDateTime>,
}

pub(crate) fn field(field: &str, message: &'static str) -> ApiError {
    ApiError::bad_request("invalid_field", message, Some(field.to_owned()))
}

/// Administrators first, then coordinators by school, each by address.
pub async fn list(pool: &PgPool) -> Result<Vec<Person>, sqlx::Error> {
    sqlx::query_as(
        "select a.id, a.email, a.role, a.school,
                array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1) as surveys,
                a.created_at, a.disabled_at, a.last_sign_in_at
         from admins a order by a.role, a.school nulls first, a.email",
    )
    .fetch_all(pool)
    .await
}

/// Every survey, for the grants' check boxes.
pub async fn survey_ids(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("select survey_id from surveys order by 1").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A school and surveys that fit `role`: a coordinator has one school and known surveys; an administrator neither.
async fn check_access(pool: &PgPool, role: Role, access: &Access) -> Result<(Option<String>, Vec<String>), ApiError> {
    let school = access.school.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut surveys: Vec<String> =
        access.surveys.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    surveys.sort();
    surveys.dedup();
    if role == Role::Administrator {
        if school.is_some() {
            return Err(field("school", "an administrator has no school: they see every school"));
        }
        if !surveys.is_empty() {
            return Err(field("surveys", "an administrator has every survey; grants are for coordinators"));
        }
        return Ok((None, surveys));
    }
    let Some(school) = school else { return Err(field("school", "a coordinator needs their school")) };
    if school.chars().count() > MAX_SCHOOL_CHARS || school.chars().any(char::is_control) {
        return Err(field("school", "a school's name is at most 200 characters, on one line"));
    }
    let known: Vec<(String,)> = sqlx::query_as("select survey_id from surveys where survey_id = any($1)")
        .bind(&surveys)
        .fetch_all(pool)
        .await?;
    if known.len() != surveys.len() {
        return Err(field("surveys", "no such survey"));
    }
    Ok((Some(school.to_owned()), surveys))
}

fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && !host.is_empty());
    if ok {
        Ok(email)
    } else {
        Err(field("email", "enter an email address"))
    }
}

/// A person just made: their password is in `password`, and nowhere else after this.
pub struct Created {
    pub id: Uuid,
    pub email: String,
    pub password: String,
}

/// Makes an account with a generated password. An address already taken is 409 (the page never replaces anyone).
pub async fn create(pool: &PgPool, by: &Admin, new: &NewPerson) -> Result<Created, ApiError> {
    let email = check_email(&new.email)?;
    let role = Role::parse(new.role.trim()).ok_or_else(|| field("role", "administrator or coordinator"))?;
    let access = Access { school: new.school.clone(), surveys: new.surveys.clone() };
    let (school, surveys) = check_access(pool, role, &access).await?;
    let password = generate_password();
    let hash = hash_off_thread(password.clone()).await?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "insert into admins (id, email, password_hash, role, school) values ($1, $2, $3, $4, $5)
         on conflict (email) do nothing",
    )
    .bind(id)
    .bind(&email)
    .bind(hash)
    .bind(role.as_str())
    .bind(&school)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::Conflict("an account with this email address exists already"));
    }
    grant(&mut tx, id, &surveys).await?;
    tx.commit().await?;
    let detail = serde_json::json!({"email": email, "role": role.as_str(), "school": school, "surveys": surveys});
    audit::record(pool, by, "person.create", None, detail).await?;
    Ok(Created { id, email, password })
}

async fn grant(tx: &mut sqlx::PgConnection, id: Uuid, surveys: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("delete from coordinator_surveys where admin_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("insert into coordinator_surveys (admin_id, survey_id) select $1, unnest($2::text[])")
        .bind(id)
        .bind(surveys)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sets a coordinator's school and the surveys granted (replacing the grants before). Takes effect on their next
/// request: every request reads the account afresh.
pub async fn set_access(pool: &PgPool, by: &Admin, id: Uuid, access: &Access) -> Result<(), ApiError> {
    let mut tx = pool.begin().await?;
    type Row = (String, String, Option<String>, Vec<String>);
    let row: Option<Row> = sqlx::query_as(
        "select email, role, school,
                array(select g.survey_id from coordinator_surveys g where g.admin_id = a.id order by 1)
         from admins a where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, role, old_school, old_surveys)) = row else { return Err(ApiError::NotFound("no such person")) };
    if role != Role::Coordinator.as_str() {
        return Err(field("school", "an administrator sees every school and survey; only a coordinator's change"));
    }
    let (school, surveys) = check_access(pool, Role::Coordinator, access).await?;
    sqlx::query("update admins set school = $2 where id = $1").bind(id).bind(&school).execute(&mut *tx).await?;
    grant(&mut tx, id, &surveys).await?;
    tx.commit().await?;
    let detail = serde_json::json!({
        "email": email,
        "school": {"from": old_school, "to": school},
        "surveys": {"from": old_surveys, "to": surveys},
    });
    audit::record(pool, by, "person.access", None, detail).await?;
    Ok(())
}

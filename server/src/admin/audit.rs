//! The audit log: who uploaded, published, loaded, downloaded or exported what, changed whose access, or failed to
//! sign in, and when. Written in the same request as the action (after it succeeded); read by administrators at
//! /admin/audit (`audit_page`). A password, typed or generated, is never written here.

use sqlx::PgPool;
use uuid::Uuid;

use super::session::Admin;

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

//! What an administrator does to an account that exists: disable it (its sessions end at once; its sign-ins and API
//! tokens are refused while it stays disabled), enable it again, and reset its password (a generated one, returned
//! once; its sessions end). An administrator cannot disable themself, and the last active administrator is never
//! disabled: the check runs under the locks of every active administrator's row, so two administrators disabling
//! each other at the same moment cannot both succeed.

use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit;
use super::auth::{hash_password, Role};
use super::session::Admin;
use crate::http::error::ApiError;

/// No 0/O, 1/l/I: a generated password is read off a screen and typed.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Four groups of five (about 117 bits), dash-separated for reading aloud.
pub fn generate_password() -> String {
    let mut rng = rand::rngs::OsRng;
    let group = |rng: &mut rand::rngs::OsRng| -> String {
        (0..5).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
    };
    (0..4).map(|_| group(&mut rng)).collect::<Vec<_>>().join("-")
}

/// argon2id off the async threads (tens of milliseconds by design).
pub async fn hash_off_thread(password: String) -> Result<String, ApiError> {
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))??;
    Ok(hash)
}

async fn email_of(pool: &PgPool, id: Uuid) -> Result<(String, String, bool), ApiError> {
    let row: Option<(String, String, bool)> =
        sqlx::query_as("select email, role, disabled_at is not null from admins where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.ok_or(ApiError::NotFound("no such person"))
}

/// Disables an account and ends its sessions, in one transaction.
pub async fn disable(pool: &PgPool, by: &Admin, id: Uuid) -> Result<(), ApiError> {
    if id == by.id {
        return Err(ApiError::Conflict("you cannot disable yourself; another administrator can"));
    }
    let mut tx = pool.begin().await?;
    // Every active administrator's row, locked in one order (no deadlock between two of these): whoever disables one
    // next waits here and then counts afresh.
    let active: Vec<(Uuid,)> = sqlx::query_as(
        "select id from admins where role = 'administrator' and disabled_at is null order by id for update",
    )
    .fetch_all(&mut *tx)
    .await?;
    let row: Option<(String, String, bool)> =
        sqlx::query_as("select email, role, disabled_at is not null from admins where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((email, role, disabled)) = row else { return Err(ApiError::NotFound("no such person")) };
    if disabled {
        return Err(ApiError::Conflict("this account is disabled already"));
    }
    // The one who asks must still be active themself (they may have been disabled a moment ago).
    if !active.iter().any(|(a,)| *a == by.id) {
        return Err(ApiError::Unauthorized("your account has been disabled"));
    }
    if role == Role::Administrator.as_str() && active.iter().all(|(a,)| *a == id) {
        return Err(ApiError::Conflict("this is the last active administrator"));
    }
    sqlx::query("update admins set disabled_at = now() where id = $1").bind(id).execute(&mut *tx).await?;
    let ended = sqlx::query("delete from admin_sessions where admin_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    let detail = serde_json::json!({"email": email, "sessions_ended": ended.rows_affected()});
    audit::record(pool, by, "person.disable", None, detail).await?;
    Ok(())
}

/// Enables a disabled account: it signs in with the password it had, and its API tokens work again.
pub async fn enable(pool: &PgPool, by: &Admin, id: Uuid) -> Result<(), ApiError> {
    let (email, _, disabled) = email_of(pool, id).await?;
    if !disabled {
        return Err(ApiError::Conflict("this account is not disabled"));
    }
    sqlx::query("update admins set disabled_at = null where id = $1").bind(id).execute(pool).await?;
    audit::record(pool, by, "person.enable", None, serde_json::json!({"email": email})).await?;
    Ok(())
}

/// Gives an account a new generated password (returned once) and ends its sessions.
pub async fn reset_password(pool: &PgPool, by: &Admin, id: Uuid) -> Result<(String, String), ApiError> {
    let (email, _, _) = email_of(pool, id).await?;
    let password = generate_password();
    let hash = hash_off_thread(password.clone()).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("update admins set password_hash = $2 where id = $1").bind(id).bind(hash).execute(&mut *tx).await?;
    let ended = sqlx::query("delete from admin_sessions where admin_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    let detail = serde_json::json!({"email": email, "sessions_ended": ended.rows_affected()});
    audit::record(pool, by, "person.reset_password", None, detail).await?;
    Ok((email, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_readable_and_differ() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 23);
        assert_ne!(a, b);
        assert!(a.split('-').all(|g| g.len() == 5 && g.bytes().all(|c| ALPHABET.contains(&c))), "{a}");
    }
}

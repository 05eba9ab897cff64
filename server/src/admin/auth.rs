//! Administrator accounts: the two roles, argon2id password hashes, and the `quire create-admin` / `quire grant`
//! commands that make accounts and grant coordinators their surveys.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::PgPool;
use uuid::Uuid;

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

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
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

/// An argon2id hash of a random string: verifying against it takes as long as a real check and never succeeds.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Hfr3oGd4cOUjsn2mNBDXOuHuaz6qCqOqn1mY0F+I9Y";

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
}

//! The database: the migrations compiled into the binary, and the connection pool.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::config::DbConfig;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub async fn connect(db: &DbConfig) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(db.db_max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(db.database_url.expose())
        .await?;
    Ok(pool)
}

//! The database: the migrations compiled into the binary, and the connection pool.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::config::DbConfig;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub async fn connect(db: &DbConfig) -> anyhow::Result<PgPool> {
    Ok(options(db.db_max_connections).connect(db.database_url.expose()).await?)
}

/// The pool settings of every pool. A connection idle for a while is checked (a round trip) before it is handed
/// out, so that one cut by a restart or a failover is replaced instead of failing a request; one that was busy a
/// moment ago is not. sqlx's default checks every acquire: under load a round trip per group commit (with the ping
/// sqlx sends on every release, which cannot be turned off, 5 % of the server's CPU in perf; docs/benchmarks.md). A
/// connection that fails anyway fails its statement, which answers 503 and is retried (`unavailable`), never
/// acknowledged.
pub fn options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < CHECK_IDLE_AFTER {
                    return Ok(true);
                }
                use sqlx::Connection;
                // A failed check is an error: sqlx drops the connection hard, logs it and tries another.
                conn.ping().await.map(|()| true)
            })
        })
}

/// How long a connection may sit idle before it is checked on acquire.
const CHECK_IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The database cannot take this request now, but will soon: no connection within the pool's timeout, a connection
/// lost, a server shutting down or starting up, or a former primary that became read-only in a failover (SQLSTATE
/// 25006 right after a promotion). Nothing was committed that the client was told about, and a retry on another
/// connection succeeds once the new primary is reached, so these answer 503 with `Retry-After`, never 500.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        // `Protocol` (a message PostgreSQL should not have sent) is left a 500: it speaks of a bug, not a failover.
        sqlx::Error::Database(db) => db.code().is_some_and(|c| unavailable_code(&c)),
        _ => false,
    }
}

/// Connection exceptions (class 08), read-only transaction (25006), operator intervention (57P01 admin shutdown,
/// 57P02 crash shutdown, 57P03 cannot connect now, 57P05 idle session timeout), and too many connections (53300: a
/// new primary that every node reconnects to at once).
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "25006" | "53300" | "57P01" | "57P02" | "57P03" | "57P05")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failover_is_unavailable_and_a_refused_value_is_not() {
        for code in ["08006", "08001", "25006", "53300", "57P01", "57P03", "57P05"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["23505", "22P02", "40001", "42P01", "53100"] {
            assert!(!unavailable_code(code), "{code}");
        }
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(unavailable(&sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof))));
        assert!(unavailable(&sqlx::Error::WorkerCrashed));
        assert!(!unavailable(&sqlx::Error::RowNotFound));
        assert!(!unavailable(&sqlx::Error::Protocol("unexpected message".into())));
    }
}

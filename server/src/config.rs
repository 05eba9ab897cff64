//! Configuration: command-line flags that default to environment variables (see `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct DbConfig {
    /// PostgreSQL connection URL (may hold a password, hence a secret).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,
    /// Connections in the pool. Ingest holds a connection only for one short transaction, so a few per core suffice.
    #[arg(long, env = "QUIRE_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "QUIRE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Key that signs respondent tokens; at least 32 characters. Changing it signs every respondent out.
    #[arg(long, env = "QUIRE_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Secret,
    /// How long a respondent token stays valid.
    #[arg(long, env = "QUIRE_TOKEN_TTL_HOURS", default_value_t = 24)]
    pub token_ttl_hours: u32,
    /// The built respondent app (trunk's output).
    #[arg(long, env = "QUIRE_DIST_DIR", default_value = "client/dist")]
    pub dist_dir: PathBuf,
    /// Published surveys and other static assets, served under /static.
    #[arg(long, env = "QUIRE_STATIC_DIR", default_value = "static")]
    pub static_dir: PathBuf,
    /// Largest request body accepted (413 beyond).
    #[arg(long, env = "QUIRE_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Coalesce the saves of concurrent sync requests into shared transactions (see `group_commit`).
    #[arg(long, env = "QUIRE_GROUP_COMMIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub group_commit: bool,
    /// Longest a group waits for more requests, in microseconds.
    #[arg(long, env = "QUIRE_GROUP_COMMIT_WAIT_US", default_value_t = 2000)]
    pub group_commit_wait_us: u64,
    /// Saves in one group transaction at most.
    #[arg(long, env = "QUIRE_GROUP_COMMIT_MAX_SAVES", default_value_t = 4000)]
    pub group_commit_max_saves: usize,
    /// Group transactions in flight at once (each holds one connection while it commits).
    #[arg(long, env = "QUIRE_COMMITTERS", default_value_t = 4)]
    pub committers: usize,
    /// Sync requests allowed to wait for a commit; beyond, 503 with Retry-After.
    #[arg(long, env = "QUIRE_INGEST_QUEUE", default_value_t = 4096)]
    pub ingest_queue: usize,
    /// Sync requests being read, checked or committed at once; beyond, 503 at once, before the body is read.
    #[arg(long, env = "QUIRE_MAX_SYNC_IN_FLIGHT", default_value_t = 4096)]
    pub max_sync_in_flight: usize,
    /// Bytes of sync bodies (by `Content-Length`) being read, checked or committed at once; beyond, 503 before the
    /// body is read. This, not the count, keeps a reconnect storm (bodies of dozens of saves) from filling memory,
    /// without turning away one-page saves during a short database stall (a count of 512 did, measured in
    /// docs/benchmarks.md). 4 MiB is about 230 storm bodies of 30 saves, or 4,096 one-page saves; 16 MiB let the
    /// storm's parsing starve `/healthz` (3.4 s, measured).
    #[arg(long, env = "QUIRE_MAX_SYNC_BYTES_IN_FLIGHT", default_value_t = 4 * 1024 * 1024)]
    pub max_sync_bytes_in_flight: usize,
    /// Expose `POST /api/v1/bench/noop` (token check and body parse, no database): the HTTP floor for benchmarks.
    #[arg(long, env = "QUIRE_BENCH_ENDPOINTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub bench_endpoints: bool,
    /// How long an administrator stays signed in.
    #[arg(long, env = "QUIRE_ADMIN_SESSION_HOURS", default_value_t = 12)]
    pub admin_session_hours: u32,
    /// Mark the admin session cookie `Secure` (sent over HTTPS only). On in production behind TLS.
    #[arg(long, env = "QUIRE_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// A read replica for dashboard and export reads; unset, they use the primary.
    #[arg(long, env = "QUIRE_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<Secret>,
    /// Connections in the read pool (only with `QUIRE_READ_DATABASE_URL`).
    #[arg(long, env = "QUIRE_READ_MAX_CONNECTIONS", default_value_t = 8)]
    pub read_max_connections: u32,
}

impl ServeConfig {
    /// Defaults for everything but where to listen and the secret (tests, the load generator).
    pub fn new(bind: SocketAddr, token_secret: Secret) -> Self {
        ServeConfig {
            bind,
            token_secret,
            token_ttl_hours: 24,
            dist_dir: "client/dist".into(),
            static_dir: "static".into(),
            max_body_bytes: 4 * 1024 * 1024,
            group_commit: true,
            group_commit_wait_us: 2000,
            group_commit_max_saves: 4000,
            committers: 4,
            ingest_queue: 4096,
            max_sync_in_flight: 4096,
            max_sync_bytes_in_flight: 4 * 1024 * 1024,
            bench_endpoints: false,
            admin_session_hours: 12,
            secure_cookies: false,
            read_database_url: None,
            read_max_connections: 8,
        }
    }

    pub fn group_commit_config(&self) -> crate::group_commit::GroupCommitConfig {
        crate::group_commit::GroupCommitConfig {
            max_wait: std::time::Duration::from_micros(self.group_commit_wait_us),
            max_saves: self.group_commit_max_saves,
            queue: self.ingest_queue,
            committers: self.committers,
        }
    }

    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.token_secret.expose().len() >= 32,
            "QUIRE_TOKEN_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2-hunter2".into());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert!(!format!("{:?}", DbConfig { database_url: s, db_max_connections: 1 }).contains("hunter2"));
    }
}

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

/// Token and session lifetimes at most: ten years, far below where adding them to the current time could overflow.
const MAX_TTL_HOURS: u64 = 24 * 366 * 10;

/// Secrets from examples and documentation that must never sign real tokens.
const PLACEHOLDER_SECRETS: [&str; 2] = ["change-me", "changeme"];

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
    /// Largest sync body accepted (413 beyond). Also the most of the sync body budget one request can hold, so it
    /// may be at most half of `QUIRE_MAX_SYNC_BYTES_IN_FLIGHT`. A 1,000-save batch of the example survey is about
    /// 400 KB; the app keeps its batches under `quire_shared::MAX_BATCH_BYTES`.
    #[arg(long, env = "QUIRE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest a client may take to send a request's headers (the connection is closed beyond).
    #[arg(long, env = "QUIRE_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Longest a client may take to send a sync or sign-in body, from its first byte to its last (408 beyond).
    #[arg(long, env = "QUIRE_BODY_TIMEOUT_SECS", default_value_t = 20)]
    pub body_timeout_secs: u64,
    /// Respondent sign-ins per client address per minute (429 with Retry-After beyond). A classroom behind one
    /// school address signs in within a minute; a school of 600 within two.
    #[arg(long, env = "QUIRE_LOGIN_PER_MINUTE", default_value_t = 300)]
    pub login_per_minute: u32,
    /// Wrong access codes per client address per minute before that address must wait.
    #[arg(long, env = "QUIRE_LOGIN_FAILURES_PER_MINUTE", default_value_t = 30)]
    pub login_failures_per_minute: u32,
    /// Administrator password checks (argon2, about 19 MiB each) running at once; others wait their turn.
    #[arg(long, env = "QUIRE_ADMIN_SIGN_IN_CONCURRENCY", default_value_t = 2)]
    pub admin_sign_in_concurrency: usize,
    /// Take the client address from the last `X-Forwarded-For` entry (set this behind a load balancer that appends
    /// it, such as HAProxy with `option forwardfor`; never when clients reach Quire directly, who could forge it).
    #[arg(long, env = "QUIRE_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
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
    /// Sync requests one respondent may have in flight at once (the app sends one at a time; a retry may overlap an
    /// abandoned one). Beyond, 503: one client cannot take every slot and the whole body budget.
    #[arg(long, env = "QUIRE_SYNC_PER_RESPONDENT", default_value_t = 2)]
    pub sync_per_respondent: u32,
    /// Expose `POST /api/v1/bench/noop` (token check and body parse, no database): the HTTP floor for benchmarks.
    #[arg(long, env = "QUIRE_BENCH_ENDPOINTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub bench_endpoints: bool,
    /// How long an administrator stays signed in.
    #[arg(long, env = "QUIRE_ADMIN_SESSION_HOURS", default_value_t = 12)]
    pub admin_session_hours: u32,
    /// Mark the admin session cookie `Secure` (sent over HTTPS only). Only a server listening on loopback may turn
    /// it off (plain HTTP on one's own machine: `scripts/run.sh`, the browser tests).
    #[arg(long, env = "QUIRE_SECURE_COOKIES", default_value_t = true, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// The respondents' address, printed on access and reminder slips and in their QR codes (e.g.
    /// `https://survey.district.org/`). Unset: the address the administrator's browser used.
    #[arg(long, env = "QUIRE_PUBLIC_URL")]
    pub public_url: Option<String>,
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
            max_body_bytes: 1024 * 1024,
            header_timeout_secs: 10,
            body_timeout_secs: 20,
            login_per_minute: 300,
            login_failures_per_minute: 30,
            admin_sign_in_concurrency: 2,
            trust_forwarded_for: false,
            group_commit: true,
            group_commit_wait_us: 2000,
            group_commit_max_saves: 4000,
            committers: 4,
            ingest_queue: 4096,
            max_sync_in_flight: 4096,
            max_sync_bytes_in_flight: 4 * 1024 * 1024,
            sync_per_respondent: 2,
            bench_endpoints: false,
            admin_session_hours: 12,
            secure_cookies: true,
            public_url: None,
            read_database_url: None,
            read_max_connections: 8,
        }
    }

    /// Refuses, at start, settings that would fail later or weaken a guarantee, naming the setting.
    pub fn check(&self) -> anyhow::Result<()> {
        let secret = self.token_secret.expose();
        anyhow::ensure!(
            secret.len() >= 32,
            "QUIRE_TOKEN_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)"
        );
        anyhow::ensure!(
            !PLACEHOLDER_SECRETS.iter().any(|p| secret.contains(p)),
            "QUIRE_TOKEN_SECRET is the example's placeholder; set a random one (e.g. `openssl rand -hex 32`)"
        );
        let within = |name: &str, value: u64, max: u64| {
            anyhow::ensure!((1..=max).contains(&value), "{name} is {value}; it must be between 1 and {max}");
            Ok(())
        };
        if let Some(url) = &self.public_url {
            anyhow::ensure!(
                (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace),
                "QUIRE_PUBLIC_URL is `{url}`; it must be an http:// or https:// address"
            );
        }
        within("QUIRE_TOKEN_TTL_HOURS", self.token_ttl_hours.into(), MAX_TTL_HOURS)?;
        within("QUIRE_ADMIN_SESSION_HOURS", self.admin_session_hours.into(), MAX_TTL_HOURS)?;
        within("QUIRE_HEADER_TIMEOUT_SECS", self.header_timeout_secs, 3600)?;
        within("QUIRE_BODY_TIMEOUT_SECS", self.body_timeout_secs, 3600)?;
        within("QUIRE_LOGIN_PER_MINUTE", self.login_per_minute.into(), 1_000_000)?;
        within("QUIRE_LOGIN_FAILURES_PER_MINUTE", self.login_failures_per_minute.into(), 1_000_000)?;
        within("QUIRE_ADMIN_SIGN_IN_CONCURRENCY", self.admin_sign_in_concurrency as u64, 64)?;
        within("QUIRE_GROUP_COMMIT_WAIT_US", self.group_commit_wait_us.max(1), 1_000_000)?;
        within("QUIRE_GROUP_COMMIT_MAX_SAVES", self.group_commit_max_saves as u64, 10_000_000)?;
        within("QUIRE_COMMITTERS", self.committers as u64, 64)?;
        within("QUIRE_INGEST_QUEUE", self.ingest_queue as u64, 1 << 20)?;
        within("QUIRE_MAX_SYNC_IN_FLIGHT", self.max_sync_in_flight as u64, 1 << 20)?;
        within("QUIRE_SYNC_PER_RESPONDENT", self.sync_per_respondent.into(), 1024)?;
        within("QUIRE_MAX_SYNC_BYTES_IN_FLIGHT", self.max_sync_bytes_in_flight as u64, 1 << 31)?;
        within("QUIRE_MAX_BODY_BYTES", self.max_body_bytes as u64, (self.max_sync_bytes_in_flight / 2) as u64)
            .map_err(|e| e.context("one sync body may hold at most half of QUIRE_MAX_SYNC_BYTES_IN_FLIGHT"))?;
        anyhow::ensure!(
            self.secure_cookies || self.bind.ip().is_loopback(),
            "QUIRE_SECURE_COOKIES=false is only allowed when QUIRE_BIND is a loopback address (plain HTTP on this \
             machine); behind TLS, leave it on"
        );
        Ok(())
    }

    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs)
    }

    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.body_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ServeConfig {
        ServeConfig::new("127.0.0.1:0".parse().unwrap(), Secret::new("x".repeat(40)))
    }

    #[test]
    fn refuses_unsafe_or_oversized_settings_naming_them() {
        assert!(config().check().is_ok());
        let refused = |change: fn(&mut ServeConfig), name: &str| {
            let mut c = config();
            change(&mut c);
            let e = c.check().err().map(|e| format!("{e:#}")).unwrap_or_default();
            assert!(e.contains(name), "{name}: {e}");
        };
        refused(
            |c| c.token_secret = Secret::new("change-me-to-64-random-hex-characters-from-openssl".into()),
            "QUIRE_TOKEN_SECRET",
        );
        refused(|c| c.token_ttl_hours = u32::MAX, "QUIRE_TOKEN_TTL_HOURS");
        refused(|c| c.admin_session_hours = 0, "QUIRE_ADMIN_SESSION_HOURS");
        refused(|c| c.max_body_bytes = c.max_sync_bytes_in_flight, "QUIRE_MAX_BODY_BYTES");
        refused(|c| c.committers = 100_000, "QUIRE_COMMITTERS");
        refused(
            |c| {
                c.bind = "0.0.0.0:8080".parse().unwrap();
                c.secure_cookies = false;
            },
            "QUIRE_SECURE_COOKIES",
        );
        let mut plain_loopback = config();
        plain_loopback.secure_cookies = false;
        assert!(plain_loopback.check().is_ok());
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2-hunter2".into());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert!(!format!("{:?}", DbConfig { database_url: s, db_max_connections: 1 }).contains("hunter2"));
    }
}

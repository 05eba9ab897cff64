//! Limits on sign-in attempts, shared by every node through PostgreSQL (`bucket`, and the administrators' rows in
//! `admin`): behind a load balancer a guesser gets one allowance, not one per node. The tables are unlogged (the
//! migration says why), so a crash or a failover forgets them, as a restart of a node did when they lived in memory;
//! what that gives a guesser is a few more tries against a 57-bit access code or an argon2 hash.

mod admin;
mod bucket;
mod failures;
mod local;
mod respondent;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sqlx::PgPool;

pub use admin::{AdminLimits, Attempt, ADMIN_PER_MINUTE, LOCKOUT, MAX_FAILURES, PACE, PACE_AFTER};
pub(crate) use bucket::bucket_ahead;
pub use failures::{FailureLimit, API_TOKEN_FAILURES_PER_MINUTE};
pub use respondent::{LoginSlot, RespondentLimits};

use crate::config::ServeConfig;

/// The client's address: the TCP peer, or with `QUIRE_TRUST_FORWARDED_FOR` the last `X-Forwarded-For` entry (the
/// one the load balancer appended; entries before it are whatever the client sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    Arc<ServeConfig>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let forwarded = Arc::<ServeConfig>::from_ref(state)
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        Ok(ClientIp(grouped(forwarded.unwrap_or_else(|| crate::http::serve::peer_ip(&parts.extensions)))))
    }
}

/// An IPv6 client counts as its /64: one subscriber is routinely given a whole /64, and counting each of its
/// addresses apart would give a guesser 2^64 fresh allowances.
fn grouped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// How often a node clears the rows that no longer limit anyone.
pub const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Deletes buckets that have refilled and administrator rows whose window has ended. Every node sweeps; a sweep that
/// fails (a replica just demoted, a database away) is tried again next time.
pub fn spawn_sweeper(pool: PgPool, every: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = sweep(&pool).await {
                tracing::debug!(error = %e, "sign-in limits not swept");
            }
        }
    });
}

async fn sweep(pool: &PgPool) -> Result<(), sqlx::Error> {
    let window = LOCKOUT.as_secs_f64();
    sqlx::query("delete from sign_in_buckets where tat < now()").execute(pool).await?;
    sqlx::query(
        "delete from admin_sign_in_pairs
         where (pending = 0 and failures = 0) or since < now() - make_interval(secs => $1)",
    )
    .bind(window)
    .execute(pool)
    .await?;
    sqlx::query("delete from admin_sign_in_accounts where since is null or since < now() - make_interval(secs => $1)")
        .bind(window)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn ipv6_clients_count_as_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(ip(0));
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap_or(ip(0));
        assert_eq!(grouped(a), grouped(b));
        assert_ne!(grouped(a), grouped("2001:db8:1:3::1".parse().unwrap_or(ip(0))));
        assert_eq!(grouped("::ffff:192.0.2.1".parse().unwrap_or(ip(0))), ip(1));
        assert_eq!(grouped(ip(5)), ip(5));
    }
}

//! Failed admin API token authentications, per client address: at most `API_TOKEN_FAILURES_PER_MINUTE` (missing,
//! malformed, unknown, revoked or expired tokens alike); past that the address waits, right token or not, until its
//! allowance refills. The same machinery as wrong access codes (`respondent`): a bucket in PostgreSQL that every
//! node shares, read by the statement that looks the token up and written only on a failure, and in front of it the
//! addresses this node has already told to wait.
//!
//! A token holds 256 random bits, so the limit is not what keeps it from being guessed; it keeps a client that
//! keeps failing (a script with a revoked token in a loop, or a scanner) from costing a lookup per request for ever.

use std::net::IpAddr;

use sqlx::PgPool;

use super::bucket::Bucket;
use super::local::BlockList;
use crate::http::error::ApiError;

/// Failed token authentications allowed per client address per minute (burst as large).
pub const API_TOKEN_FAILURES_PER_MINUTE: u32 = 30;

const TOO_MANY_FAILURES: &str = "too many failed API token authentications from this address; wait a moment";

pub struct ApiTokenLimits {
    failures: Bucket,
    blocked: BlockList,
}

impl Default for ApiTokenLimits {
    fn default() -> Self {
        ApiTokenLimits::new(API_TOKEN_FAILURES_PER_MINUTE)
    }
}

impl ApiTokenLimits {
    pub fn new(failures_per_minute: u32) -> Self {
        ApiTokenLimits { failures: Bucket::new("api-token", failures_per_minute), blocked: BlockList::default() }
    }

    /// Before a lookup: `Err` (429) when this node already knows the address must wait.
    pub fn precheck(&self, ip: IpAddr) -> Result<(), ApiError> {
        match self.blocked.still_blocked(ip) {
            Some(wait) => Err(ApiError::too_many_requests(TOO_MANY_FAILURES, wait)),
            None => Ok(()),
        }
    }

    /// The row of this address's bucket, for the lookup to read beside the token (`bucket_ahead!`).
    pub fn key(&self, ip: IpAddr) -> String {
        self.failures.key(ip)
    }

    /// After the lookup, with how far the bucket was ahead of now (seconds): `Err` (429) when the address has spent
    /// its failures, whatever this token is.
    pub fn check(&self, ip: IpAddr, ahead: f64) -> Result<(), ApiError> {
        match self.failures.spent_by(ahead) {
            Some(wait) => {
                self.blocked.block(ip, wait);
                Err(ApiError::too_many_requests(TOO_MANY_FAILURES, wait))
            }
            None => Ok(()),
        }
    }

    /// After a failed authentication. A database that cannot count it is logged: the client's answer is the same.
    pub async fn failed(&self, pool: &PgPool, ip: IpAddr) {
        match self.failures.add(pool, ip).await {
            Ok(Some(wait)) => self.blocked.block(ip, wait),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not count a failed API token"),
        }
    }
}

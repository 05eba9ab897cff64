//! Failures counted per client address: wrong access codes (`respondent`) and failed admin API tokens (missing,
//! malformed, unknown, revoked or expired: `api::auth`). Past the allowance the address waits, right code or token
//! or not, until it refills. The count is a bucket in PostgreSQL that every node shares, read by the statement that
//! looks the code or token up (`key`, `bucket_ahead!`) and written only on a failure; in front of it, the addresses
//! this node has already told to wait.
//!
//! An API token holds 256 random bits, so its limit is not what keeps it from being guessed; it keeps a client that
//! keeps failing (a script looping on a revoked token, or a scanner) from costing a lookup per request for ever.

use std::net::IpAddr;

use sqlx::PgPool;

use super::bucket::Bucket;
use super::local::{BlockList, Bursts};
use crate::http::error::ApiError;

/// Failed admin API token authentications allowed per client address per minute (burst as large).
pub const API_TOKEN_FAILURES_PER_MINUTE: u32 = 30;

pub struct FailureLimit {
    bucket: Bucket,
    blocked: BlockList,
    bursts: Bursts,
    /// The 429's message.
    message: &'static str,
    /// What fails, for the log.
    what: &'static str,
}

impl FailureLimit {
    pub fn new(prefix: &'static str, per_minute: u32, message: &'static str, what: &'static str) -> Self {
        FailureLimit {
            bucket: Bucket::new(prefix, per_minute),
            blocked: BlockList::default(),
            bursts: Bursts::default(),
            message,
            what,
        }
    }

    /// Failed admin API tokens (`API_TOKEN_FAILURES_PER_MINUTE`).
    pub fn api_tokens() -> Self {
        FailureLimit::new(
            "api-token",
            API_TOKEN_FAILURES_PER_MINUTE,
            "too many failed API token authentications from this address; wait a moment",
            "a failed API token",
        )
    }

    /// Whether a refusal of `ip` starts a burst to sum up in the audit log (`local::Bursts`).
    pub fn new_burst(&self, ip: IpAddr) -> bool {
        self.bursts.starts(ip)
    }

    /// Before a lookup: `Err` (429) when this node already knows the address must wait.
    pub fn precheck(&self, ip: IpAddr) -> Result<(), ApiError> {
        match self.blocked.still_blocked(ip) {
            Some(wait) => Err(ApiError::too_many_requests(self.message, wait)),
            None => Ok(()),
        }
    }

    /// The row of this address's bucket, for the lookup to read beside the code or token (`bucket_ahead!`).
    pub fn key(&self, ip: IpAddr) -> String {
        self.bucket.key(ip)
    }

    /// After the lookup, with how far the bucket was ahead of now (`greatest(tat, now()) - now()`, seconds): `Err`
    /// (429) when the address has spent its failures, whether this attempt is right or not.
    pub fn check(&self, ip: IpAddr, ahead: f64) -> Result<(), ApiError> {
        match self.bucket.spent_by(ahead) {
            Some(wait) => {
                self.blocked.block(ip, wait);
                Err(ApiError::too_many_requests(self.message, wait))
            }
            None => Ok(()),
        }
    }

    /// After a failure. A database that cannot count it is logged, not shown: the client's answer is the same.
    pub async fn failed(&self, pool: &PgPool, ip: IpAddr) {
        match self.bucket.add(pool, ip).await {
            Ok(Some(wait)) => self.blocked.block(ip, wait),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, what = self.what, "could not count a failure"),
        }
    }
}

//! Respondents' sign-ins, per client address: at most `QUIRE_LOGIN_PER_MINUTE` a minute (burst as large, so a
//! classroom behind one school address signs in at once), and at most `QUIRE_LOGIN_FAILURES_PER_MINUTE` wrong codes;
//! past that, the address waits until its allowance refills.
//!
//! The counts every node shares are in PostgreSQL (`bucket`), and a sign-in costs no statement of its own for them:
//! - sign-ins are taken from the address's bucket in leases (a tenth of the allowance at once), counted down in
//!   memory: a school's class shares one row write per lease instead of contending for the row on every sign-in.
//!   A lease is counted when taken and lapses unused after `LEASE_LIFE`, so leases only ever refuse earlier.
//! - the wrong-code bucket is read by the statement that looks the code up (`respondent::login`), and written only
//!   when a code is wrong.
//!
//! In front of them each node keeps what costs nothing to check: its own copy of the per-minute limit (a flood from
//! one address is turned away without a query) and the addresses the database has said must wait.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::bucket::Bucket;
use super::failures::FailureLimit;
use super::local::{LocalLimit, MAX_KEYS};
use crate::http::error::ApiError;
use crate::http::in_flight::{InFlight, Slot};

pub struct RespondentLimits {
    /// This node's copy of the per-minute limit: the first line, in memory.
    local: LocalLimit,
    attempts: Bucket,
    /// Wrong codes, and the addresses that have spent them.
    failures: FailureLimit,
    /// Sign-ins taken from the shared bucket and not used yet, per address.
    leases: Mutex<HashMap<IpAddr, Lease>>,
    per_minute: u32,
    /// Sign-ins being looked up per address on this node. At most the wrong-code allowance at once: wrong codes are
    /// counted after their lookup, so without this many sent at once would all be looked up before the first was
    /// counted. (Behind N nodes, N times as many can be in flight.)
    in_flight: InFlight<IpAddr>,
    failures_per_minute: u32,
}

struct Lease {
    left: u32,
    until: Instant,
}

/// A lease is this share of the per-minute allowance (at least one sign-in).
const LEASE_SHARE: u32 = 10;
/// How long a lease's sign-ins may be used.
const LEASE_LIFE: Duration = Duration::from_secs(10);

/// Lookups in flight per address are allowed up to the wrong-code allowance, and never fewer than this: a class
/// clicking Start together must not be turned away for arriving in the same millisecond.
const MIN_LOOKUPS_IN_FLIGHT: u32 = 64;

/// A sign-in being looked up; frees its place when dropped.
pub type LoginSlot = Slot<IpAddr>;

const TOO_MANY: &str = "too many sign-ins from this network; wait a moment and try again";
const TOO_MANY_WRONG: &str = "too many wrong access codes from this network; wait a moment";

impl RespondentLimits {
    pub fn new(per_minute: u32, failures_per_minute: u32) -> Self {
        RespondentLimits {
            local: LocalLimit::per_minute(per_minute),
            attempts: Bucket::new("sign-in", per_minute),
            failures: FailureLimit::new("wrong-code", failures_per_minute, TOO_MANY_WRONG, "a wrong access code"),
            leases: Mutex::default(),
            per_minute,
            in_flight: InFlight::default(),
            failures_per_minute,
        }
    }

    /// Before a sign-in is looked at: `Err` (429) when this address has used its allowance. Hold the slot until the
    /// lookup has been counted (`failed`).
    pub async fn attempt(&self, pool: &PgPool, ip: IpAddr) -> Result<LoginSlot, ApiError> {
        self.failures.precheck(ip)?;
        self.local.check(ip, TOO_MANY)?;
        let slot = self
            .in_flight
            .take(ip, self.failures_per_minute.max(MIN_LOOKUPS_IN_FLIGHT))
            .ok_or_else(|| ApiError::too_many_requests(TOO_MANY, Duration::from_secs(1)))?;
        if !self.use_lease(ip) {
            match self.attempts.take(pool, ip, (self.per_minute / LEASE_SHARE).max(1)).await? {
                Ok(n) => self.keep_lease(ip, n - 1),
                // Sign-ins arriving together each take a lease; the bucket may be spent by the others' leases,
                // whose sign-ins are this node's to use.
                Err(_) if self.use_lease(ip) => {}
                Err(wait) => return Err(ApiError::too_many_requests(TOO_MANY, wait)),
            }
        }
        Ok(slot)
    }

    /// The row of this address's wrong-code bucket, for the lookup to read beside the code.
    pub fn wrong_codes_key(&self, ip: IpAddr) -> String {
        self.failures.key(ip)
    }

    /// After the lookup, with how far the wrong-code bucket was ahead (`greatest(tat, now()) - now()`, seconds):
    /// `Err` (429) when the address has spent its wrong codes, whether this code is right or not.
    pub fn check_wrong_codes(&self, ip: IpAddr, ahead: f64) -> Result<(), ApiError> {
        self.failures.check(ip, ahead)
    }

    fn use_lease(&self, ip: IpAddr) -> bool {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        match leases.get_mut(&ip) {
            Some(lease) if lease.left > 0 && lease.until > Instant::now() => {
                lease.left -= 1;
                true
            }
            _ => false,
        }
    }

    fn keep_lease(&self, ip: IpAddr, left: u32) {
        if left == 0 {
            return;
        }
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if leases.len() > MAX_KEYS {
            leases.retain(|_, lease| lease.until > now);
        }
        let lease = leases.entry(ip).or_insert(Lease { left: 0, until: now });
        lease.left = if lease.until > now { lease.left + left } else { left };
        lease.until = now + LEASE_LIFE;
    }

    /// After a wrong code (logged, not shown, if the database cannot count it).
    pub async fn failed(&self, pool: &PgPool, ip: IpAddr) {
        self.failures.failed(pool, ip).await
    }
}

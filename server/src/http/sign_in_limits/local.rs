//! The first line, in each node's memory: a copy of a per-address limit that turns a flood away without a query.
//! Only what is counted in PostgreSQL is shared; this only ever refuses earlier, never allows more.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::http::error::ApiError;

/// Keys a node keeps in memory at most before stale ones are dropped, so addresses made up by a flood cannot grow
/// its memory without end.
pub const MAX_KEYS: usize = 100_000;

pub struct LocalLimit(DefaultKeyedRateLimiter<IpAddr>);

impl LocalLimit {
    pub fn per_minute(n: u32) -> Self {
        LocalLimit(RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))))
    }

    pub fn check(&self, ip: IpAddr, message: &'static str) -> Result<(), ApiError> {
        let checked = self.0.check_key(&ip).map_err(|not_until| {
            ApiError::too_many_requests(message, not_until.wait_time_from(DefaultClock::default().now()))
        });
        if self.0.len() > MAX_KEYS {
            self.0.retain_recent();
        }
        checked
    }
}

/// Addresses the database has said must wait, and until when: asked again meanwhile, a node refuses without a query.
#[derive(Default)]
pub struct BlockList(Mutex<HashMap<IpAddr, Instant>>);

impl BlockList {
    /// How long `ip` still waits, if it does.
    pub fn still_blocked(&self, ip: IpAddr) -> Option<Duration> {
        let blocked = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let until = *blocked.get(&ip)?;
        until.checked_duration_since(Instant::now())
    }

    pub fn block(&self, ip: IpAddr, wait: Duration) {
        let mut blocked = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if blocked.len() > MAX_KEYS {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(ip, Instant::now() + wait);
    }
}

/// How long one summary row in the audit log stands for the refusals of an address that follow it.
pub const BURST_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Addresses whose refusals (429) have been summed up in the audit log lately. What the limits let through is
/// audited one row per attempt; what they turn away is one row per address per `BURST_WINDOW` per node, so a flood
/// costs the audit log a row, not a row a request. Bounded like the others: past `MAX_KEYS` addresses at once, a new
/// one goes unsummarised (its attempts that got through are still audited).
#[derive(Default)]
pub struct Bursts(Mutex<HashMap<IpAddr, Instant>>);

impl Bursts {
    /// True when a refusal of `ip` starts a new burst (the caller then writes its summary row); notes it.
    pub fn starts(&self, ip: IpAddr) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if seen.get(&ip).is_some_and(|at| now.duration_since(*at) < BURST_WINDOW) {
            return false;
        }
        if seen.len() >= MAX_KEYS {
            seen.retain(|_, at| now.duration_since(*at) < BURST_WINDOW);
            if seen.len() >= MAX_KEYS {
                return false;
            }
        }
        seen.insert(ip, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_summed_up_once_per_address() {
        let bursts = Bursts::default();
        let (a, b) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        assert!(bursts.starts(a));
        assert!(!bursts.starts(a));
        assert!(bursts.starts(b));
    }
}

//! Limits on sign-in attempts, kept in memory per node (a restart forgets them; what that gives a guesser is a few
//! more tries against a 57-bit access code or an argon2 hash).
//!
//! Respondents (`RespondentLimits`), per client address: at most `QUIRE_LOGIN_PER_MINUTE` sign-ins a minute (burst
//! as large, so a classroom behind one school address signs in at once), and at most
//! `QUIRE_LOGIN_FAILURES_PER_MINUTE` wrong codes; past that, the address waits until its allowance refills. Both are
//! GCRA buckets from `governor`.
//!
//! Administrators (`AdminLimits`): every attempt is *reserved* before its password is checked, under one lock, so
//! concurrent guesses cannot slip past the count.
//! - per account and client address: `MAX_FAILURES` failures (counting attempts in flight) lock that pair for
//!   `LOCKOUT`. A stranger elsewhere locks only themselves: the administrator, from their own address, still signs
//!   in.
//! - per account, from every address together: after `PACE_AFTER` failures within `LOCKOUT`, one attempt per
//!   `PACE` at most. That slows a guesser spread over many addresses to a crawl, while it delays the real
//!   administrator by at most `PACE`; it never locks them out.
//! - argon2 itself runs at most `QUIRE_ADMIN_SIGN_IN_CONCURRENCY` at a time (`AppState::argon2`), so a flood of
//!   attempts costs queueing, not memory (about 19 MiB per check in flight).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;
use crate::AppState;

/// The client's address: the TCP peer, or with `QUIRE_TRUST_FORWARDED_FOR` the last `X-Forwarded-For` entry (the
/// one the load balancer appended; entries before it are whatever the client sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_forwarded_for
            .then(|| parts.headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        Ok(ClientIp(forwarded.unwrap_or_else(|| crate::serve::peer_ip(&parts.extensions))))
    }
}

fn throttled(message: &'static str, wait: Duration) -> ApiError {
    ApiError::TooManyRequests { message, retry_after: wait }
}

/// Keys kept at most before stale ones are dropped, so addresses made up by a flood cannot grow memory without end.
const MAX_KEYS: usize = 100_000;

pub struct RespondentLimits {
    attempts: DefaultKeyedRateLimiter<IpAddr>,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that spent their wrong-code allowance, and until when they wait.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl RespondentLimits {
    pub fn new(per_minute: u32, failures_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        RespondentLimits {
            attempts: RateLimiter::keyed(quota(per_minute)),
            failures: RateLimiter::keyed(quota(failures_per_minute)),
            blocked: Mutex::default(),
        }
    }

    /// Before a sign-in is looked at: `Err` (429) when this address has used its allowance.
    pub fn attempt(&self, ip: IpAddr) -> Result<(), ApiError> {
        let message = "too many sign-ins from this network; wait a moment and try again";
        if let Some(until) = self.blocked.lock().unwrap_or_else(|e| e.into_inner()).get(&ip) {
            let now = Instant::now();
            if *until > now {
                return Err(throttled("too many wrong access codes from this network; wait a moment", *until - now));
            }
        }
        self.attempts
            .check_key(&ip)
            .map_err(|not_until| throttled(message, not_until.wait_time_from(DefaultClock::default().now())))?;
        if self.attempts.len() > MAX_KEYS {
            self.attempts.retain_recent();
        }
        Ok(())
    }

    /// After a wrong code.
    pub fn failed(&self, ip: IpAddr) {
        if let Err(not_until) = self.failures.check_key(&ip) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
            if blocked.len() > MAX_KEYS {
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
            }
            blocked.insert(ip, Instant::now() + wait);
        }
        if self.failures.len() > MAX_KEYS {
            self.failures.retain_recent();
        }
    }
}

/// Failed sign-ins allowed per account and address within `LOCKOUT`.
pub const MAX_FAILURES: u32 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Failures of an account, from all addresses together, after which its attempts are paced.
pub const PACE_AFTER: u32 = 10;
pub const PACE: Duration = Duration::from_secs(2);

#[derive(Default)]
struct PairState {
    failures: u32,
    in_flight: u32,
    since: Option<Instant>,
}

#[derive(Default)]
struct AccountState {
    failures: u32,
    since: Option<Instant>,
    next_allowed: Option<Instant>,
}

#[derive(Default)]
struct AdminState {
    pairs: HashMap<(String, IpAddr), PairState>,
    accounts: HashMap<String, AccountState>,
}

pub struct AdminLimits {
    state: Mutex<AdminState>,
    /// Attempts per client address, whatever the account: `ADMIN_PER_MINUTE`.
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// Administrator sign-in attempts per client address per minute, over all accounts.
pub const ADMIN_PER_MINUTE: u32 = 30;

impl Default for AdminLimits {
    fn default() -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(ADMIN_PER_MINUTE).unwrap_or(NonZeroU32::MIN));
        AdminLimits { state: Mutex::default(), per_ip: RateLimiter::keyed(quota) }
    }
}

/// A reserved attempt: report its outcome with `succeeded` or `failed`; dropped unreported (an error, a cancelled
/// request), it counts as a failure, so aborting requests cannot be used to guess for free.
pub struct Attempt<'a> {
    limits: &'a AdminLimits,
    key: (String, IpAddr),
    done: bool,
}

fn expired(since: Option<Instant>, now: Instant) -> bool {
    since.is_none_or(|s| now.duration_since(s) >= LOCKOUT)
}

impl AdminLimits {
    /// Reserves an attempt for `email` from `ip`, or says how long to wait.
    pub fn begin(&self, email: &str, ip: IpAddr) -> Result<Attempt<'_>, ApiError> {
        self.per_ip.check_key(&ip).map_err(|not_until| {
            throttled(
                "too many sign-ins from this address; wait a moment",
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })?;
        if self.per_ip.len() > MAX_KEYS {
            self.per_ip.retain_recent();
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.pairs.len() > MAX_KEYS {
            state.pairs.retain(|_, p| p.in_flight > 0 || !expired(p.since, now));
            state.accounts.retain(|_, a| !expired(a.since, now));
        }
        let key = (email.to_owned(), ip);
        let pair = state.pairs.entry(key.clone()).or_default();
        if expired(pair.since, now) {
            pair.failures = 0;
            pair.since = None;
        }
        if pair.failures + pair.in_flight >= MAX_FAILURES {
            let wait = pair.since.map_or(LOCKOUT, |s| LOCKOUT.saturating_sub(now.duration_since(s)));
            return Err(throttled("too many failed sign-ins for this account; wait a few minutes", wait));
        }
        let account = state.accounts.entry(email.to_owned()).or_default();
        if expired(account.since, now) {
            *account = AccountState::default();
        }
        if account.failures >= PACE_AFTER {
            if let Some(next) = account.next_allowed.filter(|n| *n > now) {
                return Err(throttled("many failed sign-ins for this account; try again in a moment", next - now));
            }
            account.next_allowed = Some(now + PACE);
        }
        if let Some(pair) = state.pairs.get_mut(&key) {
            pair.in_flight += 1;
        }
        Ok(Attempt { limits: self, key, done: false })
    }
}

impl Attempt<'_> {
    pub fn succeeded(mut self) {
        self.done = true;
        let mut state = self.limits.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pairs.remove(&self.key);
    }

    pub fn failed(mut self) {
        self.done = true;
        self.record_failure();
    }

    fn record_failure(&self) {
        let now = Instant::now();
        let mut state = self.limits.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pair) = state.pairs.get_mut(&self.key) {
            pair.in_flight = pair.in_flight.saturating_sub(1);
            pair.failures += 1;
            pair.since.get_or_insert(now);
        }
        let account = state.accounts.entry(self.key.0.clone()).or_default();
        account.failures += 1;
        account.since.get_or_insert(now);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.record_failure();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn concurrent_attempts_are_counted_before_they_finish() {
        let limits = AdminLimits::default();
        let reserved: Vec<_> = (0..20).filter_map(|_| limits.begin("a@x", ip(1)).ok()).collect();
        assert_eq!(reserved.len(), MAX_FAILURES as usize);
        drop(reserved); // unreported attempts count as failures
        assert!(limits.begin("a@x", ip(1)).is_err());
    }

    #[test]
    fn a_stranger_locks_only_their_own_address() {
        let limits = AdminLimits::default();
        for _ in 0..MAX_FAILURES {
            if let Ok(a) = limits.begin("admin@x", ip(66)) {
                a.failed();
            }
        }
        assert!(limits.begin("admin@x", ip(66)).is_err());
        let own = limits.begin("admin@x", ip(7));
        assert!(own.is_ok());
        if let Ok(a) = own {
            a.succeeded();
        }
    }

    #[test]
    fn many_addresses_are_paced_never_locked() {
        let limits = AdminLimits::default();
        for n in 0..PACE_AFTER {
            if let Ok(a) = limits.begin("admin@x", ip(n as u8 + 10)) {
                a.failed();
            }
        }
        // The next attempt passes and starts the pace; one straight after it waits at most PACE.
        assert!(limits.begin("admin@x", ip(100)).map(Attempt::failed).is_ok());
        match limits.begin("admin@x", ip(7)) {
            Err(ApiError::TooManyRequests { retry_after, .. }) => assert!(retry_after <= PACE),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("not paced"),
        };
    }

    #[test]
    fn respondent_failures_block_the_address_only() {
        let limits = RespondentLimits::new(1000, 3);
        for _ in 0..4 {
            assert!(limits.attempt(ip(1)).is_ok());
            limits.failed(ip(1));
        }
        assert!(matches!(limits.attempt(ip(1)), Err(ApiError::TooManyRequests { .. })));
        assert!(limits.attempt(ip(2)).is_ok());
    }

    #[test]
    fn a_classroom_behind_one_address_signs_in() {
        let limits = RespondentLimits::new(300, 30);
        assert!((0..40).all(|_| limits.attempt(ip(9)).is_ok()));
    }
}

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
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::ServeConfig;
use crate::http::error::ApiError;
use crate::http::in_flight::{InFlight, Slot};

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
    /// Sign-ins being looked up per address. At most the wrong-code allowance at once: wrong codes are counted
    /// after their lookup, so without this many sent at once would all be looked up before the first was counted.
    in_flight: InFlight<IpAddr>,
    failures_per_minute: u32,
}

/// Lookups in flight per address are allowed up to the wrong-code allowance, and never fewer than this: a class
/// clicking Start together must not be turned away for arriving in the same millisecond.
const MIN_LOOKUPS_IN_FLIGHT: u32 = 64;

/// A sign-in being looked up; frees its place when dropped.
pub type LoginSlot = Slot<IpAddr>;

impl RespondentLimits {
    pub fn new(per_minute: u32, failures_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        RespondentLimits {
            attempts: RateLimiter::keyed(quota(per_minute)),
            failures: RateLimiter::keyed(quota(failures_per_minute)),
            blocked: Mutex::default(),
            in_flight: InFlight::default(),
            failures_per_minute,
        }
    }

    /// Before a sign-in is looked at: `Err` (429) when this address has used its allowance. Hold the slot until the
    /// lookup has been counted (`failed`).
    pub fn attempt(&self, ip: IpAddr) -> Result<LoginSlot, ApiError> {
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
        self.in_flight
            .take(ip, self.failures_per_minute.max(MIN_LOOKUPS_IN_FLIGHT))
            .ok_or_else(|| throttled(message, Duration::from_secs(1)))
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
/// Characters of a typed address kept as a key (the longest valid address is 320).
const MAX_EMAIL_CHARS: usize = 320;
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
            if state.pairs.len() > MAX_KEYS {
                // Still full of live entries: a flood. Refuse newcomers rather than grow.
                return Err(throttled("sign-in is busy; try again in a moment", Duration::from_secs(5)));
            }
        }
        // Keys hold at most an address's worth of the typed text: a 16 KiB "address" costs no more memory.
        let email: String = email.chars().take(MAX_EMAIL_CHARS).collect();
        let email = email.as_str();
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
        let pair_has_failed = pair.failures > 0;
        let account = state.accounts.entry(email.to_owned()).or_default();
        if expired(account.since, now) {
            *account = AccountState::default();
        }
        // The pace holds back addresses that have already failed for this account. An address that has not (the
        // administrator's own, typing the right password) is not queued behind a guesser polling from elsewhere;
        // a guesser gets one unpaced try per fresh address.
        if account.failures >= PACE_AFTER && pair_has_failed {
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
    /// The password was right: the pair's failures are forgotten (its other attempts in flight still count).
    pub fn succeeded(mut self) {
        self.done = true;
        let mut state = self.limits.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pair) = state.pairs.get_mut(&self.key) {
            pair.in_flight = pair.in_flight.saturating_sub(1);
            pair.failures = 0;
            pair.since = None;
            if pair.in_flight == 0 {
                state.pairs.remove(&self.key);
            }
        }
    }

    /// The server could not decide (busy, database error): the attempt is released without counting against anyone,
    /// so that a flood elsewhere that keeps the password checks busy cannot run up the administrator's own count.
    pub fn abandon(mut self) {
        self.done = true;
        let mut state = self.limits.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pair) = state.pairs.get_mut(&self.key) {
            pair.in_flight = pair.in_flight.saturating_sub(1);
        }
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
        // An address that has failed before is paced: one try, then a wait of at most PACE.
        assert!(limits.begin("admin@x", ip(10)).map(Attempt::failed).is_ok());
        match limits.begin("admin@x", ip(10)) {
            Err(ApiError::TooManyRequests { retry_after, .. }) => assert!(retry_after <= PACE),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("not paced"),
        };
        // The administrator's own address, which has not failed, is not queued behind the guesser.
        let own = limits.begin("admin@x", ip(7));
        assert!(own.is_ok());
        if let Ok(a) = own {
            a.succeeded();
        }
    }

    #[test]
    fn a_server_side_failure_is_not_counted_against_the_account() {
        let limits = AdminLimits::default();
        for _ in 0..(MAX_FAILURES * 2) {
            if let Ok(a) = limits.begin("admin@x", ip(1)) {
                a.abandon();
            }
        }
        assert!(limits.begin("admin@x", ip(1)).is_ok());
    }

    #[test]
    fn respondent_failures_block_the_address_only() {
        let limits = RespondentLimits::new(1000, 3);
        for _ in 0..4 {
            let slot = limits.attempt(ip(1));
            assert!(slot.is_ok());
            limits.failed(ip(1));
        }
        assert!(matches!(limits.attempt(ip(1)), Err(ApiError::TooManyRequests { .. })));
        assert!(limits.attempt(ip(2)).is_ok());
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

    #[test]
    fn a_classroom_behind_one_address_signs_in() {
        let limits = RespondentLimits::new(300, 30);
        assert!((0..40).all(|_| limits.attempt(ip(9)).is_ok()));
    }

    #[test]
    fn concurrent_lookups_from_one_address_are_bounded() {
        let limits = RespondentLimits::new(1000, 100);
        let held: Vec<_> = (0..150).filter_map(|_| limits.attempt(ip(4)).ok()).collect();
        assert_eq!(held.len(), 100);
        drop(held);
        assert!(limits.attempt(ip(4)).is_ok());
    }
}

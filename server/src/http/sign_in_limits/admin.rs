//! Administrators' sign-ins. Every attempt is *reserved* before its password is checked, under the rows' locks in
//! PostgreSQL, so concurrent guesses cannot slip past the count, whichever nodes they reach.
//! - per account and client address: `MAX_FAILURES` failures (counting attempts in flight) lock that pair for
//!   `LOCKOUT`. A stranger elsewhere locks only themselves: the administrator, from their own address, still signs
//!   in.
//! - per account, from every address together: after `PACE_AFTER` failures within `LOCKOUT`, one attempt per
//!   `PACE` at most. That slows a guesser spread over many addresses to a crawl, while it delays the real
//!   administrator by at most `PACE`; it never locks them out.
//! - per client address, whatever the account: `ADMIN_PER_MINUTE` attempts (`bucket`).
//! - argon2 itself runs at most `QUIRE_ADMIN_SIGN_IN_CONCURRENCY` at a time (`AppState::argon2`), so a flood of
//!   attempts costs queueing, not memory (about 19 MiB per check in flight).

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

use super::bucket::Bucket;
use super::local::{Bursts, LocalLimit};
use crate::http::error::ApiError;

/// Failed sign-ins allowed per account and address within `LOCKOUT`.
pub const MAX_FAILURES: u32 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Characters of a typed address kept as a key (the longest valid address is 320).
const MAX_EMAIL_CHARS: usize = 320;
/// Failures of an account, from all addresses together, after which its attempts are paced.
pub const PACE_AFTER: u32 = 10;
pub const PACE: Duration = Duration::from_secs(2);
/// Administrator sign-in attempts per client address per minute, over all accounts.
pub const ADMIN_PER_MINUTE: u32 = 30;

/// An account and address's row (`admin_sign_in_pairs`).
#[derive(Debug, Default, Clone, PartialEq)]
struct Pair {
    failures: i32,
    /// Attempts reserved and not yet reported.
    pending: i32,
    since: Option<OffsetDateTime>,
}

/// An account's row (`admin_sign_in_accounts`).
#[derive(Debug, Default, Clone, PartialEq)]
struct Account {
    failures: i32,
    since: Option<OffsetDateTime>,
    next_allowed: Option<OffsetDateTime>,
}

fn expired(since: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    since.is_none_or(|s| now - s >= LOCKOUT)
}

/// The rules, applied to the rows as read under their locks: `Ok` with the rows changed as they must be stored, or
/// how long to wait.
fn admit(pair: &mut Pair, account: &mut Account, now: OffsetDateTime) -> Result<(), ApiError> {
    if expired(pair.since, now) {
        // Attempts still pending from a window this old belong to a node that died mid-check.
        *pair = Pair::default();
    }
    if pair.failures + pair.pending >= MAX_FAILURES as i32 {
        let wait = pair.since.map_or(LOCKOUT, |s| LOCKOUT.saturating_sub((now - s).unsigned_abs()));
        return Err(ApiError::too_many_requests("too many failed sign-ins for this account; wait a few minutes", wait));
    }
    if expired(account.since, now) {
        *account = Account::default();
    }
    // The pace holds back addresses that have already failed for this account. An address that has not (the
    // administrator's own, typing the right password) is not queued behind a guesser polling from elsewhere; a
    // guesser gets one unpaced try per fresh address.
    if account.failures >= PACE_AFTER as i32 && pair.failures > 0 {
        if let Some(next) = account.next_allowed.filter(|n| *n > now) {
            let wait = (next - now).unsigned_abs();
            return Err(ApiError::too_many_requests(
                "many failed sign-ins for this account; try again in a moment",
                wait,
            ));
        }
        account.next_allowed = Some(now + PACE);
    }
    pair.pending += 1;
    pair.since.get_or_insert(now);
    Ok(())
}

pub struct AdminLimits {
    /// This node's copy of the per-address limit: a flood is turned away without a query.
    local: LocalLimit,
    per_ip: Bucket,
    bursts: Bursts,
}

impl Default for AdminLimits {
    fn default() -> Self {
        AdminLimits {
            local: LocalLimit::per_minute(ADMIN_PER_MINUTE),
            per_ip: Bucket::new("admin-sign-in", ADMIN_PER_MINUTE),
            bursts: Bursts::default(),
        }
    }
}

/// A reserved attempt: report its outcome with `succeeded`, `failed` or `abandon`. Dropped unreported (a cancelled
/// request), it counts as a failure, so aborting requests cannot be used to guess for free; a node that dies holding
/// one leaves it pending until the pair's window ends.
pub struct Attempt {
    pool: PgPool,
    email: String,
    client: String,
    done: bool,
}

const TOO_MANY_FROM_HERE: &str = "too many sign-ins from this address; wait a moment";

impl AdminLimits {
    /// Whether a refusal of `ip` starts a burst to sum up in the audit log (`local::Bursts`).
    pub fn new_burst(&self, ip: IpAddr) -> bool {
        self.bursts.starts(ip)
    }

    /// Reserves an attempt for `email` from `ip`, or says how long to wait.
    pub async fn begin(&self, pool: &PgPool, email: &str, ip: IpAddr) -> Result<Attempt, ApiError> {
        self.local.check(ip, TOO_MANY_FROM_HERE)?;
        if let Err(wait) = self.per_ip.take(pool, ip, 1).await? {
            return Err(ApiError::too_many_requests(TOO_MANY_FROM_HERE, wait));
        }
        // A key holds at most an address's worth of the typed text, and no U+0000 (which PostgreSQL text cannot
        // hold): a 16 KiB "address" costs no more, and a hostile one no error.
        let email: String = email
            .chars()
            .take(MAX_EMAIL_CHARS)
            .map(|c| if c == '\0' { char::REPLACEMENT_CHARACTER } else { c })
            .collect();
        let client = ip.to_string();
        reserve(pool, &email, &client).await?;
        Ok(Attempt { pool: pool.clone(), email, client, done: false })
    }
}

/// Reads both rows under their locks (account first, always, so two reservations never wait on each other in
/// opposite orders), applies `admit` and stores the result, in one transaction.
async fn reserve(pool: &PgPool, email: &str, client: &str) -> Result<(), ApiError> {
    let mut tx = pool.begin().await?;
    // An upsert that changes nothing locks the row, creating it if need be, and returns it.
    let (failures, since, next_allowed, now): (i32, Option<OffsetDateTime>, Option<OffsetDateTime>, OffsetDateTime) =
        sqlx::query_as(
            "insert into admin_sign_in_accounts as a (email) values ($1)
             on conflict (email) do update set email = a.email
             returning a.failures, a.since, a.next_allowed, now()",
        )
        .bind(email)
        .fetch_one(&mut *tx)
        .await?;
    let mut account = Account { failures, since, next_allowed };
    let (failures, pending, since): (i32, i32, Option<OffsetDateTime>) = sqlx::query_as(
        "insert into admin_sign_in_pairs as p (email, client) values ($1, $2)
         on conflict (email, client) do update set email = p.email
         returning p.failures, p.pending, p.since",
    )
    .bind(email)
    .bind(client)
    .fetch_one(&mut *tx)
    .await?;
    let mut pair = Pair { failures, pending, since };
    admit(&mut pair, &mut account, now)?;
    sqlx::query("update admin_sign_in_accounts set failures = $2, since = $3, next_allowed = $4 where email = $1")
        .bind(email)
        .bind(account.failures)
        .bind(account.since)
        .bind(account.next_allowed)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "update admin_sign_in_pairs set failures = $3, pending = $4, since = $5 where email = $1 and client = $2",
    )
    .bind(email)
    .bind(client)
    .bind(pair.failures)
    .bind(pair.pending)
    .bind(pair.since)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How an attempt ended.
#[derive(Clone, Copy)]
enum Outcome {
    /// The password was right: the pair's failures are forgotten (its other attempts in flight still count).
    Succeeded,
    Failed,
    /// The server could not decide (busy, database error): released without counting against anyone, so that a
    /// flood elsewhere that keeps the password checks busy cannot run up the administrator's own count.
    Abandoned,
}

impl Attempt {
    pub async fn succeeded(mut self) {
        self.done = true;
        record(&self.pool, &self.email, &self.client, Outcome::Succeeded).await;
    }

    pub async fn failed(mut self) {
        self.done = true;
        record(&self.pool, &self.email, &self.client, Outcome::Failed).await;
    }

    pub async fn abandon(mut self) {
        self.done = true;
        record(&self.pool, &self.email, &self.client, Outcome::Abandoned).await;
    }
}

/// Stores an outcome. Each statement locks one row and commits on its own, the account's before the pair's, so they
/// never deadlock with `reserve`. One that cannot be stored is logged: the pair's window still ends, and with it
/// what was pending.
async fn record(pool: &PgPool, email: &str, client: &str, outcome: Outcome) {
    if let Outcome::Failed = outcome {
        let account = sqlx::query(
            "update admin_sign_in_accounts set failures = failures + 1, since = coalesce(since, now())
             where email = $1",
        )
        .bind(email)
        .execute(pool)
        .await;
        if let Err(e) = account {
            tracing::warn!(error = %e, "could not count a failed administrator sign-in");
        }
    }
    let pair = match outcome {
        Outcome::Succeeded => {
            "update admin_sign_in_pairs set pending = greatest(pending - 1, 0), failures = 0,
                 since = case when pending > 1 then since end
             where email = $1 and client = $2"
        }
        Outcome::Failed => {
            "update admin_sign_in_pairs set pending = greatest(pending - 1, 0), failures = failures + 1,
                 since = coalesce(since, now())
             where email = $1 and client = $2"
        }
        Outcome::Abandoned => {
            "update admin_sign_in_pairs set pending = greatest(pending - 1, 0) where email = $1 and client = $2"
        }
    };
    if let Err(e) = sqlx::query(pair).bind(email).bind(client).execute(pool).await {
        tracing::warn!(error = %e, "could not record the outcome of an administrator sign-in");
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (pool, email, client) =
            (self.pool.clone(), std::mem::take(&mut self.email), std::mem::take(&mut self.client));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { record(&pool, &email, &client, Outcome::Failed).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_000_000 + secs)
    }

    fn fail(pair: &mut Pair, account: &mut Account, now: OffsetDateTime) {
        pair.pending -= 1;
        pair.failures += 1;
        pair.since.get_or_insert(now);
        account.failures += 1;
        account.since.get_or_insert(now);
    }

    #[test]
    fn attempts_in_flight_count_before_they_finish() {
        let (mut pair, mut account) = (Pair::default(), Account::default());
        let admitted = (0..20).filter(|_| admit(&mut pair, &mut account, at(0)).is_ok()).count();
        assert_eq!(admitted, MAX_FAILURES as usize);
    }

    #[test]
    fn a_lockout_ends_with_its_window_and_forgets_what_a_dead_node_left_pending() {
        let (mut pair, mut account) = (Pair { failures: 2, pending: 3, since: Some(at(0)) }, Account::default());
        match admit(&mut pair, &mut account, at(60)) {
            Err(ApiError::TooManyRequests { retry_after, .. }) => {
                assert_eq!(retry_after, LOCKOUT - Duration::from_secs(60))
            }
            other => panic!("not locked: {other:?}"),
        }
        let later = at(LOCKOUT.as_secs() as i64);
        assert!(admit(&mut pair, &mut account, later).is_ok());
        assert_eq!(pair, Pair { failures: 0, pending: 1, since: Some(later) });
    }

    #[test]
    fn an_address_that_failed_is_paced_and_a_fresh_one_is_not() {
        let mut account = Account::default();
        let mut guesser = Pair::default();
        for _ in 0..PACE_AFTER {
            let mut pair = Pair::default();
            assert!(admit(&mut pair, &mut account, at(0)).is_ok());
            fail(&mut pair, &mut account, at(0));
            guesser = pair;
        }
        assert!(admit(&mut guesser, &mut account, at(1)).is_ok());
        match admit(&mut guesser, &mut account, at(2)) {
            Err(ApiError::TooManyRequests { retry_after, .. }) => assert!(retry_after <= PACE),
            other => panic!("not paced: {other:?}"),
        }
        // The administrator's own address, which has not failed, is not queued behind the guesser.
        assert!(admit(&mut Pair::default(), &mut account, at(2)).is_ok());
    }
}

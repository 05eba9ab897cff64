//! Rate buckets kept in PostgreSQL (`sign_in_buckets`), so that every node draws on one allowance per key.
//!
//! A bucket allows `per_minute` events a minute, with a burst as large (GCRA). Its row holds the theoretical
//! arrival time (TAT): each event moves it a `per_minute`-th of a minute past the later of TAT and now, and an event
//! is within the allowance while TAT stays less than a minute ahead of now. Times are the database's own, so nodes
//! whose clocks disagree still count alike.

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;

pub struct Bucket {
    prefix: &'static str,
    per_minute: u32,
}

/// Why an event was refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spent {
    /// This bucket has no room.
    This(Duration),
    /// The bucket checked beside it (`take`'s `blocker`) is spent.
    Blocker(Duration),
}

impl Bucket {
    pub const fn new(prefix: &'static str, per_minute: u32) -> Self {
        Bucket { prefix, per_minute }
    }

    fn key(&self, ip: IpAddr) -> String {
        format!("{}:{ip}", self.prefix)
    }

    /// Seconds each event adds.
    fn interval(&self) -> f64 {
        60.0 / f64::from(self.per_minute.max(1))
    }

    /// How far ahead TAT may be before an event is refused: a burst of exactly `per_minute` fits.
    fn tolerance(&self) -> f64 {
        60.0 - self.interval()
    }

    /// How long to wait when TAT is `ahead` seconds past now, if at all.
    fn wait(&self, ahead: f64) -> Option<Duration> {
        let over = ahead - self.tolerance();
        (over > 0.0).then(|| Duration::from_secs_f64(over.min(3600.0)))
    }

    /// Takes one event for `ip` if there is room, and in the same statement looks at `blocker`, a bucket that other
    /// events fill (`add`): a spent blocker refuses the event too. One round trip.
    pub async fn take(&self, pool: &PgPool, ip: IpAddr, blocker: &Bucket) -> Result<Result<(), Spent>, sqlx::Error> {
        let (taken, ahead, blocker_ahead): (bool, f64, f64) = sqlx::query_as(
            "with taken as (
                 insert into sign_in_buckets as b (key, tat) values ($1, now() + make_interval(secs => $2))
                 on conflict (key) do update set tat = greatest(b.tat, now()) + make_interval(secs => $2)
                     where greatest(b.tat, now()) <= now() + make_interval(secs => $3)
                 returning 1
             )
             select exists (select 1 from taken),
                    extract(epoch from greatest((select tat from sign_in_buckets where key = $1), now()) - now())::float8,
                    extract(epoch from greatest((select tat from sign_in_buckets where key = $4), now()) - now())::float8",
        )
        .bind(self.key(ip))
        .bind(self.interval())
        .bind(self.tolerance())
        .bind(blocker.key(ip))
        .fetch_one(pool)
        .await?;
        if let Some(wait) = blocker.wait(blocker_ahead) {
            return Ok(Err(Spent::Blocker(wait)));
        }
        if !taken {
            // `ahead` is from before this statement; at least one interval is owed.
            let wait = self.wait(ahead).unwrap_or(Duration::from_secs_f64(self.interval()));
            return Ok(Err(Spent::This(wait)));
        }
        Ok(Ok(()))
    }

    /// Takes one event for `ip` if there is room (`Err` says how long to wait otherwise).
    pub async fn take_alone(&self, pool: &PgPool, ip: IpAddr) -> Result<Result<(), Duration>, sqlx::Error> {
        Ok(self.take(pool, ip, &NEVER_SPENT).await?.map_err(|spent| match spent {
            Spent::This(wait) | Spent::Blocker(wait) => wait,
        }))
    }

    /// Counts an event that has happened, room or not; `Some(wait)` when the bucket is spent by it.
    pub async fn add(&self, pool: &PgPool, ip: IpAddr) -> Result<Option<Duration>, sqlx::Error> {
        let (ahead,): (f64,) = sqlx::query_as(
            "insert into sign_in_buckets as b (key, tat) values ($1, now() + make_interval(secs => $2))
             on conflict (key) do update set tat = greatest(b.tat, now()) + make_interval(secs => $2)
             returning extract(epoch from tat - now())::float8",
        )
        .bind(self.key(ip))
        .bind(self.interval())
        .fetch_one(pool)
        .await?;
        Ok(self.wait(ahead))
    }
}

/// A blocker no event fills (its key is never written).
const NEVER_SPENT: Bucket = Bucket::new("never", u32::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_exactly_the_allowance_fits() {
        let b = Bucket::new("t", 30);
        // After 30 events at once TAT is 60 s ahead: the 31st waits one interval (2 s).
        assert_eq!(b.wait(29.0 * 2.0), None);
        let wait = b.wait(30.0 * 2.0).map(|d| d.as_secs_f64());
        assert!(wait.is_some_and(|w| (w - 2.0).abs() < 1e-9), "{wait:?}");
    }
}

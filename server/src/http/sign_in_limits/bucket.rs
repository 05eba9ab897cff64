//! Rate buckets kept in PostgreSQL (`sign_in_buckets`), so that every node draws on one allowance per key.
//!
//! A bucket allows `per_minute` events a minute, with a burst as large (GCRA). Its row holds the theoretical
//! arrival time (TAT): each event moves it a `per_minute`-th of a minute past the later of TAT and now, and an event
//! is within the allowance while TAT stays less than a minute ahead of now. Times are the database's own, so nodes
//! whose clocks disagree still count alike.

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;

/// SQL for how far the bucket whose key is the parameter `$n` is ahead of now, in seconds (0 when full): for
/// `ahead` here, and for a statement that reads a bucket beside its own work (`respondent::login`).
macro_rules! bucket_ahead {
    ($key:literal) => {
        concat!(
            "extract(epoch from greatest((select tat from sign_in_buckets where key = ",
            $key,
            "), now()) - now())::float8"
        )
    };
}
pub(crate) use bucket_ahead;

pub struct Bucket {
    prefix: &'static str,
    per_minute: u32,
}

impl Bucket {
    pub const fn new(prefix: &'static str, per_minute: u32) -> Self {
        Bucket { prefix, per_minute }
    }

    /// The row of `ip`'s bucket, for a statement that reads it beside its own work.
    pub fn key(&self, ip: IpAddr) -> String {
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

    /// How long to wait when TAT is `ahead` seconds past now (`greatest(tat, now()) - now()`), if the bucket is
    /// spent.
    pub fn spent_by(&self, ahead: f64) -> Option<Duration> {
        let over = ahead - self.tolerance();
        (over > 0.0).then(|| Duration::from_secs_f64(over.min(3600.0)))
    }

    /// Takes up to `want` events for `ip`, as many as there is room for: `Ok(n)` with `n` ≥ 1, or how long to wait.
    /// One statement; the row's lock orders takes from every node.
    pub async fn take(&self, pool: &PgPool, ip: IpAddr, want: u32) -> Result<Result<u32, Duration>, sqlx::Error> {
        let want = want.clamp(1, self.per_minute.max(1));
        let taken: Option<(i32,)> = sqlx::query_as(
            "insert into sign_in_buckets as b (key, tat, taken) values ($1, now() + make_interval(secs => $2 * $4), $4)
             on conflict (key) do update set (taken, tat) = (
                 select n, greatest(b.tat, now()) + make_interval(secs => $2 * n)
                 from (select least($4, floor(($3 - extract(epoch from greatest(b.tat, now()) - now())) / $2)::int + 1)
                       as n) room)
                 where greatest(b.tat, now()) <= now() + make_interval(secs => $3)
             returning taken",
        )
        .bind(self.key(ip))
        .bind(self.interval())
        .bind(self.tolerance())
        .bind(want as i32)
        .fetch_optional(pool)
        .await?;
        match taken {
            Some((n,)) => Ok(Ok(n.max(1) as u32)),
            None => {
                let ahead = self.ahead(pool, ip).await?;
                Ok(Err(self.spent_by(ahead).unwrap_or(Duration::from_secs_f64(self.interval()))))
            }
        }
    }

    /// Seconds the bucket of `ip` is ahead of now (0 when full).
    async fn ahead(&self, pool: &PgPool, ip: IpAddr) -> Result<f64, sqlx::Error> {
        sqlx::query_scalar(concat!("select ", bucket_ahead!("$1"))).bind(self.key(ip)).fetch_one(pool).await
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
        Ok(self.spent_by(ahead))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_exactly_the_allowance_fits() {
        let b = Bucket::new("t", 30);
        // After 30 events at once TAT is 60 s ahead: the 31st waits one interval (2 s).
        assert_eq!(b.spent_by(29.0 * 2.0), None);
        let wait = b.spent_by(30.0 * 2.0).map(|d| d.as_secs_f64());
        assert!(wait.is_some_and(|w| (w - 2.0).abs() < 1e-9), "{wait:?}");
    }
}

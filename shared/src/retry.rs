//! When to try again after a failed sync: exponential backoff with full jitter, or what the server asks for. One
//! rule for the respondent app and for the load generator that stands in for it.
//!
//! Full jitter (a uniform wait in `[0, min(cap, base·2^attempt)]`) spreads a classroom of browsers that lost the
//! network together, so they do not come back in lockstep; a `Retry-After` from a 429/503 is a floor set by the
//! server, honoured as given (plus a little jitter) and never shortened.

/// First backoff ceiling.
pub const BASE_MS: f64 = 1_000.0;
/// Longest wait between attempts while the network or server is down.
pub const CAP_MS: f64 = 30_000.0;

/// Milliseconds to wait before attempt `attempt + 1` (attempt counts failures since the last success, from 1).
/// `random` is uniform in `[0, 1)`.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let ceiling = (BASE_MS * 2f64.powi(attempt.min(16) as i32)).min(CAP_MS);
    ceiling * random.clamp(0.0, 1.0)
}

/// Reads a `Retry-After` header given in seconds (the HTTP-date form is not used by Quire's server).
pub fn retry_after_ms(header: Option<&str>) -> Option<f64> {
    let seconds: f64 = header?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| seconds.min(3_600.0) * 1_000.0)
}

/// The wait after a failure: the server's `Retry-After` (plus up to a second of jitter) when it gave one, else backoff.
pub fn delay_ms(attempt: u32, retry_after: Option<f64>, random: f64) -> f64 {
    match retry_after {
        Some(ms) => ms + 1_000.0 * random.clamp(0.0, 1.0),
        None => backoff_ms(attempt, random),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps_and_stays_within_the_ceiling() {
        assert_eq!(backoff_ms(1, 0.999_999).round(), 2_000.0);
        assert_eq!(backoff_ms(3, 0.5), 4_000.0);
        assert_eq!(backoff_ms(10, 0.999_999).round(), CAP_MS);
        assert_eq!(backoff_ms(u32::MAX, 1.0), CAP_MS);
        assert_eq!(backoff_ms(4, 0.0), 0.0);
    }

    #[test]
    fn retry_after_is_a_floor() {
        assert_eq!(retry_after_ms(Some("2")), Some(2_000.0));
        assert_eq!(retry_after_ms(Some(" 1.5 ")), Some(1_500.0));
        assert_eq!(retry_after_ms(Some("Wed, 21 Oct 2026 07:28:00 GMT")), None);
        assert_eq!(retry_after_ms(Some("-1")), None);
        assert_eq!(retry_after_ms(None), None);
        assert!(delay_ms(1, Some(5_000.0), 0.0) >= 5_000.0);
        assert!(delay_ms(1, Some(5_000.0), 0.99) < 6_000.0);
        assert!(delay_ms(2, None, 0.99) < 4_000.0);
    }
}

//! Dates as ODK forms use them: `YYYY-MM-DD` answers, days since 1970-01-01 for arithmetic and comparison, and the
//! conversions of Enketo's evaluator (a JavaScript `Date` in the respondent's time zone).
//!
//! The engine has no time zone: local time is read and printed as if it were UTC, with the offset `-00:00`. That
//! keeps the server and the app identical; only `now()` printed in full shows the difference.

use super::num::js_number;

pub const DAY_MS: f64 = 86_400_000.0;

/// Enketo's DATE_STRING: four digits, `-`, one or two, `-`, one or two, then anything on the same line.
pub fn is_date_string(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |from: usize, max: usize| (from..b.len().min(from + max)).take_while(|&j| b[j].is_ascii_digit()).count();
    if b.len() < 8 || digits(0, 4) != 4 || b[4] != b'-' {
        return false;
    }
    let m = digits(5, 2);
    if m == 0 || b.get(5 + m) != Some(&b'-') || digits(6 + m, 2) == 0 {
        return false;
    }
    !s.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
}

/// Enketo's dateStringToDays: a datetime through the ISO reader, a date through JavaScript's `new Date(y, m, d)`
/// (which lets days and months overflow into the next).
pub fn date_string_days(s: &str) -> f64 {
    if s.find('T').is_some_and(|at| at > 0) {
        return parse_iso(s) / DAY_MS;
    }
    let mut parts = s.split('-').map(|p| {
        let t = p.trim();
        if t.is_empty() {
            0.0
        } else {
            js_number(t)
        }
    });
    let y = parts.next().unwrap_or(f64::NAN);
    let m = parts.next().unwrap_or(f64::NAN);
    let d = parts.next().unwrap_or(f64::NAN);
    let y = if (0.0..100.0).contains(&y.trunc()) { 1900.0 + y.trunc() } else { y };
    make_day(y, m - 1.0, d) / DAY_MS
}

/// JavaScript's MakeDay and TimeClip: milliseconds at midnight of that day, NaN when out of range.
pub fn make_day(y: f64, m: f64, d: f64) -> f64 {
    if !(y.is_finite() && m.is_finite() && d.is_finite()) || y.abs() > 300_000.0 || m.abs() > 4_000_000.0 {
        return f64::NAN;
    }
    let (y, m, d) = (y.trunc() as i64, m.trunc() as i64, d.trunc());
    let year = y + m.div_euclid(12);
    let month = m.rem_euclid(12) + 1;
    let ms = (days_from_civil(year, month, 1) as f64 + d - 1.0) * DAY_MS;
    if ms.abs() > 8.64e15 {
        f64::NAN
    } else {
        ms
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1–12, day 1–31) of a day count.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// JavaScript's `new Date(s)` for ISO 8601 text: `YYYY-MM-DD` and `YYYY-MM-DDTHH:mm[:ss[.sss]][Z|±HH:mm]`.
/// Anything else is NaN (JavaScript would also try its lenient legacy reader).
pub fn parse_iso(s: &str) -> f64 {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |a, c| a * 10 + i64::from(c - b'0')))
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let (Some(y), Some(mo), Some(d)) = (num(0, 4), num(5, 2), num(8, 2)) else { return f64::NAN };
    if !sep(4, b'-') || !sep(7, b'-') || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return f64::NAN;
    }
    let day = make_day(y as f64, (mo - 1) as f64, d as f64);
    if b.len() == 10 {
        return day;
    }
    let (Some(h), Some(mi)) = (num(11, 2), num(14, 2)) else { return f64::NAN };
    if !sep(10, b'T') || !sep(13, b':') || h > 24 || mi > 59 {
        return f64::NAN;
    }
    let mut at = 16;
    let (mut sec, mut ms) = (0, 0.0);
    if sep(at, b':') {
        let Some(s) = num(at + 1, 2).filter(|s| *s < 60) else { return f64::NAN };
        sec = s;
        at += 3;
        if sep(at, b'.') {
            let n = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return f64::NAN;
            }
            let frac: String = s_chars(&b[at + 1..at + 1 + n.min(3)]);
            ms = format!("{frac:0<3}").parse().unwrap_or(0.0);
            at += 1 + n;
        }
    }
    if h == 24 && (mi, sec, ms) != (0, 0, 0.0) {
        return f64::NAN;
    }
    let offset = match &b[at..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b':') => {
            let (Some(oh), Some(om)) = (num(at + 1, 2), num(at + 4, 2)) else { return f64::NAN };
            (oh * 60 + om) * if *sign == b'+' { 1 } else { -1 }
        }
        _ => return f64::NAN,
    };
    day + ((h * 60 + mi - offset) * 60 + sec) as f64 * 1000.0 + ms
}

fn s_chars(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// A date's string value: `YYYY-MM-DD` at midnight, else the full local ISO form; "Invalid Date" when NaN.
pub fn to_iso(ms: f64) -> String {
    if ms.is_nan() {
        return "Invalid Date".into();
    }
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else {
        format!("{}{:06}", if y < 0 { '-' } else { '+' }, y.abs())
    };
    if (h, mi, s, milli) == (0, 0, 0, 0) {
        return format!("{year}-{mo:02}-{d:02}");
    }
    // "-00:00": RFC 3339's "UTC, local offset unknown", which is what the engine knows (and what Enketo prints in UTC).
    format!("{year}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}-00:00")
}

/// (year, month, day, hour, minute, second, millisecond) of a finite instant.
pub fn fields(ms: f64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let ms = ms as i64;
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, mo, d) = civil_from_days(days);
    (y, mo, d, rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000)
}

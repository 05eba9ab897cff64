//! The date functions: `date()` (Enketo's asDate, also used when a date meets another value in an operator),
//! `format-date()` and `decimal-date-time()`.

use super::date::{date_string_days, fields, is_date_string, parse_iso, DAY_MS};
use super::num::js_number;
use super::value::{Millis, Value};

/// A value as a date: `None` for the blank date of an empty answer, NaN for one that is not a date.
pub fn as_date(v: &Value) -> Option<Millis> {
    match v {
        Value::Bool(_) => Some(f64::NAN),
        Value::Date(d) => *d,
        // Enketo multiplies in this order, and the rounding of each step shows in the milliseconds.
        Value::Num(n) => Some(time_clip(n * 24.0 * 60.0 * 60.0 * 1000.0)),
        Value::Str(s) | Value::Node(s) => text_as_date(s),
    }
}

/// JavaScript's TimeClip: whole milliseconds within ±100,000,000 days, else NaN.
fn time_clip(ms: f64) -> f64 {
    if ms.is_finite() && ms.abs() <= 8.64e15 {
        ms.trunc()
    } else {
        f64::NAN
    }
}

fn text_as_date(s: &str) -> Option<Millis> {
    if s.is_empty() {
        return None;
    }
    if raw_number(s) {
        // parseInt: the whole days only.
        let whole = s.split('.').next().unwrap_or(s);
        return Some(time_clip(js_number(whole) * DAY_MS));
    }
    if !is_date_string(s) {
        return Some(parse_iso(s));
    }
    let (day, time) = s.split_at(s.find('T').unwrap_or(s.len()));
    let parts: Vec<&str> = day.split('-').collect();
    let num = |i: usize| parts.get(i).map_or(f64::NAN, |p| if p.trim().is_empty() { 0.0 } else { js_number(p.trim()) });
    let (y, d) = (num(0), num(2));
    let m = parse_int(parts[1]) - 1.0;
    if (0.0..12.0).contains(&m) && d > 0.0 && d <= days_in_month(m, y) {
        let time = if time.is_empty() { "T00:00:00.000+00:00" } else { time };
        let pad = |p: &str| if p.len() < 2 { format!("0{p}") } else { p.to_string() };
        return Some(parse_iso(&format!("{}-{}-{}{time}", pad(parts[0]), pad(parts[1]), pad(parts[2]))));
    }
    Some(parse_iso(day))
}

/// `^-?[0-9]+(\.[0-9]+)?$`
fn raw_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let all = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
    all(int) && all(frac)
}

/// JavaScript's parseInt(s, 10): the leading integer, NaN if none.
fn parse_int(s: &str) -> f64 {
    let t = s.trim_start();
    let sign_len = usize::from(t.starts_with(['-', '+']));
    let n = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return f64::NAN;
    }
    js_number(&t[..sign_len + n])
}

fn days_in_month(m: f64, y: f64) -> f64 {
    match m as i64 {
        1 if (y % 4.0 == 0.0 && y % 100.0 != 0.0) || y % 400.0 == 0.0 => 29.0,
        1 => 28.0,
        3 | 5 | 8 | 10 => 30.0,
        _ => 31.0,
    }
}

/// decimal-date-time(): a number as it is, anything else read as a date or datetime string.
pub fn decimal_date_time(v: &Value) -> f64 {
    match v {
        Value::Num(n) => *n,
        other => date_string_days(&other.to_str()),
    }
}

/// The local wall-clock instant for `now()`: the instant moved by its offset, so local time reads as UTC.
pub fn instant(now: &time::OffsetDateTime) -> Millis {
    let local = now.unix_timestamp() + i64::from(now.offset().whole_seconds());
    (local * 1000 + i64::from(now.millisecond())) as f64
}

/// Today's local midnight for `today()`.
pub fn midnight(now: &time::OffsetDateTime) -> Millis {
    instant(now).div_euclid(DAY_MS) * DAY_MS
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// format-date(): ODK's codes %Y %y %m %n %b %d %e %a %H %h %M %S %3 %%; month and day names in English.
/// An unknown code is kept as written (Enketo raises an error there).
pub fn format_date(date: &Value, format: &str) -> String {
    let ms = match as_date(date) {
        Some(ms) if !ms.is_nan() => ms,
        _ => return String::new(),
    };
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    let weekday = (ms as i64).div_euclid(86_400_000).rem_euclid(7) as usize;
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let code = chars.next();
        let piece = match code {
            Some('%') => "%".to_string(),
            Some('Y') => format!("{y:04}"),
            Some('y') => format!("{y:04}").get(2..).unwrap_or_default().to_string(),
            Some('m') => format!("{mo:02}"),
            Some('n') => mo.to_string(),
            Some('b') => MONTHS[(mo - 1) as usize].to_string(),
            Some('d') => format!("{d:02}"),
            Some('e') => d.to_string(),
            Some('a') => WEEKDAYS[weekday].to_string(),
            Some('H') => format!("{h:02}"),
            Some('h') => h.to_string(),
            Some('M') => format!("{mi:02}"),
            Some('S') => format!("{s:02}"),
            Some('3') => format!("{milli:03}"),
            Some(other) => format!("%{other}"),
            None => "%".to_string(),
        };
        out.push_str(&piece);
    }
    out
}

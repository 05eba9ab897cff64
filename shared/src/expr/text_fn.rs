//! The string functions. Lengths and `substr()` positions count UTF-16 units, as JavaScript (Enketo) and Java
//! (JavaRosa) do; `substring()` and `translate()` count characters.

/// string-length()
pub fn length(s: &str) -> f64 {
    s.encode_utf16().count() as f64
}

/// ODK's substr(s, start, end): JavaScript's slice(), so negative positions count from the end.
pub fn substr(s: &str, start: f64, end: Option<f64>) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len() as f64;
    let clamp = |x: f64| {
        let x = if x.is_nan() { 0.0 } else { x.trunc() };
        if x < 0.0 {
            (len + x).max(0.0)
        } else {
            x.min(len)
        }
    };
    let (from, to) = (clamp(start), end.map_or(len, clamp));
    if from >= to {
        return String::new();
    }
    String::from_utf16_lossy(&units[from as usize..to as usize])
}

/// XPath 1.0's substring(s, start, length?): 1-based, rounded positions.
pub fn substring(s: &str, start: f64, len: Option<f64>) -> String {
    let start = if len.is_none() { start.max(0.0) } else { start };
    if start.is_nan() || len.is_some_and(f64::is_nan) {
        return String::new();
    }
    let from = xpath_round(start);
    let until = len.map_or(f64::INFINITY, |l| from + xpath_round(l));
    s.chars()
        .enumerate()
        .filter(|(i, _)| {
            let p = (*i + 1) as f64;
            p >= from && p < until
        })
        .map(|(_, c)| c)
        .collect()
}

/// XPath's round(): halves go up, and -0.5 to -0 rounds to -0.
pub fn xpath_round(x: f64) -> f64 {
    if !x.is_finite() || (x.is_sign_negative() && x >= -0.5) {
        return if x.is_finite() { -0.0 } else { x };
    }
    (x + 0.5).floor()
}

pub fn before(s: &str, sep: &str) -> String {
    s.find(sep).map_or_else(String::new, |at| s[..at].to_string())
}

pub fn after(s: &str, sep: &str) -> String {
    s.find(sep).map_or_else(String::new, |at| s[at + sep.len()..].to_string())
}

pub fn normalize_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|&f| f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

/// selected(): a select_multiple answer holds its codes separated by single spaces.
pub fn selected(answer: &str, code: &str) -> bool {
    let code = code.trim();
    answer.split(' ').any(|c| c == code)
}

pub fn count_selected(answer: &str) -> f64 {
    answer.split(' ').filter(|c| !c.is_empty()).count() as f64
}

/// selected-at(answer, n): the n-th code counted from 0, '' past the end.
pub fn selected_at(answer: &str, n: f64) -> String {
    let n = n.trunc();
    if n.is_nan() || n < 0.0 {
        return String::new();
    }
    answer.split(' ').nth(n as usize).unwrap_or("").to_string()
}

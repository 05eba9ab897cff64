//! Numbers as JavaScript reads and prints them, which is what Enketo's evaluator shows respondents.

/// JavaScript's ToNumber of a trimmed, non-empty string (decimal forms and `Infinity`; hex is not read).
pub fn js_number(t: &str) -> f64 {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let value = if body == "Infinity" {
        f64::INFINITY
    } else if decimal_literal(body) {
        body.parse().unwrap_or(f64::NAN)
    } else {
        return f64::NAN;
    };
    if neg {
        -value
    } else {
        value
    }
}

/// digits [. digits] | . digits, then an optional exponent.
fn decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize| (from..b.len()).find(|&j| !b[j].is_ascii_digit()).unwrap_or(b.len());
    let int_end = digits(0);
    let mut end = int_end;
    let mut frac = 0;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        frac = frac_end - end - 1;
        end = frac_end;
    }
    if int_end == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits(end + 1 + sign);
        if exp_end == end + 1 + sign {
            return false;
        }
        end = exp_end;
    }
    end == b.len()
}

/// JavaScript's Number.prototype.toString() in the app: the browser's own (the code below, which the differential
/// test holds against it, would cost the bundle Rust's exponent formatting).
#[cfg(target_arch = "wasm32")]
pub fn num_to_str(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}

/// JavaScript's Number.prototype.toString(): integers without `.0`, exponents beyond 1e21 and below 1e-6.
#[cfg(not(target_arch = "wasm32"))]
pub fn num_to_str(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // `{:e}` gives the shortest digits that read back as n, as JavaScript's algorithm does.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let point = exp.parse::<i32>().unwrap_or(0) + 1;
    let sign = if n < 0.0 { "-" } else { "" };
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{first}{rest}e{e_sign}{}", e.abs())
    };
    format!("{sign}{body}")
}

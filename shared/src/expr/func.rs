//! The functions whose arguments are all evaluated first (`if()` and `coalesce()` are in the evaluator, which
//! can skip a branch). Arities were checked by the parser, so `args` has as many values as the call has.

use super::ast::Func;
use super::date::{date_string_days, is_date_string};
use super::date_fn::{as_date, decimal_date_time, format_date, instant, midnight};
use super::env::Env;
use super::text_fn as text;
use super::value::Value;

pub fn call(f: Func, args: &[Value], env: &dyn Env) -> Option<Value> {
    // Every argument as a string and as a number up front: one conversion site keeps the wasm small.
    let strs: Vec<String> = args.iter().map(Value::to_str).collect();
    let nums: Vec<f64> = args.iter().map(Value::to_num).collect();
    let s = |i: usize| strs.get(i).map_or("", String::as_str);
    let n = |i: usize| nums.get(i).copied().unwrap_or(f64::NAN);
    let opt_n = |i: usize| nums.get(i).copied();
    let num = |x: f64| Some(Value::Num(x));
    let string = |x: String| Some(Value::Str(x));
    let boolean = |x: bool| Some(Value::Bool(x));
    match f {
        Func::Selected => boolean(text::selected(s(0), s(1))),
        Func::CountSelected => num(text::count_selected(s(0))),
        Func::SelectedAt => string(text::selected_at(s(0), integer(n(1)))),
        Func::StringLength => num(text::length(s(0))),
        Func::Regex => env.regex_match(s(0), s(1)).map(Value::Bool),
        Func::Concat => string(strs.concat()),
        Func::Join => string(strs[1..].join(s(0))),
        Func::Substr => string(text::substr(s(0), n(1), opt_n(2))),
        Func::Substring => string(text::substring(s(0), n(1), opt_n(2))),
        Func::Contains => boolean(s(0).contains(s(1))),
        Func::StartsWith => boolean(s(0).starts_with(s(1))),
        Func::EndsWith => boolean(s(0).ends_with(s(1))),
        Func::SubstringBefore => string(text::before(s(0), s(1))),
        Func::SubstringAfter => string(text::after(s(0), s(1))),
        Func::NormalizeSpace => string(text::normalize_space(s(0))),
        Func::Translate => string(text::translate(s(0), s(1), s(2))),
        Func::Round => num(round(n(0), opt_n(1))),
        Func::Int => num(integer(n(0))),
        Func::Floor => num(n(0).floor()),
        Func::Ceiling => num(n(0).ceil()),
        Func::Abs => num(n(0).abs()),
        Func::Pow => num(pow(n(0), n(1))),
        Func::Max => num(extreme(args, f64::max)),
        Func::Min => num(extreme(args, f64::min)),
        Func::Number => num(number(&args[0])),
        Func::String => string(s(0).to_string()),
        Func::Boolean => boolean(args[0].to_bool()),
        Func::Not => boolean(!args[0].to_bool()),
        Func::True => boolean(true),
        Func::False => boolean(false),
        Func::Today => Some(Value::Date(Some(midnight(&env.now())))),
        Func::Now => Some(Value::Date(Some(instant(&env.now())))),
        Func::Date | Func::DateTime => Some(Value::Date(as_date(&args[0]))),
        Func::DecimalDateTime => num(decimal_date_time(&args[0])),
        Func::FormatDate | Func::FormatDateTime => string(format_date(&args[0], s(1))),
        Func::ChoiceName => env.choice_label(ref_name(s(1)), s(0)).map(Value::Str),
        // Enketo's once(): the value the question already holds, else the argument's.
        Func::Once => {
            let held = env.current()?;
            string(if held.is_empty() { s(0).to_string() } else { held })
        }
        Func::If | Func::Coalesce | Func::Current => None,
    }
}

/// number(): Enketo tests the untrimmed string for a date first (so a datetime with a trailing space is NaN).
fn number(v: &Value) -> f64 {
    match v.as_text() {
        Some(s) if is_date_string(s) => date_string_days(s),
        _ => v.to_num(),
    }
}

/// ODK's int(): towards zero.
fn integer(x: f64) -> f64 {
    if x > 0.0 {
        x.floor()
    } else {
        x.ceil()
    }
}

/// ODK's round(x, digits): halves away from zero; negative digits round to tens, hundreds…
fn round(x: f64, digits: Option<f64>) -> f64 {
    // Enketo's -Math.round(-x) for negatives and Math.round otherwise is Rust's round(), -0 included.
    let r = f64::round;
    let Some(digits) = digits else { return r(x) };
    let digits = integer(digits);
    let pow = pow(10.0, digits.abs());
    if digits > 0.0 {
        r(x * pow) / pow
    } else {
        pow * r(x / pow)
    }
}

/// max() and min(): NaN if any argument is not a number.
fn extreme(args: &[Value], pick: fn(f64, f64) -> f64) -> f64 {
    let nums: Vec<f64> = args.iter().map(Value::to_num).collect();
    if nums.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    nums.into_iter().reduce(pick).unwrap_or(f64::NAN)
}

/// The question named by jr:choice-name()'s second argument: `${q}`, `/data/q` or `q`.
fn ref_name(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')).unwrap_or(s);
    s.rsplit('/').next().unwrap_or(s)
}

/// Rust's `powf` on both sides (not the browser's `Math.pow`): a calculation the server recomputes must come out the
/// same to the last bit, and browsers' `pow` differ in it.
fn pow(base: f64, exponent: f64) -> f64 {
    base.powf(exponent)
}

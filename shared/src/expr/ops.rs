//! The binary operators over two known values: XPath 1.0's comparison rules between node-sets, strings, numbers
//! and booleans, with the date coercions of Enketo's evaluator before them.

use super::ast::BinOp;
use super::date::{date_string_days, is_date_string, DAY_MS};
use super::date_fn::as_date;
use super::value::Value;

pub fn binary(op: BinOp, l: Value, r: Value) -> Value {
    let (l, r) = coerce_dates(op, l, r);
    match op {
        BinOp::Or => Value::Bool(l.to_bool() || r.to_bool()),
        BinOp::And => Value::Bool(l.to_bool() && r.to_bool()),
        BinOp::Eq => Value::Bool(equal(&l, &r)),
        BinOp::Ne => Value::Bool(!equal(&l, &r)),
        BinOp::Lt => Value::Bool(l.to_num() < r.to_num()),
        BinOp::Le => Value::Bool(l.to_num() <= r.to_num()),
        BinOp::Gt => Value::Bool(l.to_num() > r.to_num()),
        BinOp::Ge => Value::Bool(l.to_num() >= r.to_num()),
        BinOp::Add => Value::Num(l.to_num() + r.to_num()),
        BinOp::Sub => Value::Num(l.to_num() - r.to_num()),
        BinOp::Mul => Value::Num(l.to_num() * r.to_num()),
        BinOp::Div => Value::Num(l.to_num() / r.to_num()),
        BinOp::Mod => Value::Num(l.to_num() % r.to_num()),
    }
}

/// A date value against anything but a boolean: both sides become days. Otherwise, for comparisons, a string or
/// node that starts like a date becomes its days (arithmetic reads such strings as days anyway).
fn coerce_dates(op: BinOp, l: Value, r: Value) -> (Value, Value) {
    let date = |v: &Value| matches!(v, Value::Date(_));
    let boolean = |v: &Value| matches!(v, Value::Bool(_));
    if date(&l) || date(&r) {
        if boolean(&l) || boolean(&r) {
            return (l, r);
        }
        let days = |v: Value| match v {
            Value::Num(_) => v,
            other => Value::Num(as_date(&other).map_or(f64::NAN, |ms| ms / DAY_MS)),
        };
        return (days(l), days(r));
    }
    if matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
        let days = |v: Value| match v.as_text() {
            Some(s) if is_date_string(s) => Value::Num(date_string_days(s)),
            _ => v,
        };
        return (days(l), days(r));
    }
    (l, r)
}

/// `=`: node-sets compare by string value with nodes and strings, by number with numbers, and by existence with
/// booleans; otherwise booleans, then numbers, then strings win. `!=` is its negation: XPath's "some pair differs"
/// reading of `!=` only departs from that for node-sets of several nodes or none, which forms do not have.
fn equal(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Node(a), Value::Node(b)) => a == b,
        (Value::Bool(_), _) | (_, Value::Bool(_)) => l.to_bool() == r.to_bool(),
        (Value::Num(_), _) | (_, Value::Num(_)) => l.to_num() == r.to_num(),
        _ => l.to_str() == r.to_str(),
    }
}

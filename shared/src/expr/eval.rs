//! The evaluator: walks a [`Tree`] over an [`Env`], three-valued. `None` means the result depends on an answer this
//! side does not know; `and`, `or`, `if()` and `coalesce()` still decide when the known part is enough.

use super::ast::{BinOp, Func, Ix, Node, Tree};
use super::env::Env;
use super::func;
use super::ops::binary;
use super::value::Value;

pub fn eval(tree: &Tree, ix: Ix, env: &dyn Env) -> Option<Value> {
    match &tree.nodes[ix as usize] {
        Node::Num(n) => Some(Value::Num(*n)),
        Node::Str(s) => Some(Value::Str(s.to_string())),
        Node::Ref(i) => env.get(&tree.refs[*i as usize]).map(Value::Node),
        Node::Current => env.current().map(Value::Node),
        Node::Column(i) => env.column(&tree.columns[*i as usize]).map(Value::Node),
        Node::Neg(a) => Some(Value::Num(-eval(tree, *a, env)?.to_num())),
        Node::Bin(op @ (BinOp::And | BinOp::Or), l, r) => logic(tree, *op, *l, *r, env),
        Node::Bin(op, l, r) => {
            let l = eval(tree, *l, env);
            let r = eval(tree, *r, env)?;
            Some(binary(*op, l?, r))
        }
        Node::Call(f, args) => call(tree, *f, args, env),
    }
}

fn logic(tree: &Tree, op: BinOp, l: Ix, r: Ix, env: &dyn Env) -> Option<Value> {
    let decides = |v: &Value| v.to_bool() == (op == BinOp::Or);
    let l = eval(tree, l, env);
    if l.as_ref().is_some_and(decides) {
        return Some(Value::Bool(op == BinOp::Or));
    }
    match (l, eval(tree, r, env)) {
        (Some(l), Some(r)) => Some(binary(op, l, r)),
        (None, Some(r)) if decides(&r) && !matches!(r, Value::Date(_)) => Some(Value::Bool(op == BinOp::Or)),
        _ => None,
    }
}

fn call(tree: &Tree, f: Func, args: &[Ix], env: &dyn Env) -> Option<Value> {
    match f {
        Func::If => match eval(tree, args[0], env) {
            Some(c) => eval(tree, args[if c.to_bool() { 1 } else { 2 }], env),
            None => {
                let (a, b) = (eval(tree, args[1], env)?, eval(tree, args[2], env)?);
                (a == b).then_some(a)
            }
        },
        Func::Coalesce => {
            let a = eval(tree, args[0], env).map(|a| a.to_str());
            if a.as_ref().is_some_and(|a| !a.is_empty()) {
                return a.map(Value::Str);
            }
            let b = eval(tree, args[1], env)?.to_str();
            a.map(|_| Value::Str(b))
        }
        _ => {
            let mut values = Vec::with_capacity(args.len().max(1));
            for a in args.iter() {
                values.push(eval(tree, *a, env)?);
            }
            if values.is_empty() && reads_context(f) {
                values.push(Value::Node(env.current()?));
            }
            func::call(f, &values, env)
        }
    }
}

/// Functions that read `.` when called without an argument.
fn reads_context(f: Func) -> bool {
    matches!(f, Func::StringLength | Func::Number | Func::String | Func::NormalizeSpace)
}

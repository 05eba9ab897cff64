//! One engine for the expressions of ODK forms (XLSForm's `relevant`, `constraint`, `calculation`,
//! `choice_filter`…): ODK's XPath subset, parsed once when a survey loads and evaluated by the respondent app and
//! by the server alike.
//!
//! Semantics follow Enketo's openrosa-xpath-evaluator, which a differential test runs against generated
//! expressions (scripts/xpath-diff.sh): XPath 1.0 node-set comparisons, `number('')` is NaN, dates are days since
//! 1970-01-01 when they meet numbers, numbers print as JavaScript prints them. Evaluation is three-valued: an
//! answer the [`Env`] does not know makes the result `None` unless the rest decides it.
//!
//! Where the engine departs from Enketo, on purpose: text that is not an ISO date is not a date (Enketo asks the
//! browser's lenient parser, for which '5 Jan 2024' and ' 12 ' are dates); local time is read as UTC and printed
//! with the offset `-00:00`; `%b` and `%a` are English; an unknown `format-date()` code is kept as written (Enketo
//! throws); hexadecimal text is not a number; it parses `current()/../x` and a unary minus before any value, which
//! Enketo's evaluator does not, and it does not share that evaluator's failures on chained comparisons and on
//! `and`/`or` inside function arguments. `jr:choice-name()` asks the [`Env`] (Enketo's form engine, not its
//! evaluator, provides it). Paths select one question, never a node-set of several.

mod ast;
mod date;
mod date_fn;
mod env;
mod eval;
mod func;
mod lex;
mod num;
mod ops;
mod parse;
mod regex;
mod text_fn;
mod value;

pub use ast::ExprError;
pub use env::{Env, MapEnv};
pub use regex::check_regex;
pub use value::Value;

/// A compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    tree: ast::Tree,
}

impl Expr {
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        parse::parse(src).map(|tree| Expr { tree })
    }

    /// Every question it reads (`${name}` or a path to it), once each, in order of appearance.
    pub fn refs(&self) -> Vec<&str> {
        self.tree.refs.iter().map(|r| &**r).collect()
    }

    /// Whether it reads `.` (or `current()`, or a function such as `string-length()` that reads it by default).
    pub fn reads_current(&self) -> bool {
        self.tree.reads_current
    }

    /// The bare relative names it reads: columns of the choice being filtered.
    pub fn columns(&self) -> Vec<&str> {
        self.tree.columns.iter().map(|r| &**r).collect()
    }

    /// Whether its value depends on when it is computed (`today()`, `now()`).
    pub fn reads_clock(&self) -> bool {
        let clock = |n: &ast::Node| matches!(n, ast::Node::Call(ast::Func::Today | ast::Func::Now, _));
        self.tree.nodes.iter().any(clock)
    }

    /// The literal patterns passed to `regex()`, for survey validation to hold against [`check_regex`].
    pub fn regexes(&self) -> Vec<&str> {
        self.tree.regexes.iter().map(|r| &**r).collect()
    }

    /// The result, or `None` when it depends on an answer the env does not know.
    pub fn eval(&self, env: &dyn Env) -> Option<Value> {
        let root = self.tree.nodes.len().checked_sub(1)?;
        eval::eval(&self.tree, root as ast::Ix, env)
    }

    /// XPath boolean() of the result.
    pub fn eval_bool(&self, env: &dyn Env) -> Option<bool> {
        self.eval(env).map(|v| v.to_bool())
    }

    /// XPath string() of the result.
    pub fn eval_string(&self, env: &dyn Env) -> Option<String> {
        self.eval(env).map(|v| v.to_str())
    }
}

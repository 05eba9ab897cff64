//! The expression engine (`quire_shared::expr`): each function, ODK's semantics for empty answers, coercion and
//! dates, three-valued evaluation, what a compiled expression reports it reads, and parse errors with their offsets.
//! scripts/xpath-diff.sh holds the engine against Enketo's evaluator on thousands of generated expressions.
#![allow(clippy::unwrap_used)]

use quire_shared::expr::{Env, Expr, MapEnv, Value};

fn env() -> MapEnv {
    let mut env = MapEnv::new([
        ("name", "Ada"),
        ("age", "36"),
        ("empty", ""),
        ("multi", "a b c"),
        ("one", "b"),
        ("born", "1990-06-15"),
        ("visit", "2024-03-10"),
        ("at", "2024-01-05T10:30:00.000+02:00"),
        ("price", "2.5"),
        ("mod", "4"),
        ("state", "kano"),
    ]);
    env.current = Some("42".into());
    env.columns.insert("state".into(), "kano".into());
    env.labels.insert(("one".into(), "b".into()), "Bee".into());
    env
}

#[track_caller]
fn s(src: &str) -> String {
    Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}")).eval_string(&env()).unwrap()
}

#[track_caller]
fn b(src: &str) -> bool {
    Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}")).eval_bool(&env()).unwrap()
}

#[track_caller]
fn error(src: &str) -> (usize, String) {
    let e = Expr::parse(src).unwrap_err();
    (e.at, e.message)
}

#[test]
fn arithmetic_and_number_printing() {
    assert_eq!(s("1 + 2 * 3"), "7");
    assert_eq!(s("(1 + 2) * 3"), "9");
    assert_eq!(s("7 div 2"), "3.5");
    assert_eq!(s("7 mod 3"), "1");
    assert_eq!(s("-7 mod 3"), "-1");
    assert_eq!(s("1 div 0"), "Infinity");
    assert_eq!(s("-1 div 0"), "-Infinity");
    assert_eq!(s("0 div 0"), "NaN");
    assert_eq!(s("0.1 + 0.2"), "0.30000000000000004");
    assert_eq!(s("1000000 * 1000000 * 1000000 * 1000"), "1e+21");
    assert_eq!(s("1 div 10000000"), "1e-7");
    assert_eq!(s("- ${age}"), "-36");
    assert_eq!(s("${age} - -4"), "40");
    assert_eq!(s("${mod} mod 3"), "1");
    assert_eq!(s("${price} * 2"), "5");
}

#[test]
fn empty_answers() {
    assert!(b("${empty} = ''"));
    assert_eq!(s("${empty} + 1"), "NaN");
    assert_eq!(s("number(${empty})"), "NaN");
    assert!(!b("${empty} > 0") && !b("${empty} <= 0"));
    assert!(b("${empty} != 0"));
    // A node exists even when empty: boolean() of a node-set is whether it has nodes.
    assert!(b("boolean(${empty})"));
    assert!(!b("boolean(string(${empty}))"));
    assert!(b("${empty} = true()"));
    assert_eq!(s("coalesce(${empty}, 'x')"), "x");
    assert_eq!(s("coalesce(${name}, 'x')"), "Ada");
}

#[test]
fn comparisons_follow_xpath_1() {
    assert!(b("${age} = 36") && b("${age} = '36'") && b("${age} = 36.0"));
    assert!(!b("${age} = '36.0'"));
    assert!(b("${age} > 4"));
    assert!(!b("${age} > '4' and '36' > '4' and false()"));
    assert!(b("'abc' = 'abc'") && b("'abc' != 'abd'"));
    assert!(!b("'10' < '9'") && b("'10' > '9'"));
    assert!(b("true() = 'x'") && b("false() = ''") && b("1 = true()"));
    assert!(b("${name} = ${name}"));
    assert!(b("'a' and 1") && !b("'' or 0") && !b("0 div 0 or false()"));
    assert!(b("not(false())") && !b("not(${empty})"));
}

#[test]
fn selects() {
    assert!(b("selected(${multi}, 'b')") && !b("selected(${multi}, 'd')"));
    assert!(b("selected(${multi}, ' c ')"));
    assert_eq!(s("count-selected(${multi})"), "3");
    assert_eq!(s("count-selected(${empty})"), "0");
    assert_eq!(s("selected-at(${multi}, 1)"), "b");
    assert_eq!(s("selected-at(${multi}, 5)"), "");
    assert_eq!(s("jr:choice-name(${one}, '${one}')"), "Bee");
    assert_eq!(s("jr:choice-name('b', '/data/one')"), "Bee");
    assert_eq!(Expr::parse("jr:choice-name('z', '${one}')").unwrap().eval(&env()), None);
}

#[test]
fn strings() {
    assert_eq!(s("concat(${name}, ' is ', ${age})"), "Ada is 36");
    assert_eq!(s("concat()"), "");
    assert_eq!(s("string-length(${name})"), "3");
    assert_eq!(s("string-length('café')"), "4");
    assert_eq!(s("string-length()"), "2");
    assert_eq!(s("substr('abcdef', 2)"), "cdef");
    assert_eq!(s("substr('abcdef', 1, 3)"), "bc");
    assert_eq!(s("substr('abcdef', -2)"), "ef");
    assert_eq!(s("substring('12345', 1.5, 2.6)"), "234");
    assert_eq!(s("substring('12345', 0, 3)"), "12");
    assert!(b("contains(${name}, 'd')") && b("starts-with(${name}, 'A')") && b("ends-with(${name}, 'a')"));
    assert_eq!(s("substring-before('a-b', '-')"), "a");
    assert_eq!(s("substring-after('a-b', '-')"), "b");
    assert_eq!(s("normalize-space('  a   b ')"), "a b");
    assert_eq!(s("translate('abcabc', 'ab', 'A')"), "AcAc");
    assert_eq!(s("join('-', 'a', ${age})"), "a-36");
    assert_eq!(s("string(1.50)"), "1.5");
    assert_eq!(s("string(true())"), "true");
    assert!(b("regex(${name}, '^[A-Z][a-z]+$')") && !b("regex('abc', '^b')") && b("regex('abc', 'b')"));
    assert_eq!(s("once('x')"), "42");
    // Typographic quotes, as spreadsheet programs type them.
    assert_eq!(s("concat(\u{2018}a\u{2019}, \u{201C}b\u{201D})"), "ab");
}

#[test]
fn numbers() {
    assert_eq!(s("round(2.5)"), "3");
    assert_eq!(s("round(-2.5)"), "-3");
    assert_eq!(s("round(1.2345, 2)"), "1.23");
    assert_eq!(s("round(1250, -2)"), "1300");
    assert_eq!(s("int(-3.7)"), "-3");
    assert_eq!(s("int(3.7)"), "3");
    assert_eq!(s("number('  12 ')"), "12");
    assert_eq!(s("number('abc')"), "NaN");
    assert_eq!(s("number()"), "42");
    assert_eq!(s("floor(-1.5)"), "-2");
    assert_eq!(s("ceiling(1.2)"), "2");
    assert_eq!(s("abs(-4)"), "4");
    assert_eq!(s("pow(2, 10)"), "1024");
    assert_eq!(s("max(1, ${age}, 3)"), "36");
    assert_eq!(s("min(1, ${empty})"), "NaN");
    assert_eq!(s("if(${age} > 18, 'adult', 'minor')"), "adult");
    assert!(b("true()") && !b("false()") && b("boolean(1)") && !b("boolean(0)"));
}

#[test]
fn dates() {
    assert_eq!(s("today()"), "2024-03-15");
    assert_eq!(s("now()"), "2024-03-15T10:30:00.000-00:00");
    assert_eq!(s("today() - ${visit}"), "5");
    assert!(b("${visit} < today()") && b("${born} < ${visit}") && b("today() > '2024-03-14'"));
    assert_eq!(s("date('2024-01-01') + 1"), "19724");
    assert_eq!(s("date(19724)"), "2024-01-02");
    assert_eq!(s("date(0.5)"), "1970-01-01T12:00:00.000-00:00");
    assert_eq!(s("date('')"), "");
    assert_eq!(s("date('2024-1-5')"), "2024-01-05");
    assert_eq!(s("number(${visit})"), "19792");
    assert_eq!(s("decimal-date-time(${at})"), "19727.354166666668");
    assert_eq!(s("decimal-date-time('1970-01-02')"), "1");
    assert_eq!(s("format-date(${visit}, '%Y-%m-%d %e %n %b %a')"), "2024-03-10 10 3 Mar Sun");
    assert_eq!(s("format-date-time(${at}, '%H:%M:%S.%3 %h %y')"), "08:30:00.000 8 24");
    assert_eq!(s("format-date(${empty}, '%Y')"), "");
    assert_eq!(s("int((today() - ${born}) div 365.25)"), "33");
    // today() is the respondent's date: late on the 15th at UTC-5 is already the 16th in UTC.
    let mut late = env();
    late.now = time::macros::datetime!(2024-03-15 23:30:00 -5);
    let today = Expr::parse("today()").unwrap();
    assert_eq!(today.eval_string(&late).unwrap(), "2024-03-15");
    assert_eq!(Expr::parse("now()").unwrap().eval_string(&late).unwrap(), "2024-03-15T23:30:00.000-00:00");
}

#[test]
fn paths_mean_questions() {
    for src in ["${age}", "/data/age", "/anyroot/group/age", "../age", "current()/../age", "../../age"] {
        let e = Expr::parse(src).unwrap();
        assert_eq!(e.refs(), ["age"], "{src}");
        assert_eq!(e.eval_string(&env()).unwrap(), "36", "{src}");
    }
    let e = Expr::parse(". > 10 and . < ${age} + ${age} or ${name} = 'x'").unwrap();
    assert_eq!(e.refs(), ["age", "name"]);
    assert!(e.reads_current());
    assert!(e.eval_bool(&env()).unwrap());
    let filter = Expr::parse("state = ${state}").unwrap();
    assert_eq!(filter.columns(), ["state"]);
    assert_eq!(filter.refs(), ["state"]);
    assert!(!filter.reads_current());
    assert!(filter.eval_bool(&env()).unwrap());
    assert!(Expr::parse("current()").unwrap().reads_current());
    assert!(Expr::parse("string-length() < 3").unwrap().reads_current());
    let e = Expr::parse("regex(., '^a') and regex(${x}, '(')").unwrap();
    assert_eq!(e.regexes(), ["^a", "("]);
    assert!(quire_shared::expr::check_regex("^a").is_ok());
    assert!(quire_shared::expr::check_regex("(").unwrap_err().contains("does not compile"));
}

/// `None` is "depends on an answer this side does not know"; decided results stay decided.
#[test]
fn unknown_answers() {
    let e = env();
    let eval = |src: &str| Expr::parse(src).unwrap().eval(&e);
    assert_eq!(eval("${unknown} + 1"), None);
    assert_eq!(eval("false() and ${unknown}"), Some(Value::Bool(false)));
    assert_eq!(eval("${unknown} and false()"), Some(Value::Bool(false)));
    assert_eq!(eval("${unknown} or true()"), Some(Value::Bool(true)));
    assert_eq!(eval("${unknown} or false()"), None);
    assert_eq!(eval("if(${age} > 1, 'a', ${unknown})"), Some(Value::Str("a".into())));
    assert_eq!(eval("if(${unknown}, 'a', 'a')"), Some(Value::Str("a".into())));
    assert_eq!(eval("if(${unknown}, 'a', 'b')"), None);
    assert_eq!(eval("coalesce(${name}, ${unknown})"), Some(Value::Str("Ada".into())));
    assert_eq!(eval("coalesce(${empty}, ${unknown})"), None);
    struct Nothing;
    impl Env for Nothing {
        fn get(&self, _: &str) -> Option<String> {
            None
        }
        fn current(&self) -> Option<String> {
            None
        }
        fn column(&self, _: &str) -> Option<String> {
            None
        }
        fn choice_label(&self, _: &str, _: &str) -> Option<String> {
            None
        }
        fn now(&self) -> time::OffsetDateTime {
            time::OffsetDateTime::UNIX_EPOCH
        }
    }
    assert_eq!(Expr::parse(". > 3").unwrap().eval(&Nothing), None);
    assert_eq!(Expr::parse("1 + 1").unwrap().eval_string(&Nothing).as_deref(), Some("2"));
}

#[test]
fn operator_names_are_operators_only_between_values() {
    assert_eq!(s("${mod} mod ${mod}"), "0");
    assert_eq!(s("4 div 2 div 2"), "1");
    assert!(b("true() and not(false()) or false()"));
    assert_eq!(s("concat(and, 'x')"), "x");
}

#[test]
fn parse_errors_say_what_and_where() {
    assert_eq!(error("foo(1)"), (0, "unknown function `foo()`".into()));
    assert_eq!(error("if(1, 2"), (7, "expected `)` after the arguments of `if()`".into()));
    assert_eq!(error("1 + if(1, 2)"), (4, "`if()` takes 3 arguments, not 2".into()));
    assert_eq!(error("1 +"), (3, "expected a value, found the end of the expression".into()));
    assert_eq!(error("(1 + 2"), (6, "expected `)` to close the `(` at character 1".into()));
    assert_eq!(error("'abc"), (0, "this text has no closing '".into()));
    assert_eq!(error("${a"), (0, "`${` has no closing `}`".into()));
    assert_eq!(error("1 2"), (2, "expected an operator or the end, found the number `2`".into()));
    assert_eq!(error("a | b").0, 2);
    assert_eq!(error("é + #").0, 4);
    assert_eq!(error("").1, "the expression is empty");
    // Deep nesting is refused rather than overflowing the stack (surveys come from outside).
    assert_eq!(error(&format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000))).1, "the expression nests too deeply");
    assert_eq!(error(&format!("{}1", "- ".repeat(100_000))).1, "the expression nests too deeply");
    assert_eq!(error(&"1 + ".repeat(100_000)).1, "the expression nests too deeply");
    assert_eq!(s(&format!("{}1{}", "(".repeat(150), ")".repeat(150))), "1");
    let e = Expr::parse("1 + if(1, 2)").unwrap_err();
    assert_eq!(e.to_string(), "`if()` takes 3 arguments, not 2 (at character 5)");
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of expressions, so that random strings often parse and reach the evaluator.
    const PIECES: &[&str] = &[
        "${age}",
        "${name}",
        "${born}",
        "${multi}",
        "${empty}",
        ".",
        "..",
        "/",
        "(",
        ")",
        ",",
        " ",
        "'x'",
        "'2024-01-05'",
        "1",
        "-",
        "+",
        "*",
        " div ",
        " mod ",
        " and ",
        " or ",
        "=",
        "!=",
        "<",
        ">=",
        "0.5",
        "if(",
        "concat(",
        "date(",
        "format-date(",
        "'%Y %b %e %3'",
        "substr(",
        "substring(",
        "round(",
        "int(",
        "number(",
        "string(",
        "today()",
        "decimal-date-time(",
        "selected(",
        "translate(",
        "1 div 0",
        "9e999",
        "\u{2019}",
        "é",
        "$",
        "{",
        "}",
    ];

    proptest! {
        #[test]
        fn parse_and_eval_never_panic(raw in ".{0,40}", picks in prop::collection::vec(0..PIECES.len(), 0..24)) {
            let built: String = picks.iter().map(|&i| PIECES[i]).collect();
            for src in [raw, built] {
                match Expr::parse(&src) {
                    Ok(e) => {
                        let _ = e.eval_string(&env());
                        let _ = e.eval_bool(&env());
                    }
                    Err(err) => prop_assert!(err.at <= src.chars().count(), "{src}: {err}"),
                }
            }
        }
    }
}

//! Random expressions over random answers, with the Rust engine's results, for the differential test against
//! Enketo's openrosa-xpath-evaluator (e2e/tests/xpath-diff.spec.ts; scripts/xpath-diff.sh runs both).
//!
//! `cargo run -p quire-shared --example expr_cases -- --seed 7 --count 3000 > cases.json`
//!
//! Expressions are written as Enketo's tokenizer needs them: spaces around binary operators, a `-` sign only on a
//! number literal, no quotes inside strings. today() and now() are left out (the two sides' clocks differ), and
//! jr:choice-name() too (Enketo's evaluator does not have it; Enketo's form engine supplies it).

use quire_shared::expr::{Expr, MapEnv};
use serde_json::{json, Map, Value as Json};

/// The questions, each with the answers it may hold.
const QUESTIONS: &[(&str, &[&str])] = &[
    ("t1", &["", "abc", "hello world", "Ab", "x", "a b", "café", "ABC", " padded "]),
    // Text that JavaScript reads as a number in its own ways (exponent, Infinity, leading zeros, -0).
    ("t2", &["", "abc", "b", "xyz", "hello", "A-B", "1e3", "Infinity", "12abc", "007", "1.50", "-0"]),
    ("n1", &["", "0", "1", "-1", "2.5", "10", "-3.75", "100", "0.1", "7", "12"]),
    ("n2", &["", "0", "3", "-2", "0.5", "1.005", "42", "1000000", "6"]),
    ("d1", &["", "2024-01-05", "2023-12-31", "2000-02-29", "1999-07-14", "2024-03-15", "1970-01-01"]),
    ("d2", &["", "2024-01-31", "2024-02-29", "2010-10-10", "1969-12-31"]),
    ("dt", &["", "2024-01-05T10:30:00.000+00:00", "2023-06-01T23:59:59.000Z", "2024-01-05T10:30:00.000+02:00"]),
    ("m1", &["", "a", "a b", "b c", "a b c", "c"]),
    ("s1", &["", "a", "b", "yes", "no"]),
];

const STRINGS: &[&str] = &["", "a", "abc", "b", "x y", "yes", "2024-01-05", "12", "1.5", "-4", "A", " a "];
const PATTERNS: &[&str] = &["^a", "b$", "^[a-z]+$", "[0-9]", "^\\d+$", "a|b", "^.{3}$", "\\s", "^$", "l+o"];
const FORMATS: &[&str] = &["%Y-%m-%d", "%e %b %Y", "%d/%m/%y", "%n", "%a", "%H:%M:%S", "%h %3", "%Y%%"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: enough for test data, and no dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

struct Gen {
    rng: Rng,
    /// The answers of the case being generated.
    env: MapEnv,
}

impl Gen {
    /// A reference to a question of one of `kinds` (name prefixes), written one of the ways forms write it.
    fn question(&mut self, kinds: &[&str]) -> String {
        let kind = self.rng.pick(kinds);
        let names: Vec<&str> = QUESTIONS.iter().map(|q| q.0).filter(|n| n.starts_with(kind)).collect();
        let name = self.rng.pick(&names);
        match self.rng.below(10) {
            0 => format!("/data/{name}"),
            1 => format!("../{name}"),
            _ => format!("${{{name}}}"),
        }
    }

    fn literal_num(&mut self) -> String {
        self.rng
            .pick(&["0", "1", "2", "3", "-1", "0.5", "2.5", "-2.5", "10", "1.005", "100", "7", "-0.5", "1.45"])
            .into()
    }

    fn num(&mut self, depth: u32) -> String {
        if depth == 0 {
            return match self.rng.below(3) {
                0 => self.literal_num(),
                _ => self.question(&["n", "n", "d", "t"]),
            };
        }
        let d = depth - 1;
        match self.rng.below(22) {
            0..=4 => {
                let op = self.rng.pick(&["+", "-", "*", "div", "mod"]);
                format!("{} {op} {}", self.num(d), self.num(d))
            }
            5 => format!("({})", self.num(d)),
            6 => format!("count-selected({})", self.question(&["m", "s"])),
            7 => format!("string-length({})", self.str(d)),
            8 => format!("int({})", self.num(d)),
            9 => format!("round({})", self.num(d)),
            10 => format!("round({}, {})", self.num(d), self.rng.pick(&["0", "1", "2", "-1"])),
            11 => format!("number({})", self.any(d)),
            12 => format!("{}({})", self.rng.pick(&["floor", "ceiling", "abs"]), self.num(d)),
            13 => format!("decimal-date-time({})", self.question(&["d", "dt"])),
            14 => format!("{} - {}", self.question(&["d"]), self.question(&["d"])),
            15 => format!("date({}) + {}", self.question(&["d"]), self.literal_num()),
            16 => format!("{}({}, {})", self.rng.pick(&["max", "min"]), self.num(d), self.num(d)),
            17 => format!("if({}, {}, {})", self.boolean(d), self.num(d), self.num(d)),
            18 => format!("pow({}, {})", self.literal_num(), self.rng.pick(&["0", "1", "2", "3"])),
            19 => self.rng.pick(&["string-length()", "number()"]).into(),
            _ => self.num(0),
        }
    }

    fn str(&mut self, depth: u32) -> String {
        if depth == 0 {
            return match self.rng.below(3) {
                0 => format!("'{}'", self.rng.pick(STRINGS)),
                _ => self.question(&["t", "s", "m", "n", "d"]),
            };
        }
        let d = depth - 1;
        match self.rng.below(22) {
            0 => format!("concat({}, {})", self.str(d), self.any(d)),
            1 => format!("concat({}, '-', {}, {})", self.any(d), self.any(d), self.any(d)),
            2 => format!("substr({}, {})", self.str(d), self.rng.pick(&["0", "1", "2", "-2", "10"])),
            3 => format!(
                "substr({}, {}, {})",
                self.str(d),
                self.rng.pick(&["0", "1", "-3"]),
                self.rng.pick(&["1", "3", "-1", "20"])
            ),
            4 => format!("coalesce({}, {})", self.str(d), self.str(d)),
            5 => format!("if({}, {}, {})", self.boolean(d), self.str(d), self.str(d)),
            6 => format!("string({})", self.num(d)),
            7 => format!("format-date({}, '{}')", self.question(&["d", "dt", "n"]), self.rng.pick(FORMATS)),
            8 => format!("format-date(date({}), '{}')", self.num(d), self.rng.pick(FORMATS)),
            9 => format!("substring-before({}, {})", self.str(d), self.rng.pick(&["' '", "'b'", "''"])),
            10 => format!("substring-after({}, {})", self.str(d), self.rng.pick(&["' '", "'b'", "''"])),
            11 => format!("normalize-space({})", self.str(d)),
            12 => format!("translate({}, 'abc', 'AB')", self.str(d)),
            13 => format!("join(' ', {}, {})", self.str(d), self.any(d)),
            14 => format!("selected-at({}, {})", self.question(&["m"]), self.rng.pick(&["0", "1", "2", "-1"])),
            15 => format!("string(date({}))", self.question(&["d", "dt", "n"])),
            16 => format!("substring({}, {})", self.str(d), self.rng.pick(&["0", "1", "1.5", "3", "-1"])),
            17 => format!(
                "substring({}, {}, {})",
                self.str(d),
                self.rng.pick(&["0", "1", "2"]),
                self.rng.pick(&["1", "2", "2.6"])
            ),
            18 => format!("once({})", self.str(d)),
            19 => self.rng.pick(&["string()", "normalize-space()"]).into(),
            _ => self.str(0),
        }
    }

    fn boolean(&mut self, depth: u32) -> String {
        if depth == 0 {
            return match self.rng.below(4) {
                0 => self.rng.pick(&["true()", "false()"]).into(),
                1 => format!(
                    "selected({}, '{}')",
                    self.question(&["m", "s"]),
                    self.rng.pick(&["a", "b", "c", "yes", ""])
                ),
                _ => {
                    let op = self.rng.pick(&["=", "!=", "<", "<=", ">", ">="]);
                    format!("{} {op} {}", self.any(0), self.any(0))
                }
            };
        }
        let d = depth - 1;
        match self.rng.below(14) {
            0..=2 => {
                let op = self.rng.pick(&["=", "!=", "<", "<=", ">", ">="]);
                let (mut l, mut r) = (self.any(d), self.any(d));
                // Against a date value, Enketo reads other text with the browser's lenient Date parser ('5 Jan
                // 2024' is a date there, NaN here): the other side is an answer or a number.
                if l.starts_with("date(") {
                    r = self.num(d);
                } else if r.starts_with("date(") {
                    l = self.question(&["t", "n", "d", "dt", "m", "s"]);
                }
                format!("{} {op} {}", paren(l, COMPARISONS), paren(r, COMPARISONS))
            }
            3 | 4 => {
                let (l, op) = (paren(self.boolean(d), LOGIC), self.rng.pick(&["and", "or"]));
                // Enketo throws on a function whose arguments compare a literal with a path on the side of
                // `and`/`or` it skips (the path yields nothing, the literal meets undefined): a skipped side is
                // kept simple.
                let skipped = Expr::parse(&l).ok().and_then(|e| e.eval_bool(&self.env)) == Some(op == "or");
                let r = if skipped { self.boolean(0) } else { self.boolean(d) };
                format!("{l} {op} {}", paren(r, LOGIC))
            }
            5 => format!("not({})", self.any(d)),
            6 => format!("regex({}, '{}')", self.str(d), self.rng.pick(PATTERNS)),
            7 => format!(
                "{}({}, {})",
                self.rng.pick(&["contains", "starts-with", "ends-with"]),
                self.str(d),
                self.str(0)
            ),
            8 => format!("boolean({})", self.any(d)),
            9 => format!("({})", self.boolean(d)),
            10 => format!(
                "{} {} {}",
                self.question(&["d"]),
                self.rng.pick(&["<", ">=", "="]),
                self.question(&["d", "dt"])
            ),
            _ => self.boolean(0),
        }
    }

    fn any(&mut self, depth: u32) -> String {
        match self.rng.below(9) {
            0 | 1 => self.num(depth),
            2 | 3 => self.str(depth),
            // Enketo fails on `f(x, true() or y)` ("Weird args"): an `and`/`or` as an argument goes in parentheses.
            4 => paren(self.boolean(depth), LOGIC),
            5 => ".".into(),
            // A date value meets whatever the other side is: strings, numbers, nodes, booleans.
            6 => format!("date({})", self.question(&["d", "d", "dt", "n"])),
            _ => self.question(&["t", "n", "d", "dt", "m", "s"]),
        }
    }
}

const LOGIC: &[&str] = &[" and ", " or "];
const COMPARISONS: &[&str] = &[" and ", " or ", " = ", " != ", " < ", " <= ", " > ", " >= "];

/// Parentheses around an operand that has one of `ops` outside parentheses. Enketo's tokenizer fails on chained
/// comparisons (`a < b > c`) and on some chains that mix `and` and `or` ("Too many tokens"): valid XPath that its
/// bugs, not the engine, would fail.
fn paren(s: String, ops: &[&str]) -> String {
    let (mut depth, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ' ' if !quoted && depth == 0 && ops.iter().any(|op| s[i..].starts_with(op)) => return format!("({s})"),
            _ => {}
        }
    }
    s
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = arg(&args, "--seed", 7);
    let count = arg(&args, "--count", 2000);
    let mut g = Gen { rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1), env: MapEnv::new([]) };
    let mut cases = Vec::new();
    for _ in 0..count {
        let mut env = MapEnv::new([]);
        let mut answers = Map::new();
        for (name, values) in QUESTIONS {
            let v = g.rng.pick(values);
            env.answers.insert((*name).to_string(), v.to_string());
            answers.insert((*name).to_string(), json!(v));
        }
        let current = g.rng.pick(&["", "abc", "5", "2024-01-05", "a b"]);
        env.current = Some(current.to_string());
        g.env = env;
        let depth = 1 + g.rng.below(3) as u32;
        let src = match g.rng.below(3) {
            0 => g.boolean(depth),
            1 => g.num(depth),
            _ => g.str(depth),
        };
        let expr = Expr::parse(&src).unwrap_or_else(|e| panic!("generated `{src}` does not parse: {e}"));
        cases.push(json!({
            "expr": src,
            "answers": answers,
            "current": current,
            "rust": expr.eval_string(&g.env),
            "rust_bool": expr.eval_bool(&g.env),
        }));
    }
    println!("{}", Json::Array(cases));
}

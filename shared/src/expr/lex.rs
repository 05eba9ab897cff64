//! The lexer: source text to tokens, each with the character offset where it starts.
//!
//! Typographic quotes count as ASCII ones because spreadsheet programs put them in forms and pyxform accepts them.
//! `and`, `or`, `div` and `mod` come out as names: only the parser knows whether they stand where an operator may.

use super::ast::{err, BinOp, ExprError};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Name(String),
    Dot,
    DotDot,
    Slash,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
    Eof,
}

impl Tok {
    /// The token in words, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("the number `{n}`"),
            Tok::Str(s) => format!("the text '{s}'"),
            Tok::Ref(n) => format!("`${{{n}}}`"),
            Tok::Name(n) => format!("`{n}`"),
            Tok::Dot => "`.`".into(),
            Tok::DotDot => "`..`".into(),
            Tok::Slash => "`/`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Op(op) => format!("`{op}`"),
            Tok::Eof => "the end of the expression".into(),
        }
    }

    /// The binary operator this token is where an operator may stand (`and`, `or`, `div` and `mod` are names).
    pub fn binop(&self) -> Option<BinOp> {
        Some(match self {
            Tok::Op("=") => BinOp::Eq,
            Tok::Op("!=") => BinOp::Ne,
            Tok::Op("<") => BinOp::Lt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("+") => BinOp::Add,
            Tok::Op("-") => BinOp::Sub,
            Tok::Op("*") => BinOp::Mul,
            Tok::Name(n) if n == "and" => BinOp::And,
            Tok::Name(n) if n == "or" => BinOp::Or,
            Tok::Name(n) if n == "div" => BinOp::Div,
            Tok::Name(n) if n == "mod" => BinOp::Mod,
            _ => return None,
        })
    }
}

pub fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let chars: Vec<char> = src.chars().map(ascii_quote).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let next = chars.get(i + 1).copied();
        let tok = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '\'' | '"' => {
                let end = find(&chars, i + 1, |d| d == c)
                    .ok_or_else(|| ExprError { at: i, message: format!("this text has no closing {c}") })?;
                i = end + 1;
                Tok::Str(chars[start + 1..end].iter().collect())
            }
            '$' => {
                if next != Some('{') {
                    return err(i, "expected `{` after `$` (a question is written `${name}`)");
                }
                let end = find(&chars, i + 2, |d| d == '}')
                    .ok_or_else(|| ExprError { at: i, message: "`${` has no closing `}`".into() })?;
                let name: String = chars[i + 2..end].iter().collect();
                if name.is_empty() || !name.chars().all(name_char) {
                    return err(i, format!("`${{{name}}}` is not a question name"));
                }
                i = end + 1;
                Tok::Ref(name)
            }
            '0'..='9' => number(&chars, &mut i)?,
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => number(&chars, &mut i)?,
            '.' if next == Some('.') => {
                i += 2;
                Tok::DotDot
            }
            '.' => {
                i += 1;
                Tok::Dot
            }
            c if name_start(c) => {
                let end = find(&chars, i, |d| !name_char(d)).unwrap_or(chars.len());
                i = end;
                Tok::Name(chars[start..end].iter().collect())
            }
            _ => punct(&chars, &mut i)?,
        };
        out.push((tok, start));
    }
    out.push((Tok::Eof, chars.len()));
    Ok(out)
}

fn punct(chars: &[char], i: &mut usize) -> Result<Tok, ExprError> {
    let c = chars[*i];
    let eq_next = chars.get(*i + 1) == Some(&'=');
    let (tok, len) = match c {
        '/' => (Tok::Slash, 1),
        '(' => (Tok::LParen, 1),
        ')' => (Tok::RParen, 1),
        ',' => (Tok::Comma, 1),
        '=' => (Tok::Op("="), 1),
        '!' if eq_next => (Tok::Op("!="), 2),
        '<' if eq_next => (Tok::Op("<="), 2),
        '>' if eq_next => (Tok::Op(">="), 2),
        '<' => (Tok::Op("<"), 1),
        '>' => (Tok::Op(">"), 1),
        '+' => (Tok::Op("+"), 1),
        '-' => (Tok::Op("-"), 1),
        '*' => (Tok::Op("*"), 1),
        '|' => (Tok::Op("|"), 1),
        '!' => return err(*i, "`!` must be followed by `=` (use not() to negate)"),
        _ => return err(*i, format!("unexpected character `{c}`")),
    };
    *i += len;
    Ok(tok)
}

fn number(chars: &[char], i: &mut usize) -> Result<Tok, ExprError> {
    let start = *i;
    let mut end = find(chars, start, |d| !d.is_ascii_digit()).unwrap_or(chars.len());
    if chars.get(end) == Some(&'.') {
        end = find(chars, end + 1, |d| !d.is_ascii_digit()).unwrap_or(chars.len());
    }
    *i = end;
    let text: String = chars[start..end].iter().collect();
    match text.parse::<f64>() {
        Ok(n) => Ok(Tok::Num(n)),
        Err(_) => err(start, format!("`{text}` is not a number")),
    }
}

fn find(chars: &[char], from: usize, pred: impl Fn(char) -> bool) -> Option<usize> {
    (from..chars.len()).find(|&j| pred(chars[j]))
}

/// XML name characters, with `:` for prefixes such as `jr:`. Any non-ASCII character counts (XML allows most),
/// which spares the respondent bundle Unicode's tables.
fn name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn name_char(c: char) -> bool {
    name_start(c) || c.is_ascii_digit() || matches!(c, '-' | '.' | ':')
}

fn ascii_quote(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' => '\'',
        '\u{201C}' | '\u{201D}' => '"',
        c => c,
    }
}

//! The parser: tokens to a [`Tree`], by precedence climbing over XPath 1.0's operator table.
//!
//! Paths are reduced to what a form can mean by them: a path ending in a name is that question (`/data/g/name`,
//! `../name`, `current()/../name` all read `${name}`), `.` and `current()` are the question being checked, and a
//! lone relative name is a column of the choice being filtered.

use super::ast::{err, intern, ExprError, Func, Ix, Node, Tree};
use super::lex::{lex, Tok};

pub fn parse(src: &str) -> Result<Tree, ExprError> {
    let mut p = Parser { toks: lex(src)?, pos: 0, tree: Tree::default(), depths: Vec::new(), nesting: 0 };
    if p.peek() == &Tok::Eof {
        return err(0, "the expression is empty");
    }
    p.expr(0)?;
    if p.peek() != &Tok::Eof {
        return err(p.at(), format!("expected an operator or the end, found {}", Tok::describe(p.peek())));
    }
    Ok(p.tree)
}

/// How deep an expression may nest. The parser and the evaluator recurse, and a survey from outside must not
/// overflow the server's stack; forms nest a few levels.
const MAX_DEPTH: u16 = 200;

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    tree: Tree,
    /// The depth of each node of `tree`.
    depths: Vec<u16>,
    /// How many `expr()`/`unary()` calls are open.
    nesting: u16,
}

enum Step {
    Name(String),
    Dot,
    DotDot,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].0
    }

    fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].0
    }

    fn at(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].1
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.pos += 1;
        tok
    }

    fn push(&mut self, node: Node) -> Result<Ix, ExprError> {
        let depth = |ix: &Ix| self.depths.get(*ix as usize).copied().unwrap_or(0);
        let below = match &node {
            Node::Neg(a) => depth(a),
            Node::Bin(_, l, r) => depth(l).max(depth(r)),
            Node::Call(_, args) => args.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        };
        if below >= MAX_DEPTH {
            return err(self.at(), "the expression nests too deeply");
        }
        self.depths.push(below + 1);
        self.tree.nodes.push(node);
        Ix::try_from(self.tree.nodes.len() - 1).or_else(|_| err(self.at(), "the expression is too long"))
    }

    fn expr(&mut self, min: u8) -> Result<Ix, ExprError> {
        self.enter()?;
        let parsed = self.binary(min);
        self.nesting -= 1;
        parsed
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return err(self.at(), "the expression nests too deeply");
        }
        Ok(())
    }

    fn binary(&mut self, min: u8) -> Result<Ix, ExprError> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek().binop() {
            if op.power() <= min {
                break;
            }
            self.bump();
            let rhs = self.expr(op.power())?;
            lhs = self.push(Node::Bin(op, lhs, rhs))?;
        }
        if self.peek() == &Tok::Op("|") {
            return err(self.at(), "`|` (a union of node-sets) is not supported");
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Ix, ExprError> {
        if self.peek() == &Tok::Op("-") {
            self.bump();
            self.enter()?;
            let operand = self.unary();
            self.nesting -= 1;
            return self.push(Node::Neg(operand?));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ix, ExprError> {
        let at = self.at();
        match self.peek().clone() {
            Tok::Num(n) => {
                self.bump();
                self.push(Node::Num(n))
            }
            Tok::Str(s) => {
                self.bump();
                self.push(Node::Str(s.into()))
            }
            Tok::Ref(name) => {
                self.bump();
                let ix = intern(&mut self.tree.refs, &name, at)?;
                self.push(Node::Ref(ix))
            }
            Tok::LParen => {
                self.bump();
                let inner = self.expr(0)?;
                if self.bump() != Tok::RParen {
                    return err(
                        self.toks[self.pos - 1].1,
                        format!("expected `)` to close the `(` at character {}", at + 1),
                    );
                }
                Ok(inner)
            }
            Tok::Name(name) if self.peek2() == &Tok::LParen => self.call(name, at),
            Tok::Name(_) | Tok::Dot | Tok::DotDot | Tok::Slash => self.path(false, at),
            tok => err(at, format!("expected a value, found {}", Tok::describe(&tok))),
        }
    }

    fn call(&mut self, name: String, at: usize) -> Result<Ix, ExprError> {
        let Some((func, min, max)) = Func::lookup(&name) else {
            return err(at, format!("unknown function `{name}()`"));
        };
        self.bump();
        self.bump();
        let mut args = Vec::new();
        if self.peek() == &Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.expr(0)?);
                match self.bump() {
                    Tok::Comma => {}
                    Tok::RParen => break,
                    _ => {
                        return err(
                            self.toks[self.pos - 1].1,
                            format!("expected `)` after the arguments of `{name}()`"),
                        )
                    }
                }
            }
        }
        if args.len() < min as usize || args.len() > max as usize {
            let want = match (min, max) {
                (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, 255) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
                (a, b) => format!("{a} to {b} arguments"),
            };
            return err(at, format!("`{name}()` takes {want}, not {}", args.len()));
        }
        self.check_args(func, &args);
        if func == Func::Current {
            self.tree.reads_current = true;
            if self.peek() == &Tok::Slash {
                return self.path(true, at);
            }
            return self.push(Node::Current);
        }
        self.push(Node::Call(func, args.into()))
    }

    /// Notes what the arguments read, and the literal patterns of regex() for [`super::Expr::regexes`].
    fn check_args(&mut self, func: Func, args: &[Ix]) {
        let context = matches!(func, Func::StringLength | Func::Number | Func::String | Func::NormalizeSpace);
        if (context && args.is_empty()) || func == Func::Once {
            self.tree.reads_current = true;
        }
        if func != Func::Regex {
            return;
        }
        if let Some(Node::Str(pattern)) = self.tree.nodes.get(args[1] as usize) {
            self.tree.regexes.push(pattern.clone());
        }
    }

    /// A location path; `from_current` when it follows `current()`, whose `/` is next.
    fn path(&mut self, from_current: bool, at: usize) -> Result<Ix, ExprError> {
        let mut absolute = false;
        if !from_current && self.peek() == &Tok::Slash {
            absolute = true;
            self.bump();
        }
        let mut steps = Vec::new();
        if from_current {
            self.bump();
        }
        loop {
            let step_at = self.at();
            match self.bump() {
                Tok::Name(n) if self.peek() != &Tok::LParen => steps.push(Step::Name(n)),
                Tok::Dot => steps.push(Step::Dot),
                Tok::DotDot => steps.push(Step::DotDot),
                tok => return err(step_at, format!("expected a name in this path, found {}", Tok::describe(&tok))),
            }
            if self.peek() != &Tok::Slash {
                break;
            }
            self.bump();
        }
        let only_dots = steps[..steps.len() - 1].iter().all(|s| matches!(s, Step::Dot));
        match steps.last() {
            Some(Step::Name(n)) if !absolute && !from_current && only_dots => {
                let ix = intern(&mut self.tree.columns, n, at)?;
                self.push(Node::Column(ix))
            }
            Some(Step::Name(n)) => {
                let ix = intern(&mut self.tree.refs, n, at)?;
                self.push(Node::Ref(ix))
            }
            Some(Step::Dot) if !absolute && steps.iter().all(|s| matches!(s, Step::Dot)) => {
                self.tree.reads_current = true;
                self.push(Node::Current)
            }
            _ => err(at, "this path must end with a question name"),
        }
    }
}

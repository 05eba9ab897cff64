//! The compiled form of an expression: a flat vector of nodes that refer to each other by index, the functions the
//! engine knows with their arities, and the one error type of the engine.

use std::fmt;

/// An index into [`Tree::nodes`].
pub type Ix = u32;

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Num(f64),
    Str(Box<str>),
    /// `${name}`, `/data/name`, `../name`: an answer, by its index in [`Tree::refs`].
    Ref(u16),
    /// `.` or `current()`: the question being checked.
    Current,
    /// A bare relative name: a column of the choice being filtered, by its index in [`Tree::columns`].
    Column(u16),
    Neg(Ix),
    Bin(BinOp, Ix, Ix),
    Call(Func, Box<[Ix]>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    /// Binding power: higher binds tighter (XPath 1.0 precedence).
    pub fn power(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne => 3,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 6,
        }
    }
}

/// A parsed expression: nodes in post-order (children before parents), so the root is the last one.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub refs: Vec<Box<str>>,
    pub columns: Vec<Box<str>>,
    pub reads_current: bool,
    pub regexes: Vec<Box<str>>,
}

macro_rules! funcs {
    ($($variant:ident $name:literal $min:literal $max:literal),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Func { $($variant),* }

        /// Every function: its XPath name and its least and greatest number of arguments (255: any).
        const FUNCS: &[(&str, Func, u8, u8)] = &[$(($name, Func::$variant, $min, $max)),*];
    };
}

funcs! {
    If "if" 3 3, Coalesce "coalesce" 2 2, Selected "selected" 2 2, CountSelected "count-selected" 1 1,
    SelectedAt "selected-at" 2 2, StringLength "string-length" 0 1, Regex "regex" 2 2, Concat "concat" 0 255,
    Join "join" 1 255, Substr "substr" 2 3, Substring "substring" 2 3, Contains "contains" 2 2,
    StartsWith "starts-with" 2 2, EndsWith "ends-with" 2 2, SubstringBefore "substring-before" 2 2,
    SubstringAfter "substring-after" 2 2, NormalizeSpace "normalize-space" 0 1, Translate "translate" 3 3,
    Round "round" 1 2, Int "int" 1 1, Floor "floor" 1 1, Ceiling "ceiling" 1 1, Abs "abs" 1 1, Pow "pow" 2 2,
    Max "max" 1 255, Min "min" 1 255, Number "number" 0 1, String "string" 0 1, Boolean "boolean" 1 1,
    Not "not" 1 1, True "true" 0 0, False "false" 0 0, Today "today" 0 0, Now "now" 0 0, Date "date" 1 1,
    DateTime "date-time" 1 1, DecimalDateTime "decimal-date-time" 1 1, FormatDate "format-date" 2 2,
    FormatDateTime "format-date-time" 2 2, ChoiceName "jr:choice-name" 2 2, Once "once" 1 1,
    Current "current" 0 0,
}

impl Func {
    pub fn lookup(name: &str) -> Option<(Func, u8, u8)> {
        FUNCS.iter().find(|f| f.0 == name).map(|f| (f.1, f.2, f.3))
    }
}

/// Why an expression does not parse, and where (a character offset in the source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.at + 1)
    }
}

impl std::error::Error for ExprError {}

pub fn err<T>(at: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError { at, message: message.into() })
}

/// The index of `name` in a list of names, added if new: a name read twice is listed once.
pub fn intern(list: &mut Vec<Box<str>>, name: &str, at: usize) -> Result<u16, ExprError> {
    let ix = match list.iter().position(|n| &**n == name) {
        Some(ix) => ix,
        None => {
            list.push(name.into());
            list.len() - 1
        }
    };
    u16::try_from(ix).or_else(|_| err(at, "the expression names too many questions"))
}

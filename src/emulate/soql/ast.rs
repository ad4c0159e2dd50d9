//! The parsed form of a query.

/// A dotted field path (`Account.Owner.Name`), with the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub parts: Vec<String>,
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Field(Path),
    /// `COUNT()`
    Count,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Date(String),
    DateTime(String),
}

/// One character of a LIKE pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum LikePart {
    Char(char),
    /// `%`
    Any,
    /// `_`
    One,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: Path,
        op: CmpOp,
        value: Literal,
        value_pos: usize,
    },
    In {
        field: Path,
        negated: bool,
        values: Vec<Literal>,
        value_pos: usize,
    },
    Like {
        field: Path,
        pattern: Vec<LikePart>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub field: Path,
    pub descending: bool,
    /// `Some(true)` for NULLS FIRST; `None` uses the default (first for ASC, last for DESC).
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub from: String,
    pub from_pos: usize,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

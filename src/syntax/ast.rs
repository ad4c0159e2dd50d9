//! The syntax tree of a `.sfmap` file. Every node carries its byte span.
//!
//! The tree is what the parser saw; names are not resolved and types are not checked (that is
//! `compile`'s job). Comments are kept beside the tree in [`File::comments`] so `fmt` keeps them.

use crate::source::Span;

/// A parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub mappings: Vec<Mapping>,
    /// Every `#` comment, in source order (span covers `#` to end of line).
    pub comments: Vec<Span>,
}

/// A name with its span (`lead_from_identify`, `Lead`, `Email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `mapping lead { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub name: Ident,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

/// One clause in a mapping body.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

/// The clause kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseKind {
    /// `on identify, track("Signed Up") where traits.email exists`
    On(Trigger),
    /// `object Lead`
    Object(Ident),
    /// `upsert match Email = traits.email`
    Operation(Operation),
    /// `fields { LastName = traits.last_name }`
    Fields(Vec<FieldEntry>),
    /// `use classic.lead`
    Use(Preset),
    /// `bulk { batch_size = 5000 }`
    Bulk(Vec<BulkSetting>),
}

/// `on ... [where ...]`
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub events: Vec<EventSpec>,
    pub condition: Option<Expr>,
}

/// `track("Order Completed", "Signed Up")`
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub event_type: EventType,
    pub names: Vec<(String, Span)>,
    pub span: Span,
}

/// The Segment event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Identify,
    Track,
    Group,
    Page,
    Screen,
    Alias,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Identify,
        EventType::Track,
        EventType::Group,
        EventType::Page,
        EventType::Screen,
        EventType::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Identify => "identify",
            EventType::Track => "track",
            EventType::Group => "group",
            EventType::Page => "page",
            EventType::Screen => "screen",
            EventType::Alias => "alias",
        }
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The operation clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub kind: OpKind,
    pub kind_span: Span,
    pub matchers: Vec<Matcher>,
    /// How matchers are joined; `Or` when there is one or none.
    pub join: Join,
    /// `else skip` / `else error`.
    pub on_missing: Option<(OnMissing, Span)>,
}

/// create, add, update, upsert, delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    Create,
    Add,
    Update,
    Upsert,
    Delete,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Add => "add",
            OpKind::Update => "update",
            OpKind::Upsert => "upsert",
            OpKind::Delete => "delete",
        }
    }

    /// Whether the operation may insert a record.
    pub fn may_create(self) -> bool {
        matches!(self, OpKind::Create | OpKind::Add | OpKind::Upsert)
    }

    /// Whether the operation may change an existing record.
    pub fn may_update(self) -> bool {
        matches!(self, OpKind::Update | OpKind::Upsert)
    }
}

/// How several matchers combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Join {
    And,
    Or,
}

/// What update/delete do when no record matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    Skip,
    Error,
}

/// `Email = traits.email`
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub field: Ident,
    pub value: Expr,
}

/// One entry of a `fields` block.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldEntry {
    /// `LastName = traits.last_name`
    Assign {
        field: Ident,
        value: Expr,
        span: Span,
    },
    /// `...traits suffix "__c" except [email, name]`
    Spread(Spread),
}

impl FieldEntry {
    pub fn span(&self) -> Span {
        match self {
            FieldEntry::Assign { span, .. } => *span,
            FieldEntry::Spread(s) => s.span,
        }
    }
}

/// The spread of an object's remaining keys into fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub path: Path,
    pub prefix: Option<(String, Span)>,
    pub suffix: Option<(String, Span)>,
    pub except: Vec<(String, Span)>,
    /// `keep_null`: keys whose value is null are sent as null (clearing the field).
    pub keep_null: Option<Span>,
    pub span: Span,
}

/// `use classic.lead`
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub span: Span,
}

/// `batch_size = 5000`
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSetting {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// Expression kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// `42`, `-1.5` (the source text is kept so `fmt` prints it unchanged)
    Number(String),
    /// `"text"` without interpolation
    String(String),
    /// `"Hello {traits.first_name}"`
    Template(Vec<TemplatePart>),
    /// `["a", "b"]`
    List(Vec<Expr>),
    /// `traits.address.city`
    Path(Path),
    /// `coalesce(a, b)`
    Call { name: Ident, args: Vec<Expr> },
    /// `if c then a else b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `not x`
    Not(Box<Expr>),
    /// `a and b`, `a or b`
    Logic(LogicOp, Box<Expr>, Box<Expr>),
    /// `x exists`
    Exists(Box<Expr>),
    /// `a == b`, `a in [..]`, `a contains b`, ...
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    /// `(expr)`, kept so `fmt` keeps the parentheses
    Paren(Box<Expr>),
}

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

/// `and` / `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogicOp {
    And,
    Or,
}

/// Binary tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::In => "in",
            CompareOp::NotIn => "not in",
            CompareOp::Contains => "contains",
            CompareOp::StartsWith => "starts_with",
            CompareOp::EndsWith => "ends_with",
        }
    }
}

/// A path into the event: `traits."odd key".list[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<PathSegment>,
    pub span: Span,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// `.name` or `."quoted name"` (the first segment is always a key)
    Key { name: String, quoted: bool },
    /// `[0]`
    Index(usize),
}

impl Path {
    /// The root key (`traits` in `traits.email`).
    pub fn root(&self) -> &str {
        match self.segments.first() {
            Some(PathSegment::Key { name, .. }) => name,
            _ => "",
        }
    }
}

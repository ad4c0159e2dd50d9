//! Expression productions, loosest binding first.

use super::Parser;
use super::ast::{CompareOp, Expr, ExprKind, LogicOp, Path, PathSegment};
use super::lexeme::{PResult, RESERVED, fail, is_ident_char};

impl Parser {
    /// `expr = or_expr`
    pub(crate) fn expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("expr");
        self.or_expr(i)
    }

    /// `or_expr = and_expr { "or" and_expr }`
    fn or_expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("or_expr");
        let (mut i, mut left) = self.and_expr(i)?;
        while self.peek_kw(i, "or") {
            let (rest, _) = self.kw(i, "or")?;
            let (rest, right) = self.and_expr(rest).map_err(cut)?;
            left = logic(LogicOp::Or, left, right);
            i = rest;
        }
        Ok((i, left))
    }

    /// `and_expr = not_expr { "and" not_expr }`
    fn and_expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("and_expr");
        let (mut i, mut left) = self.not_expr(i)?;
        while self.peek_kw(i, "and") {
            let (rest, _) = self.kw(i, "and")?;
            let (rest, right) = self.not_expr(rest).map_err(cut)?;
            left = logic(LogicOp::And, left, right);
            i = rest;
        }
        Ok((i, left))
    }

    /// `not_expr = "not" not_expr | test_expr`
    fn not_expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("not_expr");
        if self.peek_kw(i, "not") {
            let (rest, kw) = self.kw(i, "not")?;
            let (rest, inner) = self.not_expr(rest).map_err(cut)?;
            let span = kw.to(inner.span);
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    span,
                },
            ));
        }
        self.test_expr(i)
    }

    /// `test_expr = operand [ test_suffix ]`
    /// `test_suffix = "exists" | ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand
    ///              | [ "not" ] "in" operand | "contains" operand | "starts_with" operand
    ///              | "ends_with" operand`
    pub(crate) fn test_expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("test_expr");
        let (i, left) = self.operand(i)?;
        if self.peek_kw(i, "exists") {
            self.hit("test_suffix");
            let (rest, kw) = self.kw(i, "exists")?;
            let span = left.span.to(kw);
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Exists(Box::new(left)),
                    span,
                },
            ));
        }
        let symbolic = [
            ("==", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            ("<=", CompareOp::Le),
            (">=", CompareOp::Ge),
            ("<", CompareOp::Lt),
            (">", CompareOp::Gt),
        ];
        let mut found = None;
        for (p, op) in symbolic {
            if self.peek_punct(i, p) {
                found = Some((self.punct(i, p)?.0, op));
                break;
            }
        }
        if found.is_none() {
            let words = [
                ("in", CompareOp::In),
                ("contains", CompareOp::Contains),
                ("starts_with", CompareOp::StartsWith),
                ("ends_with", CompareOp::EndsWith),
            ];
            for (w, op) in words {
                if self.peek_kw(i, w) {
                    found = Some((self.kw(i, w)?.0, op));
                    break;
                }
            }
            if found.is_none() && self.peek_kw(i, "not") {
                let (after_not, _) = self.kw(i, "not")?;
                if self.peek_kw(after_not, "in") {
                    found = Some((self.kw(after_not, "in")?.0, CompareOp::NotIn));
                }
            }
        }
        let Some((rest, op)) = found else {
            return Ok((i, left));
        };
        self.hit("test_suffix");
        let (rest, right) = self.operand(rest).map_err(cut)?;
        let span = left.span.to(right.span);
        Ok((
            rest,
            Expr {
                kind: ExprKind::Compare(op, Box::new(left), Box::new(right)),
                span,
            },
        ))
    }

    /// `operand = literal | string | list | if_expr | call | path | "(" expr ")"`
    /// `literal = number | plain_string | "true" | "false" | "null"`
    pub(crate) fn operand<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("operand");
        let i = self.ws(i);
        let mut chars = i.chars();
        match chars.next() {
            Some('"') => {
                let out = self.string(i)?;
                if matches!(out.1.kind, ExprKind::String(_)) {
                    self.hit("literal");
                    self.hit("plain_string");
                }
                Ok(out)
            }
            Some('-' | '0'..='9') => {
                self.hit("literal");
                self.number(i)
            }
            Some('[') => self.list(i),
            Some('(') => {
                let (rest, open) = self.punct(i, "(")?;
                let (rest, inner) = self.expr(rest).map_err(cut)?;
                let (rest, close) = self.punct(rest, ")").map_err(cut)?;
                Ok((
                    rest,
                    Expr {
                        kind: ExprKind::Paren(Box::new(inner)),
                        span: open.to(close),
                    },
                ))
            }
            Some(c) if super::lexeme::is_ident_start(c) => {
                for (word, kind) in [
                    ("true", ExprKind::Bool(true)),
                    ("false", ExprKind::Bool(false)),
                    ("null", ExprKind::Null),
                ] {
                    if self.peek_kw(i, word) {
                        self.hit("literal");
                        let (rest, span) = self.kw(i, word)?;
                        return Ok((rest, Expr { kind, span }));
                    }
                }
                if self.peek_kw(i, "if") {
                    return self.if_expr(i);
                }
                let (rest, name) = self.ident(i, "an expression")?;
                if RESERVED.contains(&name.name.as_str()) {
                    return fail(i, "an expression");
                }
                if self.ws(rest).starts_with('(') {
                    return self.call_rest(rest, name);
                }
                self.path_rest(i, rest, name)
            }
            _ => fail(i, "an expression"),
        }
    }

    /// `if_expr = "if" expr "then" expr "else" expr`
    fn if_expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("if_expr");
        let (rest, kw) = self.kw(i, "if")?;
        let (rest, cond) = self.expr(rest).map_err(cut)?;
        let (rest, _) = self.kw(rest, "then").map_err(cut)?;
        let (rest, then) = self.expr(rest).map_err(cut)?;
        let (rest, _) = self.kw(rest, "else").map_err(cut)?;
        let (rest, otherwise) = self.expr(rest).map_err(cut)?;
        let span = kw.to(otherwise.span);
        Ok((
            rest,
            Expr {
                kind: ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)),
                span,
            },
        ))
    }

    /// `list = "[" [ expr { "," expr } [ "," ] ] "]"`
    fn list<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.hit("list");
        let (rest, open) = self.punct(i, "[")?;
        let (rest, items, close) = self.comma_list(rest, "]", |p, i| p.expr(i))?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::List(items),
                span: open.to(close),
            },
        ))
    }

    /// A comma-separated list up to `close`, trailing comma allowed.
    pub(crate) fn comma_list<'a, T>(
        &self,
        mut i: &'a str,
        close: &str,
        item: impl Fn(&Self, &'a str) -> PResult<'a, T>,
    ) -> Result<(&'a str, Vec<T>, crate::source::Span), nom::Err<super::error::SyntaxError>> {
        let mut items = Vec::new();
        loop {
            if self.peek_punct(i, close) {
                let (rest, span) = self.punct(i, close)?;
                return Ok((rest, items, span));
            }
            let (rest, value) = item(self, i).map_err(cut)?;
            items.push(value);
            i = rest;
            if self.peek_punct(i, ",") {
                i = self.punct(i, ",")?.0;
            } else if !self.peek_punct(i, close) {
                return Err(cut(
                    fail::<()>(self.ws(i), format!("`,` or `{close}`")).unwrap_err()
                ));
            }
        }
    }

    /// `call = ident "(" [ expr { "," expr } [ "," ] ] ")"`
    fn call_rest<'a>(&self, i: &'a str, name: super::ast::Ident) -> PResult<'a, Expr> {
        self.hit("call");
        let (rest, _) = self.punct(i, "(")?;
        let (rest, args, close) = self.comma_list(rest, ")", |p, i| p.expr(i))?;
        let span = name.span.to(close);
        Ok((
            rest,
            Expr {
                kind: ExprKind::Call { name, args },
                span,
            },
        ))
    }

    /// `path = ident { "." ( ident | plain_string ) | "[" integer "]" }`
    fn path_rest<'a>(
        &self,
        start: &'a str,
        mut i: &'a str,
        root: super::ast::Ident,
    ) -> PResult<'a, Expr> {
        self.hit("path");
        let mut segments = vec![PathSegment::Key {
            name: root.name,
            quoted: false,
        }];
        loop {
            // Path segments follow without whitespace: `traits.email`, `tags[0]`.
            if let Some(after) = i.strip_prefix('.') {
                if after.starts_with('"') {
                    let (rest, (name, _)) = self.plain_string(after).map_err(cut)?;
                    segments.push(PathSegment::Key { name, quoted: true });
                    i = rest;
                } else if after.starts_with(super::lexeme::is_ident_start) {
                    let end = after
                        .find(|c: char| !is_ident_char(c))
                        .unwrap_or(after.len());
                    segments.push(PathSegment::Key {
                        name: after[..end].to_string(),
                        quoted: false,
                    });
                    i = &after[end..];
                } else if after.starts_with('.') {
                    // `..` is not a path step; leave it (a spread `...` never follows a path).
                    return fail(i, "a path segment");
                } else {
                    return Err(cut(fail::<()>(
                        after,
                        "a key after `.` (a name or a quoted string)",
                    )
                    .unwrap_err()));
                }
            } else if let Some(after) = i.strip_prefix('[') {
                let (rest, n) = self.integer(after).map_err(cut)?;
                let (rest, _) = self.punct(rest, "]").map_err(cut)?;
                segments.push(PathSegment::Index(n));
                i = rest;
            } else {
                break;
            }
        }
        let span = self.span(start, i);
        Ok((
            i,
            Expr {
                kind: ExprKind::Path(Path { segments, span }),
                span,
            },
        ))
    }

    /// A bare path (for spreads): `path`.
    pub(crate) fn path<'a>(&self, i: &'a str) -> PResult<'a, Path> {
        let start = self.ws(i);
        let (rest, root) = self.ident(start, "an event path")?;
        let (rest, e) = self.path_rest(start, rest, root)?;
        match e.kind {
            ExprKind::Path(p) => Ok((rest, p)),
            _ => fail(start, "an event path"),
        }
    }
}

/// Makes an error final: we are in the right production, so no alternative should be tried.
pub(crate) fn cut(e: nom::Err<super::error::SyntaxError>) -> nom::Err<super::error::SyntaxError> {
    match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    }
}

fn logic(op: LogicOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Logic(op, Box::new(left), Box::new(right)),
        span,
    }
}

//! Recursive-descent parser over the lexer's tokens. Like Salesforce, it refuses `AND` and `OR`
//! mixed at one level without parentheses.

use super::SoqlError;
use super::ast::{CmpOp, Expr, Literal, OrderItem, Path, Query, SelectItem};
use super::lexer::{Tok, Token};

/// How deeply parentheses and `NOT`s may nest in a `WHERE` clause. Salesforce documents no
/// number (only the 100,000-character statement limit), but it answers absurdly nested filters
/// with MALFORMED_QUERY rather than running them; without a bound, a few thousand levels would
/// overflow this parser's stack and kill the process.
pub const MAX_DEPTH: usize = 200;

pub struct Parser<'a> {
    toks: &'a [Token],
    at: usize,
    end: usize,
    /// Parentheses and `NOT`s open at this point of the condition.
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(toks: &'a [Token], end: usize) -> Parser<'a> {
        Parser {
            toks,
            at: 0,
            end,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.at)
    }

    fn pos(&self) -> usize {
        self.peek().map(|t| t.pos).unwrap_or(self.end)
    }

    fn unexpected(&self) -> SoqlError {
        match self.peek() {
            Some(t) => SoqlError::malformed(t.pos, format!("unexpected token: '{}'", t.text)),
            None => SoqlError::malformed(self.end, "unexpected token: '<EOF>'"),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Ident(s), .. }) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SoqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek().map(|t| &t.tok) == Some(tok) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok) -> Result<(), SoqlError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn path(&mut self) -> Result<Path, SoqlError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Ident(s),
                pos,
                ..
            }) if !is_reserved(s) => {
                self.at += 1;
                Ok(Path {
                    parts: s.split('.').map(str::to_string).collect(),
                    pos: *pos,
                })
            }
            _ => Err(self.unexpected()),
        }
    }

    pub fn query(&mut self) -> Result<Query, SoqlError> {
        self.expect_kw("SELECT")?;
        let mut select = Vec::new();
        loop {
            if self.is_kw("COUNT")
                && matches!(
                    self.toks.get(self.at + 1).map(|t| &t.tok),
                    Some(Tok::LParen)
                )
            {
                self.at += 2;
                self.expect(&Tok::RParen)?;
                select.push(SelectItem::Count);
            } else {
                select.push(SelectItem::Field(self.path()?));
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        if select.contains(&SelectItem::Count) && select.len() > 1 {
            return Err(SoqlError::malformed(
                self.pos(),
                "COUNT() cannot be combined with other fields",
            ));
        }
        self.expect_kw("FROM")?;
        let from_pos = self.pos();
        let from = match self.peek() {
            Some(Token {
                tok: Tok::Ident(s), ..
            }) if !is_reserved(s) && !s.contains('.') => {
                self.at += 1;
                s.clone()
            }
            _ => return Err(self.unexpected()),
        };
        let filter = if self.eat_kw("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let field = self.path()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                let nulls_first = if self.eat_kw("NULLS") {
                    if self.eat_kw("FIRST") {
                        Some(true)
                    } else {
                        self.expect_kw("LAST")?;
                        Some(false)
                    }
                } else {
                    None
                };
                order_by.push(OrderItem {
                    field,
                    descending,
                    nulls_first,
                });
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.unsigned()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.unsigned()?)
        } else {
            None
        };
        if self.peek().is_some() {
            return Err(self.unexpected());
        }
        Ok(Query {
            select,
            from,
            from_pos,
            filter,
            order_by,
            limit,
            offset,
        })
    }

    fn unsigned(&mut self) -> Result<u64, SoqlError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Number(n),
                ..
            }) => match n.parse::<u64>() {
                Ok(v) => {
                    self.at += 1;
                    Ok(v)
                }
                Err(_) => Err(self.unexpected()),
            },
            _ => Err(self.unexpected()),
        }
    }

    /// `a AND b AND c` or `a OR b OR c`, not both.
    fn condition(&mut self) -> Result<Expr, SoqlError> {
        let first = self.unary()?;
        let mut items = vec![first];
        let mut joiner: Option<&str> = None;
        loop {
            let kw = if self.is_kw("AND") {
                "AND"
            } else if self.is_kw("OR") {
                "OR"
            } else {
                break;
            };
            if joiner.is_some_and(|j| j != kw) {
                return Err(self.unexpected());
            }
            joiner = Some(kw);
            self.at += 1;
            items.push(self.unary()?);
        }
        Ok(match joiner {
            None => items.remove(0),
            Some("AND") => Expr::And(items),
            Some(_) => Expr::Or(items),
        })
    }

    /// One more level of nesting, refused past [`MAX_DEPTH`].
    fn nest(&mut self) -> Result<(), SoqlError> {
        if self.depth >= MAX_DEPTH {
            return Err(SoqlError::malformed(
                self.pos(),
                format!("conditions cannot be nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, SoqlError> {
        if self.is_kw("NOT") || self.peek().map(|t| &t.tok) == Some(&Tok::LParen) {
            self.nest()?;
            let e = if self.eat_kw("NOT") {
                self.unary().map(|e| Expr::Not(Box::new(e)))
            } else {
                self.at += 1;
                self.condition()
                    .and_then(|e| self.expect(&Tok::RParen).map(|()| e))
            };
            self.depth -= 1;
            return e;
        }
        let field = self.path()?;
        if self.eat_kw("LIKE") {
            return match self.peek() {
                Some(Token {
                    tok: Tok::Str { like, .. },
                    ..
                }) => {
                    self.at += 1;
                    Ok(Expr::Like {
                        field,
                        pattern: like.clone(),
                    })
                }
                _ => Err(self.unexpected()),
            };
        }
        let negated = if self.is_kw("NOT") {
            self.at += 1;
            if !self.is_kw("IN") {
                return Err(self.unexpected());
            }
            true
        } else {
            false
        };
        if self.eat_kw("IN") {
            self.expect(&Tok::LParen)?;
            let value_pos = self.pos();
            let mut values = vec![self.literal()?];
            while self.eat(&Tok::Comma) {
                values.push(self.literal()?);
            }
            self.expect(&Tok::RParen)?;
            return Ok(Expr::In {
                field,
                negated,
                values,
                value_pos,
            });
        }
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Op(o)) => match *o {
                "=" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                ">" => CmpOp::Gt,
                "<=" => CmpOp::Le,
                _ => CmpOp::Ge,
            },
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        let value_pos = self.pos();
        let value = self.literal()?;
        Ok(Expr::Cmp {
            field,
            op,
            value,
            value_pos,
        })
    }

    fn literal(&mut self) -> Result<Literal, SoqlError> {
        let t = self.peek().ok_or_else(|| self.unexpected())?;
        let lit = match &t.tok {
            Tok::Str {
                value, like_escape, ..
            } => {
                if *like_escape {
                    return Err(SoqlError::malformed(
                        t.pos,
                        format!(
                            "Invalid string literal '{}'. Illegal character sequence '\\_' or '\\%' in string literal.",
                            t.text
                        ),
                    ));
                }
                Literal::String(value.clone())
            }
            Tok::Number(n) => Literal::Number(n.parse().map_err(|_| self.unexpected())?),
            Tok::Date(d) => Literal::Date(d.clone()),
            Tok::DateTime(d) => Literal::DateTime(d.clone()),
            Tok::Ident(s) if s.eq_ignore_ascii_case("null") => Literal::Null,
            Tok::Ident(s) if s.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Tok::Ident(s) if s.eq_ignore_ascii_case("false") => Literal::Bool(false),
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        Ok(lit)
    }
}

fn is_reserved(s: &str) -> bool {
    [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
        "OFFSET", "ASC", "DESC", "NULLS", "NULL", "TRUE", "FALSE",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn parses_a_full_query() {
        let q = parse(
            "SELECT Id, Account.Name FROM Contact WHERE (Email = 'a@b.c' OR LastName LIKE 'Sm_th%') \
             AND NOT Age__c IN (1, 2) AND CreatedDate > 2024-01-01T00:00:00Z \
             ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10 OFFSET 5",
        )
        .unwrap();
        assert_eq!(q.from, "Contact");
        assert_eq!(q.select.len(), 2);
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.offset, Some(5));
        assert_eq!(q.order_by[0].nulls_first, Some(true));
        assert!(matches!(q.filter, Some(Expr::And(ref v)) if v.len() == 3));
    }

    #[test]
    fn refuses_mixed_and_or_and_bad_tokens() {
        let e = parse("SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3").unwrap_err();
        assert_eq!(e.message, "unexpected token: 'OR'");
        let e = parse("SELECT Id FORM Account").unwrap_err();
        assert_eq!(e.message, "unexpected token: 'FORM'");
        assert!(parse("SELECT COUNT() FROM Lead").is_ok());
        assert!(parse("SELECT Id FROM Lead WHERE Name = 'a\\_b'").is_err());
        assert!(parse("SELECT Id FROM Lead WHERE Name LIKE 'a\\_b'").is_ok());
    }

    #[test]
    fn bounds_nesting() {
        let nested = |n: usize, open: &str, close: &str| {
            format!(
                "SELECT Id FROM Lead WHERE {}Name = 'x'{}",
                open.repeat(n),
                close.repeat(n)
            )
        };
        assert!(parse(&nested(MAX_DEPTH, "(", ")")).is_ok());
        assert!(parse(&nested(MAX_DEPTH, "NOT ", "")).is_ok());
        for q in [
            nested(MAX_DEPTH + 1, "(", ")"),
            nested(MAX_DEPTH + 1, "NOT ", ""),
            nested(100_000, "(NOT ", ")"),
        ] {
            let e = parse(&q).unwrap_err();
            assert_eq!(
                e.code,
                super::super::super::error::ErrorCode::MalformedQuery
            );
        }
    }
}

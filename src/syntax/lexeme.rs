//! Lexical productions: whitespace and comments, identifiers, keywords, numbers and strings.

use nom::IResult;
use nom::Parser as _;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};

use super::Parser;
use super::ast::{Expr, ExprKind, TemplatePart};
use super::error::SyntaxError;
use crate::diag::Code;
use crate::source::Span;

pub(crate) type PResult<'a, T> = IResult<&'a str, T, SyntaxError>;

/// Words that cannot start a path: they have a meaning where an operand may stand.
pub(crate) const RESERVED: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "exists",
    "contains",
    "starts_with",
    "ends_with",
    "true",
    "false",
    "null",
    "if",
    "then",
    "else",
];

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether all of `s` is one `ident` token: `letter_ { letter_ | digit }`.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char)
}

/// Fails with "expected `what`" at `i`.
pub(crate) fn fail<T>(i: &str, what: impl Into<String>) -> PResult<'_, T> {
    Err(nom::Err::Error(SyntaxError::new(
        i,
        Code::UnexpectedToken,
        what,
    )))
}

impl Parser {
    /// Byte offset of a remaining input.
    pub(crate) fn off(&self, rest: &str) -> usize {
        self.len - rest.len()
    }

    /// Span from the remaining input before a production to the one after.
    pub(crate) fn span(&self, before: &str, after: &str) -> Span {
        Span::new(self.off(before), self.off(after))
    }

    /// `comment = "#" { any character except LF }` — skips whitespace and comments, recording
    /// each comment so `fmt` can keep it.
    pub(crate) fn ws<'a>(&self, mut i: &'a str) -> &'a str {
        loop {
            let trimmed = i.trim_start_matches([' ', '\t', '\r', '\n']);
            if let Some(after_hash) = trimmed.strip_prefix('#') {
                let end = after_hash.find('\n').unwrap_or(after_hash.len());
                let start = self.off(trimmed);
                let mut comment_end = start + 1 + end;
                if after_hash[..end].ends_with('\r') {
                    comment_end -= 1;
                }
                self.hit("comment");
                self.comments
                    .borrow_mut()
                    .insert((start as u32, comment_end as u32));
                i = &after_hash[end..];
            } else {
                return trimmed;
            }
        }
    }

    /// Whether the next token (after whitespace) is the keyword `word`.
    pub(crate) fn peek_kw(&self, i: &str, word: &str) -> bool {
        let i = self.ws(i);
        i.strip_prefix(word)
            .is_some_and(|rest| !rest.starts_with(is_ident_char))
    }

    /// A keyword, not followed by an identifier character.
    pub(crate) fn kw<'a>(&self, i: &'a str, word: &str) -> PResult<'a, Span> {
        let i = self.ws(i);
        match i.strip_prefix(word) {
            Some(rest) if !rest.starts_with(is_ident_char) => Ok((rest, self.span(i, rest))),
            _ => fail(i, format!("`{word}`")),
        }
    }

    /// A punctuation token.
    pub(crate) fn punct<'a>(&self, i: &'a str, p: &str) -> PResult<'a, Span> {
        let i = self.ws(i);
        match i.strip_prefix(p) {
            Some(rest) => Ok((rest, self.span(i, rest))),
            None => fail(i, format!("`{p}`")),
        }
    }

    /// Whether the next token is the punctuation `p`.
    pub(crate) fn peek_punct(&self, i: &str, p: &str) -> bool {
        self.ws(i).starts_with(p)
    }

    /// `ident = letter_ { letter_ | digit }`
    pub(crate) fn ident<'a>(&self, i: &'a str, what: &str) -> PResult<'a, super::ast::Ident> {
        let i = self.ws(i);
        let res: PResult<'a, &'a str> =
            recognize((take_while1(is_ident_start), take_while(is_ident_char))).parse(i);
        match res {
            Ok((rest, name)) => {
                self.hit("ident");
                self.hit("letter_");
                if name.contains(|c: char| c.is_ascii_digit()) {
                    self.hit("digit");
                }
                Ok((
                    rest,
                    super::ast::Ident {
                        name: name.to_string(),
                        span: self.span(i, rest),
                    },
                ))
            }
            Err(_) => fail(i, what),
        }
    }

    /// `number = [ "-" ] integer [ "." integer ] [ ( "e" | "E" ) [ "+" | "-" ] integer ]`
    pub(crate) fn number<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let i = self.ws(i);
        let res: PResult<'a, &'a str> = recognize((
            opt(char('-')),
            digit1,
            opt((char('.'), digit1)),
            opt((
                nom::branch::alt((char('e'), char('E'))),
                opt(nom::branch::alt((char('+'), char('-')))),
                digit1,
            )),
        ))
        .parse(i);
        let (rest, text) = match res {
            Ok(ok) => ok,
            Err(_) => return fail(i, "a number"),
        };
        if rest.starts_with(is_ident_char) || rest.starts_with('.') {
            let bad_end = rest
                .find(|c: char| !(is_ident_char(c) || c == '.'))
                .unwrap_or(rest.len());
            let mut err = SyntaxError::new(i, Code::InvalidNumber, "invalid number");
            err.width = text.len() + bad_end;
            return Err(nom::Err::Failure(err.help(
                "numbers are written like `42`, `-1.5` or `2e3`; quote text as a string",
            )));
        }
        self.hit("number");
        self.hit("integer");
        self.hit("digit");
        if text.parse::<f64>().map_or(true, |f| !f.is_finite()) {
            let mut err = SyntaxError::new(i, Code::InvalidNumber, "number out of range");
            err.width = text.len();
            return Err(nom::Err::Failure(err));
        }
        Ok((
            rest,
            Expr {
                kind: ExprKind::Number(text.to_string()),
                span: self.span(i, rest),
            },
        ))
    }

    /// `integer = digit { digit }`
    pub(crate) fn integer<'a>(&self, i: &'a str) -> PResult<'a, usize> {
        let i = self.ws(i);
        let res: PResult<'a, &'a str> = digit1(i);
        match res {
            Ok((rest, digits)) => match digits.parse() {
                Ok(n) => {
                    self.hit("integer");
                    self.hit("digit");
                    Ok((rest, n))
                }
                Err(_) => Err(nom::Err::Failure(SyntaxError::new(
                    i,
                    Code::InvalidNumber,
                    "index too large",
                ))),
            },
            Err(_) => fail(i, "an array index"),
        }
    }

    /// `string = '"' { string_char | escape | interpolation } '"'` — a string literal or, when
    /// it holds interpolations, a template. `interpolation = "{" expr "}"`
    pub(crate) fn string<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let start = self.ws(i);
        let Some(mut rest) = start.strip_prefix('"') else {
            return fail(start, "a string");
        };
        self.hit("string");
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut text = String::new();
        loop {
            let mut chars = rest.chars();
            match chars.next() {
                None | Some('\n') => {
                    let mut err =
                        SyntaxError::new(start, Code::UnterminatedString, "unterminated string");
                    err.width = start.len() - rest.len();
                    return Err(nom::Err::Failure(err.help(
                        "close the string with `\"` on the same line; write a line break as `\\n`",
                    )));
                }
                Some('"') => {
                    rest = chars.as_str();
                    break;
                }
                Some('\\') => {
                    self.hit("escape");
                    let (after, c) = self.escape(rest)?;
                    text.push(c);
                    rest = after;
                }
                Some('{') => {
                    self.hit("interpolation");
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    let (after, expr) = self.expr(chars.as_str())?;
                    let (after, _) = self.punct(after, "}").map_err(|_| {
                        nom::Err::Failure(
                            SyntaxError::new(
                                self.ws(after),
                                Code::UnexpectedToken,
                                "`}` to close the interpolation",
                            )
                            .help("write a literal brace in a string as `\\{`"),
                        )
                    })?;
                    parts.push(TemplatePart::Expr(expr));
                    rest = after;
                }
                Some('}') => {
                    return Err(nom::Err::Failure(
                        SyntaxError::new(rest, Code::UnexpectedToken, "`}` only after `{`")
                            .help("write a literal brace in a string as `\\}`"),
                    ));
                }
                Some(c) => {
                    self.hit("string_char");
                    text.push(c);
                    rest = chars.as_str();
                }
            }
        }
        let span = self.span(start, rest);
        let kind = if parts.is_empty() {
            ExprKind::String(text)
        } else {
            if !text.is_empty() {
                parts.push(TemplatePart::Text(text));
            }
            ExprKind::Template(parts)
        };
        Ok((rest, Expr { kind, span }))
    }

    /// `escape = "\" ( '"' | "\" | "n" | "r" | "t" | "{" | "}" | "u{" hex { hex } "}" )`
    fn escape<'a>(&self, i: &'a str) -> PResult<'a, char> {
        let after = &i[1..];
        let mut chars = after.chars();
        let c = match chars.next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('{') => '{',
            Some('}') => '}',
            Some('u') if chars.as_str().starts_with('{') => {
                let body = &chars.as_str()[1..];
                let end = body.find('}').unwrap_or(0);
                let hex = &body[..end];
                let code = if (1..=6).contains(&hex.len()) {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else {
                    None
                };
                return match code {
                    Some(c) => Ok((&body[end + 1..], c)),
                    None => {
                        let mut err =
                            SyntaxError::new(i, Code::InvalidEscape, "invalid unicode escape");
                        err.width = 2 + 1 + end + 1;
                        Err(nom::Err::Failure(err.help(
                            "write a unicode escape as `\\u{e9}`: 1 to 6 hex digits",
                        )))
                    }
                };
            }
            other => {
                let mut err = SyntaxError::new(
                    i,
                    Code::InvalidEscape,
                    format!(
                        "invalid escape sequence `\\{}`",
                        other.map(String::from).unwrap_or_default()
                    ),
                );
                err.width = 1 + other.map_or(0, char::len_utf8);
                return Err(nom::Err::Failure(err.help(
                    "valid escapes are \\\" \\\\ \\n \\r \\t \\{ \\} and \\u{...}",
                )));
            }
        };
        Ok((chars.as_str(), c))
    }

    /// `plain_string = string` without interpolation.
    pub(crate) fn plain_string<'a>(&self, i: &'a str) -> PResult<'a, (String, Span)> {
        self.hit("plain_string");
        let (rest, e) = self.string(i)?;
        match e.kind {
            ExprKind::String(s) => Ok((rest, (s, e.span))),
            _ => {
                let mut err = SyntaxError::new(
                    self.ws(i),
                    Code::InterpolationNotAllowed,
                    "a plain string is required here, without `{...}` interpolation",
                );
                err.width = e.span.len();
                Err(nom::Err::Failure(
                    err.help("escape literal braces as `\\{` and `\\}`"),
                ))
            }
        }
    }
}

//! SOQL tokens, recognised with nom. String literals are decoded here with every escape
//! sequence Salesforce documents (`\n \r \t \b \f \" \' \\ \uXXXX`, and `\_ \%` which only LIKE
//! accepts); any other backslash is an error, as in Salesforce.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n, take_while1};
use nom::character::complete::{char, digit1, one_of, satisfy};
use nom::combinator::{opt, recognize};
use nom::multi::many0;
use nom::sequence::pair;
use nom::{IResult, Parser};

use super::ast::LikePart;
use super::{ErrorCode, SoqlError};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name or keyword, possibly dotted (`Account.Name`).
    Ident(String),
    Str {
        value: String,
        like: Vec<LikePart>,
        /// Contains `\_` or `\%`, which only LIKE accepts.
        like_escape: bool,
    },
    Number(String),
    Date(String),
    DateTime(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
    pub text: String,
}

fn digits(n: usize) -> impl Fn(&str) -> IResult<&str, &str> {
    move |i| take_while_m_n(n, n, |c: char| c.is_ascii_digit())(i)
}

fn date(i: &str) -> IResult<&str, &str> {
    recognize((digits(4), char('-'), digits(2), char('-'), digits(2))).parse(i)
}

fn datetime(i: &str) -> IResult<&str, &str> {
    recognize((
        date,
        char('T'),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
        opt(pair(char('.'), digit1)),
        alt((
            recognize(char('Z')),
            recognize((one_of("+-"), digits(2), opt(char(':')), digits(2))),
        )),
    ))
    .parse(i)
}

fn number(i: &str) -> IResult<&str, &str> {
    recognize((opt(char('-')), digit1, opt(pair(char('.'), digit1)))).parse(i)
}

fn ident(i: &str) -> IResult<&str, &str> {
    let word = |i| {
        recognize(pair(
            satisfy(|c: char| c.is_ascii_alphabetic() || c == '_'),
            opt(take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_')),
        ))
        .parse(i)
    };
    recognize(pair(word, many0(pair(char('.'), word)))).parse(i)
}

fn op(i: &str) -> IResult<&str, &str> {
    alt((
        tag("!="),
        tag("<>"),
        tag("<="),
        tag(">="),
        tag("="),
        tag("<"),
        tag(">"),
    ))
    .parse(i)
}

fn op_name(s: &str) -> &'static str {
    match s {
        "!=" | "<>" => "!=",
        "<=" => "<=",
        ">=" => ">=",
        "=" => "=",
        "<" => "<",
        _ => ">",
    }
}

/// The longest string literal a WHERE clause takes (salesforce-api.md: "WHERE-clause strings
/// are limited to 4,000 characters").
pub const MAX_STRING_LITERAL: usize = 4000;

/// Decodes a quoted string starting at `start` (which holds the opening quote).
fn string_literal(src: &str, start: usize) -> Result<(Tok, usize), SoqlError> {
    let mut value = String::new();
    let mut like = Vec::new();
    let mut like_escape = false;
    let mut chars = src[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        let at = start + 1 + off;
        match c {
            '\'' if value.chars().count() > MAX_STRING_LITERAL => {
                return Err(SoqlError::new(
                    ErrorCode::MalformedQuery,
                    start,
                    format!(
                        "string literal too long: {} characters, the limit is {MAX_STRING_LITERAL}",
                        value.chars().count()
                    ),
                ));
            }
            '\'' => {
                return Ok((
                    Tok::Str {
                        value,
                        like,
                        like_escape,
                    },
                    at + 1,
                ));
            }
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    break;
                };
                let decoded = match e {
                    'n' | 'N' => '\n',
                    'r' | 'R' => '\r',
                    't' | 'T' => '\t',
                    'b' | 'B' => '\u{8}',
                    'f' | 'F' => '\u{c}',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => '\\',
                    '_' | '%' => {
                        like_escape = true;
                        value.push(e);
                        like.push(LikePart::Char(e));
                        continue;
                    }
                    'u' => {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(ch) if hex.len() == 4 => ch,
                            _ => {
                                return Err(SoqlError::malformed(
                                    at,
                                    format!("Invalid unicode escape sequence: \\u{hex}"),
                                ));
                            }
                        }
                    }
                    other => {
                        return Err(SoqlError::malformed(
                            at,
                            format!(
                                "Invalid string literal '\\{other}'. Illegal character sequence '\\{other}' in string literal."
                            ),
                        ));
                    }
                };
                value.push(decoded);
                like.push(LikePart::Char(decoded));
            }
            '%' => {
                value.push(c);
                like.push(LikePart::Any);
            }
            '_' => {
                value.push(c);
                like.push(LikePart::One);
            }
            _ => {
                value.push(c);
                like.push(LikePart::Char(c));
            }
        }
    }
    Err(SoqlError::malformed(start, "unterminated string literal"))
}

/// Splits a query into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, SoqlError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let rest = &src[pos..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        let (tok, len) = match c {
            '\'' => {
                let (tok, end) = string_literal(src, pos)?;
                (tok, end - pos)
            }
            '"' => {
                return Err(SoqlError::malformed(
                    pos,
                    "unexpected token: '\"'. String literals use single quotes.",
                ));
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            _ => {
                if let Ok((r, t)) = datetime(rest) {
                    (Tok::DateTime(t.to_string()), rest.len() - r.len())
                } else if let Ok((r, t)) = date(rest) {
                    (Tok::Date(t.to_string()), rest.len() - r.len())
                } else if let Ok((r, t)) = number(rest) {
                    (Tok::Number(t.to_string()), rest.len() - r.len())
                } else if let Ok((r, t)) = ident(rest) {
                    (Tok::Ident(t.to_string()), rest.len() - r.len())
                } else if let Ok((r, t)) = op(rest) {
                    (Tok::Op(op_name(t)), rest.len() - r.len())
                } else {
                    let bad: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                    return Err(SoqlError::malformed(
                        pos,
                        format!("unexpected token: '{bad}'"),
                    ));
                }
            }
        };
        out.push(Token {
            tok,
            pos,
            text: src[pos..pos + len].to_string(),
        });
        pos += len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(src: &str) -> Vec<String> {
        lex(src)
            .unwrap()
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Str { value, .. } => Some(value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn decodes_every_escape() {
        assert_eq!(
            strs(r#"'a\nb\Rc\td\be\ff\"g\'h\\i\u00e9'"#),
            ["a\nb\rc\td\u{8}e\u{c}f\"g'h\\i\u{e9}"]
        );
        assert!(lex(r"'bad \q'").is_err());
        assert!(lex("'open").is_err());
        assert!(lex("\"dq\"").is_err());
    }

    #[test]
    fn dates_numbers_and_paths() {
        let toks: Vec<Tok> = lex("Account.Name >= 2024-01-31T10:00:00.000+01:00 -1.5 2024-02-01")
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect();
        assert_eq!(
            toks,
            [
                Tok::Ident("Account.Name".into()),
                Tok::Op(">="),
                Tok::DateTime("2024-01-31T10:00:00.000+01:00".into()),
                Tok::Number("-1.5".into()),
                Tok::Date("2024-02-01".into()),
            ]
        );
    }
}

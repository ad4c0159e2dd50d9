//! The parser's own error type. nom's error kinds never reach users: every failure says, in
//! words, what was expected at which byte.

use nom::error::{ErrorKind, ParseError};

use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// A syntax error located by the length of the input left when it happened (turned into a byte
/// offset by the parser, which knows the whole input's length).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub rest_len: usize,
    /// Length of the offending token, for the label.
    pub width: usize,
    pub code: Code,
    /// What the grammar allows here, in words: "`{`", "an expression", "a field name".
    pub expected: String,
    pub help: Option<String>,
}

impl SyntaxError {
    pub fn new(rest: &str, code: Code, expected: impl Into<String>) -> SyntaxError {
        SyntaxError {
            rest_len: rest.len(),
            width: token_width(rest),
            code,
            expected: expected.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> SyntaxError {
        self.help = Some(help.into());
        self
    }

    /// Turns the error into a diagnostic, given the length of the whole input.
    pub fn into_diagnostic(self, source: &str) -> Diagnostic {
        let start = source.len() - self.rest_len;
        let rest = &source[start..];
        let span = Span::new(start, start + self.width.min(rest.len()));
        let found = describe(rest);
        let (message, label) = match self.code {
            Code::UnexpectedToken => (
                format!("expected {}, found {found}", self.expected),
                format!("expected {} here", self.expected),
            ),
            _ => (self.expected.clone(), self.code.title().to_string()),
        };
        Diagnostic::new(self.code, message, span, label).with_help_opt(self.help)
    }
}

impl<'a> ParseError<&'a str> for SyntaxError {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SyntaxError::new(input, Code::UnexpectedToken, "valid input")
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two alternatives, keep the one that got further.
    fn or(self, other: Self) -> Self {
        if other.rest_len <= self.rest_len {
            other
        } else {
            self
        }
    }
}

/// The width of the token at the start of `rest`, for labels.
fn token_width(rest: &str) -> usize {
    let word = rest
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    if word > 0 {
        word
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    }
}

/// How the token at the start of `rest` is named in messages.
fn describe(rest: &str) -> String {
    match rest.chars().next() {
        None => "the end of the file".to_string(),
        Some('\n' | '\r') => "the end of the line".to_string(),
        Some(_) => format!("`{}`", &rest[..token_width(rest)]),
    }
}

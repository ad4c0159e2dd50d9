//! The `.sfmap` parser (nom 8 over `&str`) and printer.
//!
//! The grammar is `grammar/sfmap.ebnf`; each parser function's doc names the production it
//! implements. The parser recovers at three levels — mappings, clauses and field entries — so
//! one run reports every syntax error. Errors are [`Diagnostic`]s with byte spans.

pub mod ast;
mod error;
mod expr;
mod item;
mod lexeme;
pub mod print;

use std::cell::RefCell;
use std::collections::BTreeSet;

use ast::{File, Mapping};
pub use error::SyntaxError;

use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// Stop reporting after this many syntax errors in one file.
const MAX_ERRORS: usize = 50;

/// The result of parsing: a tree (possibly partial) and the syntax errors.
#[derive(Debug)]
pub struct Parsed {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `s` can be written bare where an expression may stand, as a path's first key: an
/// identifier that is not a reserved word (`and`, `in`, `true`, `if`, ...), which the parser
/// reads as an operator or a literal there. A key after `.` or in `except [...]` may be any
/// identifier; [`print::key`] writes those.
pub fn is_bare_ident(s: &str) -> bool {
    lexeme::is_ident(s) && !lexeme::RESERVED.contains(&s)
}

/// Parses a whole file, recovering from errors.
pub fn parse(source: &str) -> Parsed {
    parse_inner(source, false).0
}

/// Parses and also returns the names of the grammar productions the parse went through.
pub fn parse_with_coverage(source: &str) -> (Parsed, BTreeSet<&'static str>) {
    parse_inner(source, true)
}

fn parse_inner(source: &str, coverage: bool) -> (Parsed, BTreeSet<&'static str>) {
    let parser = Parser {
        len: source.len(),
        comments: RefCell::new(BTreeSet::new()),
        errors: RefCell::new(Vec::new()),
        hits: RefCell::new(BTreeSet::new()),
        coverage,
    };
    let mappings = parser.file(source);
    let comments = parser
        .comments
        .borrow()
        .iter()
        .map(|&(s, e)| Span { start: s, end: e })
        .collect();
    let mut diagnostics: Vec<Diagnostic> = parser
        .errors
        .into_inner()
        .into_iter()
        .map(|e| e.into_diagnostic(source))
        .collect();
    diagnostics.dedup_by_key(|d| d.primary_span());
    diagnostics.truncate(MAX_ERRORS);
    let hits = parser.hits.into_inner();
    (
        Parsed {
            file: File { mappings, comments },
            diagnostics,
        },
        hits,
    )
}

/// Parser state: the input length (to turn remaining input into offsets), the comments seen,
/// and the errors recovered from.
pub(crate) struct Parser {
    len: usize,
    comments: RefCell<BTreeSet<(u32, u32)>>,
    errors: RefCell<Vec<SyntaxError>>,
    /// Grammar productions the parse went through (for the grammar-coverage test).
    hits: RefCell<BTreeSet<&'static str>>,
    /// Whether to record `hits` (off on the normal path: it costs a set insert per call).
    coverage: bool,
}

impl Parser {
    /// `file = { mapping }`
    fn file(&self, mut i: &str) -> Vec<Mapping> {
        self.hit("file");
        let mut mappings = Vec::new();
        loop {
            i = self.ws(i);
            if i.is_empty() || self.errors.borrow().len() >= MAX_ERRORS {
                return mappings;
            }
            if self.peek_kw(i, "mapping") {
                let (rest, mapping) = self.mapping(i);
                if let Some(m) = mapping {
                    mappings.push(m);
                }
                i = rest;
            } else {
                self.errors.borrow_mut().push(
                    SyntaxError::new(i, Code::UnexpectedToken, "`mapping`")
                        .help("a file holds mappings: `mapping name { ... }`"),
                );
                i = skip_to_line_starting(i, &["mapping"]);
            }
        }
    }

    /// `mapping = "mapping" ident "{" { clause } "}"` — clauses recover one by one.
    fn mapping<'a>(&self, i: &'a str) -> (&'a str, Option<Mapping>) {
        self.hit("mapping");
        let start = i;
        let head = self
            .kw(i, "mapping")
            .and_then(|(rest, _)| self.ident(rest, "a mapping name"))
            .and_then(|(rest, name)| self.punct(rest, "{").map(|(rest, _)| (rest, name)));
        let (mut i, name) = match head {
            Ok(ok) => ok,
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                self.errors.borrow_mut().push(e);
                let after_kw = &i["mapping".len()..];
                return (skip_to_line_starting(after_kw, &["mapping"]), None);
            }
            Err(nom::Err::Incomplete(_)) => return ("", None),
        };
        let mut clauses = Vec::new();
        loop {
            i = self.ws(i);
            if let Some(rest) = i.strip_prefix('}') {
                let mapping = Mapping {
                    name,
                    clauses,
                    span: self.span(start, rest),
                };
                return (rest, Some(mapping));
            }
            if i.is_empty() || self.peek_kw(i, "mapping") {
                self.errors.borrow_mut().push(
                    SyntaxError::new(i, Code::UnexpectedToken, "`}` to close the mapping")
                        .help("every `{` needs a matching `}`"),
                );
                let mapping = Mapping {
                    name,
                    clauses,
                    span: self.span(start, i),
                };
                return (i, Some(mapping));
            }
            match self.clause(i) {
                Ok((rest, clause)) => {
                    clauses.push(clause);
                    i = rest;
                }
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                    let at = self.len - e.rest_len;
                    self.errors.borrow_mut().push(e);
                    let failed = &i[(at - self.off(i)).min(i.len())..];
                    // Resume at the next line that starts a clause, closes the mapping or
                    // starts the next one.
                    let mut words: Vec<&str> = item::CLAUSE_WORDS.to_vec();
                    words.push("}");
                    words.push("mapping");
                    let next_line = failed.find('\n').map_or("", |n| &failed[n + 1..]);
                    i = skip_to_line_starting(next_line, &words);
                }
                Err(nom::Err::Incomplete(_)) => return ("", None),
            }
        }
    }
}

impl Parser {
    /// Records that a production was used.
    pub(crate) fn hit(&self, production: &'static str) {
        if self.coverage {
            self.hits.borrow_mut().insert(production);
        }
    }
}

/// Skips to the first line (from `i` itself on) whose first token is one of `words`.
fn skip_to_line_starting<'a>(mut i: &'a str, words: &[&str]) -> &'a str {
    loop {
        let trimmed = i.trim_start_matches([' ', '\t']);
        let starts = words.iter().any(|w| {
            trimmed.strip_prefix(w).is_some_and(|rest| {
                !w.starts_with(lexeme::is_ident_start) || !rest.starts_with(lexeme::is_ident_char)
            })
        });
        if starts || i.is_empty() {
            return trimmed;
        }
        i = i.find('\n').map_or("", |n| &i[n + 1..]);
    }
}

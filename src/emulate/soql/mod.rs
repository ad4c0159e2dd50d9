//! The SOQL subset the emulator understands: `SELECT` fields (with relationship paths such as
//! `Account.Name`) or `COUNT()`, `FROM`, `WHERE` with `= != <> < > <= >= IN NOT IN LIKE`,
//! `AND`/`OR`/`NOT` and parentheses, `ORDER BY … ASC|DESC NULLS FIRST|LAST`, `LIMIT`, `OFFSET`.
//!
//! The lexer is written with nom; the parser is recursive descent over its tokens so that errors
//! can point at a token like Salesforce's caret blocks do. Evaluation binds names against the
//! shared schema (INVALID_TYPE / INVALID_FIELD / non-filterable fields) and runs over the store.

pub mod ast;
pub mod eval;
pub mod key_order;
pub mod lexer;
pub mod parser;

use super::error::{ApiError, ErrorCode};

/// A SOQL error located at a byte offset of the query text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SoqlError {
    pub code: ErrorCode,
    pub pos: usize,
    pub message: String,
}

impl SoqlError {
    pub fn new(code: ErrorCode, pos: usize, message: impl Into<String>) -> SoqlError {
        SoqlError {
            code,
            pos,
            message: message.into(),
        }
    }

    pub fn malformed(pos: usize, message: impl Into<String>) -> SoqlError {
        SoqlError::new(ErrorCode::MalformedQuery, pos, message)
    }

    /// The API error with Salesforce's caret block:
    /// `\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column …`.
    pub fn into_api(self, soql: &str) -> ApiError {
        let pos = self.pos.min(soql.len());
        let before = soql.get(..pos).unwrap_or(soql);
        let row = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        let line = soql[line_start..].lines().next().unwrap_or("");
        let caret = " ".repeat(col - 1);
        ApiError::bad(
            self.code,
            format!(
                "\n{line}\n{caret}^\nERROR at Row:{row}:Column:{col}\n{}",
                self.message
            ),
        )
    }
}

/// Parses a query.
pub fn parse(soql: &str) -> Result<ast::Query, SoqlError> {
    let tokens = lexer::lex(soql)?;
    parser::Parser::new(&tokens, soql.len()).query()
}

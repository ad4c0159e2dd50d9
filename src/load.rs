//! The library's front door: a mapping's text → its syntax tree, compiled plan and
//! diagnostics, with the rule for which diagnostics to report.

use crate::compile::{self, Compiled};
use crate::diag::Diagnostic;
use crate::schema::Schema;
use crate::source::SourceFile;
use crate::syntax;

/// A loaded and compiled file.
pub struct Loaded {
    pub source: SourceFile,
    pub compiled: Compiled,
    /// Syntax and compile diagnostics together, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and compiles a text.
pub fn load_text(name: &str, text: String, schema: &Schema) -> Loaded {
    let parsed = syntax::parse(&text);
    let compiled = compile::compile(&parsed.file, schema, name);
    let mut diagnostics = parsed.diagnostics;
    // Compile diagnostics after a syntax error would mostly be its consequences (a clause
    // that failed to parse is "missing"): report the syntax errors alone.
    if diagnostics.is_empty() {
        diagnostics.extend(compiled.diagnostics.iter().cloned());
    }
    crate::diag::sort(&mut diagnostics);
    Loaded {
        source: SourceFile::new(name, text),
        compiled,
        diagnostics,
    }
}

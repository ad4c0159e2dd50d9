//! `sfmap fmt`: canonical formatting, comments kept.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use crate::diag::render;
use crate::source::SourceFile;
use crate::syntax;

/// Format `.sfmap` files in place (two-space indent, aligned `=`, comments kept).
///
/// With --check, change nothing and exit 1 if a file is not formatted. Files with syntax
/// errors are reported and left alone.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Mapping files, or folders to search for `*.sfmap`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only check; exit 1 if any file would change.
    #[arg(long)]
    pub check: bool,
}

/// Formats a source text; `Err` holds syntax diagnostics.
pub fn format_text(text: &str) -> Result<String, Vec<crate::diag::Diagnostic>> {
    let parsed = syntax::parse(text);
    if !parsed.diagnostics.is_empty() {
        return Err(parsed.diagnostics);
    }
    Ok(syntax::print::print(&parsed.file, text))
}

pub fn run(args: &FmtArgs) -> ExitCode {
    let files = match load::expand_paths(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::usage_error(&e),
    };
    let mut failed = false;
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => return super::usage_error(&format!("cannot read {}: {e}", file.display())),
        };
        match format_text(&text) {
            Err(diags) => {
                let source = SourceFile::new(file.display().to_string(), text);
                eprint!(
                    "{}",
                    render::render(&source, &diags, render::Style::plain(super::term_width()))
                );
                failed = true;
            }
            Ok(formatted) if formatted != text => {
                if args.check {
                    eprintln!("{}: not formatted", file.display());
                    failed = true;
                } else if let Err(e) = std::fs::write(&file, formatted) {
                    return super::usage_error(&format!("cannot write {}: {e}", file.display()));
                } else {
                    eprintln!("formatted {}", file.display());
                }
            }
            Ok(_) => {}
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

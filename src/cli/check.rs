//! `sfmap check`: lint mapping files offline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::load;
use crate::diag::{Diagnostic, Severity, render};

/// Lint `.sfmap` files against the built-in or your org's schema, without touching Salesforce.
///
/// Exit status: 0 clean (warnings allowed), 1 errors (or warnings with --deny-warnings),
/// 2 usage or IO errors.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Mapping files, or folders to search for `*.sfmap`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// A describe file of your org (custom objects and fields); default: `schema` in the nearest
    /// sfmap.toml, else the built-in standard objects.
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour: auto (when stderr is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: String,
    diagnostics: Vec<JsonDiag<'a>>,
}

#[derive(Serialize)]
struct JsonDiag<'a> {
    #[serde(flatten)]
    diag: &'a Diagnostic,
    line: usize,
    column: usize,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let files = match load::expand_paths(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::usage_error(&e),
    };
    if files.is_empty() {
        return super::usage_error("no .sfmap files found");
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut json = Vec::new();
    let mut loaded_all = Vec::new();
    for file in &files {
        let schema = match load::schema_for(file, args.schema.as_deref()) {
            Ok(s) => s,
            Err(e) => return super::usage_error(&e),
        };
        let loaded = match load::load(file, &schema) {
            Ok(l) => l,
            Err(e) => return super::usage_error(&e),
        };
        for d in &loaded.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        loaded_all.push(loaded);
    }
    match args.format {
        Format::Human => {
            for loaded in &loaded_all {
                let text = render::render(
                    &loaded.source,
                    &loaded.diagnostics,
                    render::Style {
                        color,
                        width: super::term_width(),
                    },
                );
                eprint!("{text}");
            }
            let files_word = if files.len() == 1 { "file" } else { "files" };
            eprintln!(
                "checked {} {files_word}: {errors} error{}, {warnings} warning{}",
                files.len(),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            );
        }
        Format::Json => {
            for loaded in &loaded_all {
                json.push(JsonFile {
                    file: loaded.source.name.to_string(),
                    diagnostics: loaded
                        .diagnostics
                        .iter()
                        .map(|d| {
                            let (line, column) =
                                loaded.source.line_col(d.primary_span().start as usize);
                            JsonDiag {
                                diag: d,
                                line,
                                column,
                            }
                        })
                        .collect(),
                });
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
            );
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

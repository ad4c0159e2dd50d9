//! The command line: one file per verb. Rendering of diagnostics happens here, nowhere else.
//!
//! Exit codes (ripgrep's convention): 0 success, 1 `check` found errors or `run` had failed
//! events, 2 usage, IO, configuration or authentication errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// sfmap: versionable Segment-to-Salesforce mappings.
///
/// Write `.sfmap` files that say which Segment events become which Salesforce records, lint
/// them offline, deliver events through the REST, Collections and Bulk 2.0 APIs, migrate
/// Segment Classic settings, and try everything against a local emulated org.
#[derive(Debug, Parser)]
#[command(name = "sfmap", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local Salesforce-compatible org.
    Emulate(crate::emulate::args::EmulateArgs),
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Emulate(args) => args.run(),
    }
}

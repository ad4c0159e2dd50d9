//! The command line: one file per verb. Rendering of diagnostics happens here, nowhere else.
//!
//! Exit codes (ripgrep's convention): 0 success, 1 `check` found errors or `run` had failed
//! events, 2 usage, IO, configuration or authentication errors.

pub mod check;
pub mod connect;
pub mod eval;
pub mod fmt;
pub mod load;
pub mod login;
pub mod migrate;
pub mod plan;
pub mod profile;
pub mod run;
mod run_summary;
pub mod schema;

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
    /// More log lines on stderr: -v each flush and job, -vv each query and write with counts
    /// and timings, -vvv everything sfmap logs. RUST_LOG (e.g. `sfmap=debug`) overrides it.
    /// No level shows a token, a secret or a record's field values.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::CheckArgs),
    Fmt(fmt::FmtArgs),
    Plan(plan::PlanArgs),
    Eval(eval::EvalArgs),
    /// Run a local Salesforce-compatible org.
    Emulate(crate::emulate::args::EmulateArgs),
    Migrate(migrate::MigrateArgs),
    Run(run::RunArgs),
    Login(login::LoginArgs),
    Schema(schema::SchemaArgs),
    /// Send the events of a dead-letter file again, once the mapping is fixed.
    ///
    /// The same as `run` with `--events` naming the dead-letter file: with the same ledger,
    /// events that were delivered are skipped and failed ones are tried again.
    Replay(run::RunArgs),
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    match &cli.command {
        Command::Check(args) => check::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Emulate(args) => args.run(),
        Command::Migrate(args) => migrate::run(args),
        Command::Run(args) | Command::Replay(args) => run::run(args),
        Command::Login(args) => login::run(args),
        Command::Schema(args) => schema::run(args),
    }
}

/// Log lines to stderr: RUST_LOG when set, else sfmap's own at the level `-v` asks for (warnings
/// only without it), other crates' warnings.
fn init_logs(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "sfmap=info,warn",
        2 => "sfmap=debug,warn",
        _ => "sfmap=trace,warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Prints a usage or IO error and returns exit code 2.
pub(crate) fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Width for rendering diagnostics: `COLUMNS`, else 100.
pub(crate) fn term_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

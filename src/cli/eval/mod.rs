//! `sfmap eval`: events in, record operations out, no network.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use crate::eval::eval_stream;
use crate::event::chunks::Chunks;

/// Evaluate Segment events (JSONL) against a mapping file and print the record operations each
/// event produces, as JSONL, without touching Salesforce.
///
/// Each output line names the input line, the event's messageId, the mapping, and either the
/// operation (object, strategy, matchers, fields), an error (code and message), or with
/// --explain why the mapping did not fire. A malformed input line is reported with its number
/// and the rest continue.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The mapping file.
    pub file: PathBuf,
    /// Events, one JSON object per line; `-` for standard input.
    #[arg(long, short, default_value = "-")]
    pub events: PathBuf,
    /// Also print, for each event, the mappings that did not fire and why.
    #[arg(long)]
    pub explain: bool,
    /// A describe file of your org (see `check --schema`).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Threads to evaluate on; the output is the same for any number. Default: one per core.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
}

pub fn run(args: &EvalArgs) -> ExitCode {
    let loaded = match load::load_for_use(&args.file, args.schema.as_deref(), 1) {
        Ok(l) => l,
        Err(code) => return code,
    };
    // Chunks are read straight into their own buffers: no `BufReader` in between.
    let input = if args.events.as_os_str() == "-" {
        Chunks::from_reader(std::io::stdin())
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => Chunks::from_reader(f),
            Err(e) => {
                return super::usage_error(&format!("cannot read {}: {e}", args.events.display()));
            }
        }
    };
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    match eval_stream(&loaded.compiled.plan, input, &mut out, args.explain, jobs) {
        Ok(stats) => {
            if out.flush().is_err() {
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "{} events: {} operations, {} errors, {} malformed lines",
                stats.events, stats.ops, stats.errors, stats.malformed
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => super::usage_error(&format!("eval failed: {e}")),
    }
}

//! `sfmap eval`: events in, record operations out, no network.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use crate::eval::{Evaluator, EventResult, Scratch, push_jsonl};
use crate::event::jsonl::{BlockReader, LineError};

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
}

pub fn run(args: &EvalArgs) -> ExitCode {
    let loaded = match load::load_for_use(&args.file, args.schema.as_deref(), 1) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let input: Box<dyn BufRead> = if args.events.as_os_str() == "-" {
        // A larger buffer than stdin's own: fewer lines straddle two fills.
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            std::io::stdin().lock(),
        ))
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                return super::usage_error(&format!("cannot read {}: {e}", args.events.display()));
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match eval_stream(&loaded.compiled.plan, input, &mut out, args.explain) {
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

/// Counts for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub events: usize,
    pub ops: usize,
    pub errors: usize,
    pub malformed: usize,
}

/// Output is handed to the writer in pieces of about this size.
const OUT_CHUNK: usize = 1 << 16;

/// Evaluates a JSONL stream into JSONL output. Used by the CLI and the benchmark.
///
/// Lines are borrowed from the input's buffer a block at a time (see [`BlockReader`]) and the
/// output is built in one reused byte buffer, so an event costs no copy of its line and no
/// allocation for its output.
pub fn eval_stream(
    plan: &crate::plan::Plan,
    input: impl BufRead,
    out: &mut impl Write,
    explain: bool,
) -> std::io::Result<Stats> {
    let evaluator = Evaluator::new(plan);
    let mut blocks = BlockReader::new(input);
    let mut stats = Stats::default();
    let mut buf: Vec<u8> = Vec::with_capacity(OUT_CHUNK + OUT_CHUNK / 4);
    // Scratch space reused across blocks (emptied and re-typed for each block's lifetime).
    let mut spare: Option<(Scratch<'static>, EventResult<'_, 'static>)> = None;
    while let Some(block) = blocks.next_block()? {
        let (scratch, result) = spare.take().unwrap_or_default();
        let mut scratch: Scratch<'_> = scratch.recycle();
        let mut result: EventResult<'_, '_> = result.recycle();
        for next in block.lines() {
            stats.events += 1;
            let (line_no, line) = match next {
                Ok(ok) => ok,
                Err(e) => {
                    stats.malformed += 1;
                    eprintln!("{e}");
                    let line = match e {
                        LineError::InvalidUtf8 { line, .. } => line,
                        LineError::Io(e) => return Err(e),
                    };
                    malformed_line(&mut buf, line, &e.to_string());
                    continue;
                }
            };
            match evaluator.eval_json(line, &mut scratch, explain, &mut result) {
                Ok(()) => {
                    for o in &result.outcomes {
                        match o {
                            crate::eval::Outcome::Op(_) => stats.ops += 1,
                            crate::eval::Outcome::Error(_) => stats.errors += 1,
                            crate::eval::Outcome::Skipped(_) => {}
                        }
                    }
                    push_jsonl(&mut buf, line_no, &result);
                }
                Err(e) => {
                    stats.malformed += 1;
                    eprintln!("line {line_no}: malformed event: {e}");
                    malformed_line(&mut buf, line_no, &e.to_string());
                }
            }
            if buf.len() >= OUT_CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        spare = Some((scratch.recycle(), result.recycle()));
    }
    out.write_all(&buf)?;
    Ok(stats)
}

/// The output line of an event that could not be read.
fn malformed_line(buf: &mut Vec<u8>, line: usize, message: &str) {
    let message = serde_json::Value::from(message);
    let _ = writeln!(
        buf,
        "{{\"line\":{line},\"error\":{{\"code\":\"MALFORMED_EVENT\",\"message\":{message}}}}}"
    );
}

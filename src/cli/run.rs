//! `sfmap run`: deliver events to Salesforce.

use std::io::{BufRead, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use crate::event::jsonl::{LineError, LineReader};
use crate::run::executor::{Executor, Options, RunError, Summary};
use crate::run::ledger::Ledger;

/// Deliver events (JSONL) to Salesforce through a mapping file: batched lookups, sObject
/// Collections or Bulk API 2.0 writes, and every event's outcome recorded in a ledger.
///
/// Running again with the same ledger delivers what is left: events already delivered are
/// skipped, events in flight when a run stopped are checked before being written again.
///
/// Exit status: 0 every event ok, 1 some events failed (see --report and --dead-letter),
/// 2 configuration, connection or authentication errors.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The mapping file.
    pub file: PathBuf,
    /// Events, one JSON object per line; `-` for standard input.
    #[arg(long, short, default_value = "-")]
    pub events: PathBuf,
    /// `local` runs against an embedded emulated org (fresh and in memory).
    #[arg(long)]
    pub org: Option<String>,
    /// The sfmap.toml profile to deliver to (after `sfmap login --profile NAME`); default: the
    /// `default_profile`, unless `--org local` or SFMAP_ACCESS_TOKEN is given.
    #[arg(long)]
    pub profile: Option<String>,
    /// The credentials file `sfmap login` wrote (default: $SFMAP_CREDENTIALS or
    /// ~/.config/sfmap/credentials.json).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// Write each event's outcome as JSONL here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The run ledger (SQLite). Default: `.sfmap/ledger.sqlite`; in memory with `--org local`.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Append the original line of each failed event here, for `sfmap replay`.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Evaluate and look records up (read-only), write nothing; the report says what would happen.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop cleanly after this many API calls (run again to continue).
    #[arg(long)]
    pub max_api_calls: Option<u64>,
    /// Operations per mapping collected before they are sent.
    #[arg(long, default_value_t = 2000)]
    pub flush_size: usize,
    /// Flushes with more records than this use Bulk API 2.0.
    #[arg(long, default_value_t = 20_000)]
    pub bulk_threshold: usize,
    /// A describe file of your org (see `check --schema`).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Salesforce API version.
    #[arg(long, default_value = "62.0")]
    pub api_version: String,
}

pub fn run(args: &RunArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return super::usage_error(&format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run_async(args))
}

async fn run_async(args: &RunArgs) -> ExitCode {
    let config = match crate::config::Config::discover(&args.file) {
        Ok(c) => c,
        Err(e) => return super::usage_error(&e.to_string()),
    };
    let schema_path = args.schema.clone().or_else(|| config.schema_path());
    let loaded = match load::load_for_use(&args.file, args.schema.as_deref(), 2) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let org = super::connect::OrgChoice {
        org: args.org.as_deref(),
        profile: args.profile.as_deref(),
        credentials: args.credentials.as_deref(),
        api_version: &args.api_version,
        local_schema: schema_path,
    };
    let (client, emulator) = match super::connect::connect(&config, org).await {
        Ok(pair) => pair,
        Err(e) => return super::usage_error(&e),
    };
    let local = emulator.is_some();
    let ledger_path = args
        .ledger
        .clone()
        .or_else(|| (!local).then(|| PathBuf::from(".sfmap/ledger.sqlite")));
    if let Some(dir) = ledger_path.as_ref().and_then(|p| p.parent()) {
        if !dir.as_os_str().is_empty() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return super::usage_error(&format!("cannot create {}: {e}", dir.display()));
            }
        }
    }
    let ledger = match Ledger::open(ledger_path.as_deref()) {
        Ok(l) => l,
        Err(e) => return super::usage_error(&e.to_string()),
    };
    let opts = Options {
        flush_size: args.flush_size.max(1),
        bulk_threshold: args.bulk_threshold,
        dry_run: args.dry_run,
        max_api_calls: args.max_api_calls,
    };
    let plan = &loaded.compiled.plan;
    let mut exec = Executor::new(plan, client, ledger, opts);
    if let Some(p) = &args.report {
        match std::fs::File::create(p) {
            Ok(f) => exec = exec.with_report(BufWriter::new(f)),
            Err(e) => return super::usage_error(&format!("cannot write {}: {e}", p.display())),
        }
    }
    if let Some(p) = &args.dead_letter {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            Ok(f) => exec = exec.with_dead_letter(BufWriter::new(f)),
            Err(e) => return super::usage_error(&format!("cannot write {}: {e}", p.display())),
        }
    }
    let input: Box<dyn BufRead + Send> = if args.events.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                return super::usage_error(&format!("cannot read {}: {e}", args.events.display()));
            }
        }
    };
    let progress = progress_bar();
    let mut reader = LineReader::new(input);
    let result: Result<Summary, RunError> = async {
        while let Some(next) = reader.next_line() {
            match next {
                Ok((line_no, line)) => exec.push(line_no, line).await?,
                Err(LineError::Io(e)) => return Err(RunError::Report(e)),
                Err(LineError::InvalidUtf8 { line, .. }) => exec.push(line, "\u{0}").await?,
            }
            if let Some(p) = &progress {
                p.inc(1);
                if p.position() % 1000 == 0 {
                    p.set_message(format!("{} API calls", exec.summary().api_calls));
                }
            }
        }
        exec.finish().await
    }
    .await;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    match result {
        Ok(summary) => {
            print_summary(&summary, args.dry_run);
            let failed = summary.outcomes.get("failed").copied().unwrap_or(0);
            if failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(RunError::Budget(n)) => {
            eprintln!(
                "stopped: the API budget of {n} calls is spent; run again with the same ledger to deliver the rest"
            );
            ExitCode::from(1)
        }
        Err(e) => super::usage_error(&e.to_string()),
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} events  {per_sec}  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    Some(bar)
}

fn print_summary(s: &Summary, dry_run: bool) {
    let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{v} {k}")).collect();
    eprintln!(
        "{}{} events: {}{}",
        if dry_run { "dry run: " } else { "" },
        s.events,
        if outcomes.is_empty() {
            "nothing to do".to_string()
        } else {
            outcomes.join(", ")
        },
        if s.already_done > 0 {
            format!(" ({} already delivered by an earlier run)", s.already_done)
        } else {
            String::new()
        }
    );
    let per_event = if s.events > 0 {
        s.api_calls as f64 * 1000.0 / s.events as f64
    } else {
        0.0
    };
    eprintln!(
        "API calls: {} ({per_event:.1} per 1,000 events)",
        s.api_calls
    );
    if let Some((used, max)) = s.limits {
        eprintln!(
            "daily API limit: {used} of {max} used, {} left",
            max.saturating_sub(used)
        );
    }
}

//! `sfmap run`: deliver events to Salesforce.

use std::io::{BufRead, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::load;
use super::run_summary::{self, JsonSummary, Status};
use crate::outcome::Outcome;
use crate::run::budget::ApiBudget;
use crate::run::executor::{Executor, Options, RunError, Summary};
use crate::run::ledger::Ledger;
use crate::run::stream::{self, End, Input, Stop};
use crate::salesforce::{ClientOptions, RetryPolicy};

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
    /// Write each failed event here, with its code, message, mapping and original line byte
    /// for byte, for `sfmap replay`. The file is rewritten each run; the previous one is kept
    /// as FILE.prev.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Evaluate and look records up (read-only), write nothing: each event's would_create,
    /// would_update, skip or failure, with the fields that would change (`{"from", "to"}`),
    /// goes to --report, or to stdout. The ledger is not touched.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop cleanly before passing this many API calls: a number (5000), or a share of the
    /// org's daily allocation (10%). Run again with the same ledger to deliver the rest.
    #[arg(long, value_name = "N|P%")]
    pub max_api_calls: Option<ApiBudget>,
    /// On REQUEST_LIMIT_EXCEEDED (the org's daily allocation is spent), wait this long before
    /// trying again (500ms, 30s, 5m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub limit_wait: std::time::Duration,
    /// How many times to wait --limit-wait before the events fail with REQUEST_LIMIT_EXCEEDED
    /// (they go to the dead letter file, for `sfmap replay`).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub limit_retries: u32,
    /// Operations per mapping collected before they are sent.
    #[arg(long, default_value_t = 2000)]
    pub flush_size: usize,
    /// Send a mapping's waiting operations once the oldest has waited this long, even if
    /// fewer than --flush-size (500ms, 2s, 1m): a slow stream on standard input is
    /// delivered as it arrives. Default: wait for --flush-size or the end of the input.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<std::time::Duration>,
    /// Flushes with more records than this use Bulk API 2.0.
    #[arg(long, default_value_t = 20_000)]
    pub bulk_threshold: usize,
    /// A describe file of your org (see `check --schema`).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// `json`: one JSON summary object on stdout at the end (events, outcomes, API calls, the
    /// daily limit left, the org, the duration, the files written; see docs/cli.md).
    #[arg(long, value_enum, default_value_t = super::check::Format::Human)]
    pub format: super::check::Format,
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
    if let Err(why) = check_events_path(&args.events) {
        return super::usage_error(&why);
    }
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
        client: ClientOptions {
            retry: RetryPolicy {
                limit_wait: args.limit_wait,
                limit_retries: args.limit_retries,
                ..RetryPolicy::default()
            },
            // The dry run's safety net: the client refuses anything that could write.
            read_only: args.dry_run,
            ..ClientOptions::default()
        },
    };
    let super::connect::Connected {
        client,
        emulator,
        source,
    } = match super::connect::connect(&config, org).await {
        Ok(c) => c,
        Err(e) => return super::usage_error(&e),
    };
    // Before the first write: where this run delivers, and the org its ledger entries are for.
    let identity = match client.identity().await {
        Ok(i) => i,
        Err(e) => return super::usage_error(&format!("cannot tell which org this is: {e}")),
    };
    eprintln!(
        "{} {} · org {} · {} · {source}",
        if args.dry_run {
            "dry run against"
        } else {
            "delivering to"
        },
        identity.instance_url.trim_end_matches('/'),
        identity.org_id,
        identity.username,
    );
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
    let ledger = match Ledger::open(ledger_path.as_deref())
        .and_then(|l| l.for_org(&identity.org_id))
    {
        Ok((l, adopted)) => {
            if adopted > 0 {
                eprintln!(
                    "ledger: {adopted} entries from before ledgers were kept per org are now org {}'s",
                    identity.org_id
                );
            }
            l
        }
        Err(e) => return super::usage_error(&e.to_string()),
    };
    let opts = Options {
        flush_size: args.flush_size.max(1),
        bulk_threshold: args.bulk_threshold,
        dry_run: args.dry_run,
        max_api_calls: args.max_api_calls,
        max_wait: args.max_wait,
        ..Options::default()
    };
    let plan = &loaded.compiled.plan;
    let mut exec = Executor::new(plan, client, ledger, opts);
    if let Some(p) = &args.report {
        match std::fs::File::create(p) {
            Ok(f) => exec = exec.with_report(BufWriter::new(f)),
            Err(e) => return super::usage_error(&format!("cannot write {}: {e}", p.display())),
        }
    }
    let json = matches!(args.format, super::check::Format::Json);
    if args.dry_run && args.report.is_none() && !json {
        // A dry run shows what would happen to each event; without --report, on stdout.
        exec = exec.with_report(std::io::LineWriter::new(std::io::stdout()));
    }
    let input: Box<dyn BufRead + Send + 'static> = if args.events.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                return super::usage_error(&format!("cannot read {}: {e}", args.events.display()));
            }
        }
    };
    // The input is open before the dead letter file is rotated: `replay` may read the very
    // file it will rewrite.
    if let Some(p) = &args.dead_letter {
        match open_dead_letter(p) {
            Ok(f) => exec = exec.with_dead_letter(BufWriter::new(f)),
            Err(e) => return super::usage_error(&format!("cannot write {}: {e}", p.display())),
        }
    }
    let size = (args.events.as_os_str() != "-")
        .then(|| std::fs::metadata(&args.events).ok().map(|m| m.len()))
        .flatten();
    let progress = progress_bar(size);
    let (mut lines, reader) = stream::read_lines(input);
    let started = std::time::Instant::now();
    let stop = watch_signals();
    let ended: Result<Option<Stop>, RunError> = async {
        let end = stream::deliver(&mut exec, &mut lines, stop, |exec, input| {
            let Some(p) = &progress else { return };
            let bytes = match input {
                Input::Line { bytes, .. } => *bytes,
                Input::Unreadable { .. } => 0,
            };
            p.inc(if size.is_some() { bytes } else { 1 });
            if exec.summary().events % 500 == 0 {
                p.set_message(progress_message(
                    exec.summary(),
                    exec.api_calls(),
                    exec.limits(),
                    started,
                ));
            }
        })
        .await?;
        drop(lines);
        if let End::Stopped(signal) = end {
            // The reader may be blocked on a quiet input: it ends with the process.
            return Ok(Some(signal));
        }
        match reader.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(RunError::Input(e)),
            Err(_) => {
                return Err(RunError::Input(std::io::Error::other(
                    "the reader panicked",
                )));
            }
        }
        exec.flush_all().await?;
        Ok(None)
    }
    .await;
    // However the run ended, the report and the dead letter are written out and the counts
    // kept for the summary.
    let stopped = exec.stop();
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    let files = run_summary::Files {
        report: args.report.as_deref(),
        dead_letter: args.dead_letter.as_deref(),
        ledger: ledger_path.as_deref(),
    };
    let (summary, waiting) = match stopped {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print_summary(&summary, args.dry_run);
    let (code, status, message) = match ended {
        Ok(Some(signal)) => (
            signal.exit_code(),
            Status::Stopped,
            Some(format!(
                "stopped by {}: the flush in flight was finished{}",
                signal.name(),
                left_for_later(waiting)
            )),
        ),
        Ok(None) if summary.count(Outcome::Failed) > 0 => (1, Status::Failed, None),
        Ok(None) => (0, Status::Ok, None),
        Err(RunError::Budget(n)) => (
            1,
            Status::Stopped,
            Some(format!(
                "stopped: the API budget of {n} calls is spent{}",
                left_for_later(waiting)
            )),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            (2, Status::Error, Some(e.to_string()))
        }
    };
    let resume = (status == Status::Stopped).then(resume_command);
    if let (Some(message), Some(resume)) = (&message, &resume) {
        eprintln!("{message}; to deliver the rest, run again with the same ledger:\n  {resume}");
    }
    if json {
        let mut j = JsonSummary::new(&summary, status, code).org(&identity, &source);
        j.dry_run = args.dry_run;
        j.duration_ms = started.elapsed().as_millis() as u64;
        j.files = files;
        j.message = message;
        j.resume = resume;
        j.print();
    }
    ExitCode::from(code)
}

/// `, N operations read but not sent go out then` when some were left waiting.
fn left_for_later(waiting: usize) -> String {
    if waiting > 0 {
        format!(", {waiting} operations read but not sent go out then")
    } else {
        String::new()
    }
}

/// The first SIGINT or SIGTERM stops the run after the flush in flight; a second one ends the
/// process at once (the ledger is crash-safe: the next run resumes what was in flight).
fn watch_signals() -> impl std::future::Future<Output = Stop> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let first = stream::stop_signal().await;
        eprintln!(
            "\nstopping after the flush in flight ({} again to stop at once; the next run resumes)",
            first.name()
        );
        let _ = tx.send(first);
        let again = stream::stop_signal().await;
        std::process::exit(i32::from(again.exit_code()));
    });
    async move {
        match rx.await {
            Ok(stop) => stop,
            Err(_) => std::future::pending().await,
        }
    }
}

/// This command line, quoted for a POSIX shell: what to run to resume.
fn resume_command() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dead letter file, rewritten for this run: an earlier one (the events an earlier run
/// failed, which this run may be replaying) is kept as `FILE.prev`, so entries never pile up
/// twice.
fn open_dead_letter(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        let mut prev = path.as_os_str().to_owned();
        prev.push(".prev");
        std::fs::rename(path, prev)?;
    }
    std::fs::File::create(path)
}

/// `--events` names a file that can be read (or `-`): checked before connecting to the org.
fn check_events_path(path: &std::path::Path) -> Result<(), String> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(format!(
            "--events {shown} is a folder: give a JSONL file of events, or - for standard input"
        )),
        Ok(_) => std::fs::File::open(path)
            .map(drop)
            .map_err(|e| format!("--events {shown}: cannot read it: {e}")),
        Err(e) => Err(format!("--events {shown}: {e}")),
    }
}

/// `500ms`, `30s`, `5m`, `1h` (a bare number is seconds).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t, "s"), |i| t.split_at(i));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration like 500ms, 30s, 5m or 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: the unit must be ms, s, m or h")),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

/// On a terminal: a bar over the input file's bytes (a spinner for standard input), with
/// events, events/s and the API calls spent so far.
fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let (bar, template) = match size {
        Some(n) => (
            indicatif::ProgressBar::new(n),
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}  {msg}",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "{spinner} [{elapsed_precise}] {msg}",
        ),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

/// `12,500 events · 3,120/s · 6,100 created · 6,300 updated · 100 failed · 104 API calls (8.3 per
/// 1,000) · 14,900 of the daily limit left`.
fn progress_message(
    s: &Summary,
    api_calls: u64,
    limits: Option<(u64, u64)>,
    started: std::time::Instant,
) -> String {
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    let per_1000 = s.per_1000_events(api_calls);
    let mut text = format!(
        "{} events · {:.0}/s · {} created · {} updated · {} failed · {api_calls} API calls ({per_1000:.1} per 1,000)",
        s.events,
        s.events as f64 / secs,
        s.count(Outcome::Created),
        s.count(Outcome::Updated),
        s.count(Outcome::Failed),
    );
    if let Some((used, max)) = limits {
        text.push_str(&format!(
            " · {} of the daily limit left",
            max.saturating_sub(used)
        ));
    }
    text
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
    let per_event = s.per_1000_events(s.api_calls);
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

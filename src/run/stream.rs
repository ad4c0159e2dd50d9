//! Driving the executor over a stream of lines: a file, standard input, a pipe that trickles.
//!
//! The lines are read on a thread of their own, so a slow stream never holds a flush back: a
//! mapping's queue goes out when it is full, or once its oldest operation has waited
//! `max_wait`, whichever comes first; the rest at the end of the input.

use std::io::BufRead;

use tokio::sync::mpsc;

use super::dead_letter;
use super::executor::{Executor, RunError};
use crate::event::jsonl::{LineError, LineReader};

/// One line of input, read.
#[derive(Debug)]
pub enum Input {
    /// A line of text, and the bytes it took (for progress over a file).
    Line {
        line: usize,
        text: String,
        bytes: u64,
    },
    /// A line that is not UTF-8: it fails on its own (its bytes go to the dead letter file),
    /// reading goes on.
    Unreadable {
        line: usize,
        raw: Vec<u8>,
        why: String,
    },
}

/// Lines buffered between the reading thread and the executor.
const CHANNEL_LINES: usize = 4096;

/// Reads `input` on a thread of its own; the lines arrive on the receiver, in order. The
/// channel closes at the end of the input, or with the error that stopped the reading.
pub fn read_lines(
    input: impl BufRead + Send + 'static,
) -> (
    mpsc::Receiver<Input>,
    std::thread::JoinHandle<Result<(), std::io::Error>>,
) {
    let (tx, rx) = mpsc::channel(CHANNEL_LINES);
    let reader = std::thread::spawn(move || {
        let mut lines = LineReader::new(input);
        // The line of the last dead letter entry: an event that failed for two mappings has
        // two entries, and is sent again once.
        let mut last_entry = None;
        loop {
            let item = match lines.next_line() {
                None => break,
                Some(Ok((line, text))) => match dead_letter::Entry::read(text) {
                    None => Input::Line {
                        line,
                        bytes: text.len() as u64 + 1,
                        text: text.to_string(),
                    },
                    Some(entry) => {
                        let bytes = text.len() as u64 + 1;
                        match entry.and_then(|e| e.raw().map(|raw| (e.line, raw))) {
                            Ok((original, _)) if last_entry == Some(original) => continue,
                            Ok((original, raw)) => {
                                last_entry = Some(original);
                                from_entry(original, raw, bytes)
                            }
                            Err(why) => Input::Unreadable {
                                line,
                                raw: text.as_bytes().to_vec(),
                                why: format!("line {line}: {why}"),
                            },
                        }
                    }
                },
                Some(Err(LineError::Io(e))) => return Err(e),
                Some(Err(e @ LineError::InvalidUtf8 { line, .. })) => Input::Unreadable {
                    line,
                    raw: lines.last_line().to_vec(),
                    why: e.to_string(),
                },
            };
            if tx.blocking_send(item).is_err() {
                // The executor stopped (an error, or the run was stopped): stop reading.
                return Ok(());
            }
        }
        Ok(())
    });
    (rx, reader)
}

/// Why [`deliver`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The input ended: call `finish` to send what waits.
    Input,
    /// A signal asked to stop: the push in flight was finished, nothing more was taken.
    Stopped(Stop),
}

/// A request to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    /// The exit status of a process stopped this way (128 + the signal's number).
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM (never, where signals cannot be watched).
pub async fn stop_signal() -> Stop {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            return tokio::select! {
                _ = int.recv() => Stop::Interrupt,
                _ = term.recv() => Stop::Terminate,
            };
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        return Stop::Interrupt;
    }
    std::future::pending().await
}

/// The event a dead letter entry holds, as the line it was in its first input (so an event
/// without a messageId keeps its ledger key, `line:N`).
fn from_entry(line: usize, raw: Vec<u8>, bytes: u64) -> Input {
    match String::from_utf8(raw) {
        Ok(text) => Input::Line { line, text, bytes },
        Err(e) => Input::Unreadable {
            line,
            why: LineError::InvalidUtf8 {
                line,
                offset: e.utf8_error().valid_up_to(),
            }
            .to_string(),
            raw: e.into_bytes(),
        },
    }
}

/// Pushes every line of `rx` into the executor, flushing queues that fall due by age while
/// the stream is quiet, until the input ends or `stop` resolves (between two pushes: a flush
/// in flight is finished, so the ledger is as a completed flush leaves it); `on_input` sees
/// each input after it is pushed (for progress).
pub async fn deliver(
    exec: &mut Executor<'_>,
    rx: &mut mpsc::Receiver<Input>,
    stop: impl std::future::Future<Output = Stop>,
    mut on_input: impl FnMut(&Executor<'_>, &Input),
) -> Result<End, RunError> {
    tokio::pin!(stop);
    loop {
        let deadline = exec.next_deadline();
        let next = tokio::select! {
            biased;
            s = &mut stop => return Ok(End::Stopped(s)),
            next = rx.recv() => Some(next),
            () = sleep_until(deadline) => None,
        };
        match next {
            // The oldest waiting operation has waited long enough.
            None => exec.flush_due().await?,
            Some(None) => return Ok(End::Input),
            Some(Some(input)) => {
                match &input {
                    Input::Line { line, text, .. } => exec.push(*line, text).await?,
                    Input::Unreadable { line, raw, why } => {
                        exec.push_unreadable(*line, raw, why)?
                    }
                }
                on_input(exec, &input);
            }
        }
    }
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

//! Driving the executor over a stream of lines: a file, standard input, a pipe that trickles.
//!
//! The lines are read on a thread of their own, so a slow stream never holds a flush back: a
//! mapping's queue goes out when it is full, or once its oldest operation has waited
//! `max_wait`, whichever comes first; the rest at the end of the input.

use std::io::BufRead;

use tokio::sync::mpsc;

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
    /// A line that is not UTF-8: it fails on its own, reading goes on.
    Unreadable { line: usize, why: String },
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
        while let Some(next) = lines.next_line() {
            let item = match next {
                Ok((line, text)) => Input::Line {
                    line,
                    bytes: text.len() as u64 + 1,
                    text: text.to_string(),
                },
                Err(LineError::Io(e)) => return Err(e),
                Err(e @ LineError::InvalidUtf8 { line, .. }) => Input::Unreadable {
                    line,
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

/// Pushes every line of `rx` into the executor, flushing queues that fall due by age while
/// the stream is quiet; `on_input` sees each input after it is pushed (for progress).
pub async fn deliver(
    exec: &mut Executor<'_>,
    rx: &mut mpsc::Receiver<Input>,
    mut on_input: impl FnMut(&Executor<'_>, &Input),
) -> Result<(), RunError> {
    loop {
        let next = match exec.next_deadline() {
            Some(deadline) => {
                tokio::select! {
                    biased;
                    next = rx.recv() => Some(next),
                    () = tokio::time::sleep_until(deadline.into()) => None,
                }
            }
            None => Some(rx.recv().await),
        };
        match next {
            // The oldest waiting operation has waited long enough.
            None => exec.flush_due().await?,
            Some(None) => return Ok(()),
            Some(Some(input)) => {
                match &input {
                    Input::Line { line, text, .. } => exec.push(*line, text).await?,
                    Input::Unreadable { line, why } => exec.push_unreadable(*line, why)?,
                }
                on_input(exec, &input);
            }
        }
    }
}

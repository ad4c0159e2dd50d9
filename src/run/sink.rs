//! What a run tells the world as it goes: every settled event and every flush, as events a
//! host subscribes to. `run` writes the report and dead letter files through sinks and drives
//! its progress display from them; a service counts metrics the same way.

use std::io::Write;
use std::time::Duration;

use super::settlement::Settlement;
use crate::outcome::Outcome;

/// How one event's settlement was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Recorded in the ledger (a real run).
    Recorded,
    /// Reported only: a dry run, or an event an earlier run delivered.
    ReportedOnly,
}

/// One flush that went out.
#[derive(Debug, Clone)]
pub struct FlushDone<'a> {
    pub mapping: &'a str,
    /// Events the flush settled.
    pub events: usize,
    /// API calls it spent.
    pub api_calls: u64,
    /// API calls the run has spent so far.
    pub total_api_calls: u64,
    pub elapsed: Duration,
}

/// A subscriber to a run's events. Errors stop the run (a report that cannot be written is a
/// run that cannot be trusted).
pub trait Sink: Send {
    /// An event settled for one mapping; `raw` is its original line when it failed (empty
    /// otherwise). Settlements come in input order.
    fn settled(&mut self, s: &Settlement, raw: &[u8], kept: Kept) -> std::io::Result<()>;

    /// A flush went out.
    fn flushed(&mut self, _flush: &FlushDone<'_>) -> std::io::Result<()> {
        Ok(())
    }

    /// The run is over: write out what is buffered.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `--report`: every settlement as a JSON line.
pub struct JsonlReport<W: Write + Send>(pub W);

impl<W: Write + Send> Sink for JsonlReport<W> {
    fn settled(&mut self, s: &Settlement, _raw: &[u8], _kept: Kept) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.0, s).map_err(std::io::Error::other)?;
        self.0.write_all(b"\n")
    }

    /// After each flush the report is written out: a stream's outcomes show as they settle.
    fn flushed(&mut self, _flush: &FlushDone<'_>) -> std::io::Result<()> {
        self.0.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `--dead-letter`: an entry for each failed event a real run recorded, with why and its
/// original line ([`super::dead_letter`]), for `sfmap replay`. Each entry is one write of a
/// whole line.
pub struct DeadLetter<W: Write + Send>(pub W);

impl<W: Write + Send> Sink for DeadLetter<W> {
    fn settled(&mut self, s: &Settlement, raw: &[u8], kept: Kept) -> std::io::Result<()> {
        if s.outcome == Outcome::Failed && kept == Kept::Recorded && !raw.is_empty() {
            let entry = super::dead_letter::Entry::new(s, raw);
            let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
            line.push(b'\n');
            self.0.write_all(&line)?;
        }
        Ok(())
    }

    fn flushed(&mut self, _flush: &FlushDone<'_>) -> std::io::Result<()> {
        self.0.flush()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

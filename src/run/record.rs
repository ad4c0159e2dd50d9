//! Recording: each settlement goes to the ledger (a real run), to the summary's counts and to
//! every sink (report, dead letter, the host's own).

use std::collections::BTreeMap;

use super::executor::RunError;
use super::ledger::Ledger;
use super::settlement::Settlement;
use super::sink::{FlushDone, Kept, Sink};
use crate::outcome::Outcome;

/// Counts for the final summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub events: u64,
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Events a previous run already delivered (from the ledger).
    pub already_done: u64,
    pub api_calls: u64,
    pub limits: Option<(u64, u64)>,
}

impl Summary {
    /// How many events ended with this outcome.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }
}

/// The ledger, the counts and the sinks of one run.
pub struct Recorder<'p> {
    pub ledger: Ledger,
    pub summary: Summary,
    sinks: Vec<Box<dyn Sink + 'p>>,
    /// A dry run records nothing: a later real run with this ledger must deliver every event.
    dry_run: bool,
}

impl<'p> Recorder<'p> {
    pub fn new(ledger: Ledger, dry_run: bool) -> Recorder<'p> {
        Recorder {
            ledger,
            summary: Summary::default(),
            sinks: Vec::new(),
            dry_run,
        }
    }

    pub fn add_sink(&mut self, sink: Box<dyn Sink + 'p>) {
        self.sinks.push(sink);
    }

    /// Records outcomes (with each event's original line): ledger, counts, sinks.
    pub fn settle(&mut self, outcomes: &[(Settlement, String)]) -> Result<(), RunError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let kept = if self.dry_run {
            Kept::ReportedOnly
        } else {
            let list: Vec<Settlement> = outcomes.iter().map(|(o, _)| o.clone()).collect();
            self.ledger.record(&list)?;
            Kept::Recorded
        };
        for (o, raw) in outcomes {
            *self.summary.outcomes.entry(o.outcome).or_default() += 1;
            self.tell(o, raw, kept)?;
        }
        Ok(())
    }

    /// An event an earlier run (or an earlier copy) delivered: reported, not counted as an
    /// outcome of this run, and the ledger keeps the first outcome.
    pub fn already_delivered(&mut self, o: &Settlement) -> Result<(), RunError> {
        self.summary.already_done += 1;
        self.tell(o, "", Kept::ReportedOnly)
    }

    /// A copy of an event waiting in this flush: counted and reported, never recorded (the
    /// ledger row belongs to the first copy, still to be delivered).
    pub fn duplicate(&mut self, o: &Settlement) -> Result<(), RunError> {
        *self.summary.outcomes.entry(o.outcome).or_default() += 1;
        self.tell(o, "", Kept::ReportedOnly)
    }

    pub fn flushed(&mut self, flush: &FlushDone<'_>) -> Result<(), RunError> {
        for s in &mut self.sinks {
            s.flushed(flush)?;
        }
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), RunError> {
        for s in &mut self.sinks {
            s.finish()?;
        }
        Ok(())
    }

    fn tell(&mut self, o: &Settlement, raw: &str, kept: Kept) -> Result<(), RunError> {
        for s in &mut self.sinks {
            s.settled(o, raw, kept)?;
        }
        Ok(())
    }
}

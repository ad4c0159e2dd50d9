//! Recording: each settlement goes to the ledger (a real run), to the summary's counts and to
//! every sink (report, dead letter, the host's own).

use std::collections::{BTreeMap, VecDeque};

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
    /// `api_calls` per 1,000 events (0 without events).
    pub fn per_1000_events(&self, api_calls: u64) -> f64 {
        if self.events == 0 {
            return 0.0;
        }
        api_calls as f64 * 1000.0 / self.events as f64
    }

    /// How many events ended with this outcome.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }
}

/// The ledger, the counts and the sinks of one run.
///
/// The ledger records each settlement as it comes; the sinks see them **in input order**: a
/// settlement waits until every earlier event has settled for all its mappings (events wait
/// in flushes of different mappings, which go out at different times).
pub struct Recorder<'p> {
    pub ledger: Ledger,
    pub summary: Summary,
    sinks: Vec<Box<dyn Sink + 'p>>,
    /// A dry run records nothing: a later real run with this ledger must deliver every event.
    dry_run: bool,
    order: InputOrder,
}

/// A settlement as the sinks get it: with the event's original line and how it was kept.
type Told = (Settlement, Vec<u8>, Kept);

/// Settlements held back until the events before them have settled.
#[derive(Default)]
struct InputOrder {
    /// The next event's sequence number.
    next: u64,
    /// The first event not yet told to the sinks.
    first: u64,
    /// Per event from `first` on: settlements still to come, and the ones held.
    events: VecDeque<(usize, Vec<Told>)>,
}

impl InputOrder {
    fn expect(&mut self, settlements: usize) -> u64 {
        self.events.push_back((settlements, Vec::new()));
        self.next += 1;
        self.next - 1
    }

    /// Holds one settlement; returns those now in order, earliest first.
    fn hold(&mut self, s: Settlement, raw: Vec<u8>, kept: Kept) -> Vec<Told> {
        let at = s.seq.checked_sub(self.first).map(|i| i as usize);
        match at.and_then(|i| self.events.get_mut(i)) {
            Some((left, held)) => {
                *left = left.saturating_sub(1);
                held.push((s, raw, kept));
            }
            // Not an event of this run's order (a library caller's own): told at once.
            None => return vec![(s, raw, kept)],
        }
        let mut ready = Vec::new();
        while self.events.front().is_some_and(|(left, _)| *left == 0) {
            if let Some((_, held)) = self.events.pop_front() {
                ready.extend(held);
            }
            self.first += 1;
        }
        ready
    }

    /// Everything held, in order (the run ends: events that will not settle are skipped).
    fn drain(&mut self) -> Vec<Told> {
        self.first = self.next;
        self.events.drain(..).flat_map(|(_, held)| held).collect()
    }
}

impl<'p> Recorder<'p> {
    pub fn new(ledger: Ledger, dry_run: bool) -> Recorder<'p> {
        Recorder {
            ledger,
            summary: Summary::default(),
            sinks: Vec::new(),
            dry_run,
            order: InputOrder::default(),
        }
    }

    /// Numbers the next event of the input, which will settle `settlements` times (once per
    /// mapping that fires on it, or once).
    pub fn expect(&mut self, settlements: usize) -> u64 {
        self.order.expect(settlements)
    }

    pub fn add_sink(&mut self, sink: Box<dyn Sink + 'p>) {
        self.sinks.push(sink);
    }

    /// Records outcomes (with each event's original line): ledger, counts, sinks.
    pub fn settle(&mut self, outcomes: &[(Settlement, Vec<u8>)]) -> Result<(), RunError> {
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
        self.tell(o, b"", Kept::ReportedOnly)
    }

    /// A copy of an event waiting in this flush: counted and reported, never recorded (the
    /// ledger row belongs to the first copy, still to be delivered).
    pub fn duplicate(&mut self, o: &Settlement) -> Result<(), RunError> {
        *self.summary.outcomes.entry(o.outcome).or_default() += 1;
        self.tell(o, b"", Kept::ReportedOnly)
    }

    pub fn flushed(&mut self, flush: &FlushDone<'_>) -> Result<(), RunError> {
        for s in &mut self.sinks {
            s.flushed(flush)?;
        }
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), RunError> {
        let held = self.order.drain();
        self.tell_all(held)?;
        for s in &mut self.sinks {
            s.finish()?;
        }
        Ok(())
    }

    fn tell(&mut self, o: &Settlement, raw: &[u8], kept: Kept) -> Result<(), RunError> {
        // Held settlements keep the original line only when it failed (the dead letter's
        // need): memory stays small while a rare mapping's flush holds the order back.
        let raw = if o.outcome == Outcome::Failed {
            raw.to_vec()
        } else {
            Vec::new()
        };
        let ready = self.order.hold(o.clone(), raw, kept);
        self.tell_all(ready)
    }

    fn tell_all(&mut self, ready: Vec<Told>) -> Result<(), RunError> {
        for (o, raw, kept) in &ready {
            for s in &mut self.sinks {
                s.settled(o, raw, *kept)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: u64, mapping: &str) -> Settlement {
        Settlement::skipped("k", seq as usize + 1, mapping, "x").at(seq)
    }

    fn told(ready: Vec<Told>) -> Vec<(u64, String)> {
        ready
            .into_iter()
            .map(|(s, _, _)| (s.seq, s.mapping))
            .collect()
    }

    #[test]
    fn settlements_are_told_in_input_order() {
        let mut o = InputOrder::default();
        assert_eq!(o.expect(2), 0); // fires two mappings
        assert_eq!(o.expect(1), 1);
        assert_eq!(o.expect(1), 2);
        // Event 1's flush goes out first: held.
        assert!(o.hold(at(1, "b"), Vec::new(), Kept::Recorded).is_empty());
        assert!(o.hold(at(0, "a"), Vec::new(), Kept::Recorded).is_empty());
        // Event 0's second mapping settles: 0 and 1 are told, in order.
        assert_eq!(
            told(o.hold(at(0, "b"), Vec::new(), Kept::Recorded)),
            [(0, "a".into()), (0, "b".into()), (1, "b".into())]
        );
        // Event 2 has not settled, and nothing of it is held.
        assert!(o.drain().is_empty());
    }

    #[test]
    fn the_end_tells_what_is_held() {
        let mut o = InputOrder::default();
        o.expect(1);
        o.expect(1);
        assert!(o.hold(at(1, "a"), Vec::new(), Kept::Recorded).is_empty());
        assert_eq!(told(o.drain()), [(1, "a".into())]);
    }
}

//! The eval pipeline: JSONL in, record-operation JSONL out, on one thread or several.
//!
//! The input comes as chunks of whole lines ([`Chunks`]). Each worker takes the next chunk,
//! evaluates its events into buffers of its own, and hands the result to the [`Ordered`]
//! writer, which writes results in input order. The calling thread is one of the workers, so
//! one job runs everything on it and starts no thread. Workers take chunks as they become
//! free, so a thread slowed by other work on the machine simply takes fewer.
//!
//! A worker knows its chunk's bytes but not the number of its first line: that needs every
//! earlier chunk's line count. So it writes each output line without its `{"line":N` start,
//! numbered within the chunk, and the writer (which takes chunks in order and so knows how
//! many lines came before) puts the start in front. Nothing is counted twice and no worker
//! waits for another's count. The output is byte for byte the same for any number of jobs.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{
    Evaluator, EventResult, Outcome, Scratch, push_line_start, push_outcome_rest,
    push_unreadable_rest,
};
use crate::event::ReadErrorKind;
use crate::event::chunks::Chunks;
use crate::event::jsonl::{byte_lines, skip_bom};
use crate::outcome::RunCode;
use crate::plan::Plan;

/// What a stream held: events (input lines, malformed ones included), record operations,
/// evaluation errors and malformed lines. `sfmap eval` prints them as its summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub events: usize,
    pub ops: usize,
    pub errors: usize,
    pub malformed: usize,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.events += other.events;
        self.ops += other.ops;
        self.errors += other.errors;
        self.malformed += other.malformed;
    }
}

/// How many evaluated chunks may wait for an earlier one before workers pause: bounds memory
/// (about 100 KB of output per chunk of the standard events) when a worker is held up or the
/// output is blocked. A virtual machine's core can be taken away for 10 ms and more (measured:
/// up to 19 chunks waited in the eval benchmark); the other workers should go on meanwhile.
const MAX_WAITING: usize = 64;

/// Evaluates a JSONL stream into JSONL output on `jobs` threads (at least one) and returns the
/// counts. Lines that cannot be read are reported on standard error, in input order, and as
/// `MALFORMED_EVENT` (or `NUMBER_OUT_OF_RANGE`) lines in the output; the rest go on. A read or write error stops the work
/// and is returned; what was written before it is the start of the full output. The output is
/// flushed after each chunk of a reader that had no more to give at once (see
/// [`Chunk::caught_up`](crate::event::chunks::Chunk::caught_up)).
pub fn eval_stream<W: Write + Send>(
    plan: &Plan,
    input: Chunks<'_>,
    out: &mut W,
    explain: bool,
    jobs: usize,
) -> io::Result<Stats> {
    let evaluator = Evaluator::new(plan);
    let ordered = Ordered::new(out);
    std::thread::scope(|s| {
        for _ in 1..jobs.max(1) {
            s.spawn(|| work(&evaluator, &input, &ordered, explain));
        }
        work(&evaluator, &input, &ordered, explain);
    });
    ordered.finish()
}

/// One worker: takes chunks until there are none or the work has failed.
fn work<W: Write>(
    evaluator: &Evaluator<'_>,
    input: &Chunks<'_>,
    ordered: &Ordered<'_, W>,
    explain: bool,
) {
    let _stop = StopOthersOnPanic(ordered);
    let mut done = Evaluated::default();
    let mut buffer = Vec::new();
    let mut spare: Option<(Scratch<'static>, EventResult<'_, 'static>)> = None;
    loop {
        let chunk = match input.next(std::mem::take(&mut buffer)) {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(e) => return ordered.fail(e),
        };
        done.seq = chunk.seq;
        done.flush = chunk.caught_up;
        // Scratch space is re-typed to each chunk's lifetime, keeping its allocations.
        let (scratch, result) = spare.take().unwrap_or_default();
        let mut scratch: Scratch<'_> = scratch.recycle();
        let mut result: EventResult<'_, '_> = result.recycle();
        // A byte order mark can only start the input, so the first chunk.
        let text = match chunk.seq {
            0 => skip_bom(chunk.bytes()),
            _ => chunk.bytes(),
        };
        eval_chunk(
            evaluator,
            text,
            explain,
            &mut scratch,
            &mut result,
            &mut done,
        );
        spare = Some((scratch.recycle(), result.recycle()));
        buffer = chunk.into_buffer();
        match ordered.submit(done) {
            Some(empty) => done = empty,
            None => return,
        }
    }
}

/// Stops the other workers if this one panics (a bug): otherwise one paused for the chunk that
/// this one held would wait for ever, and the panic would never surface.
struct StopOthersOnPanic<'o, 'w, W: Write>(&'o Ordered<'w, W>);

impl<W: Write> Drop for StopOthersOnPanic<'_, '_, W> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail(io::Error::other("an evaluation thread failed"));
        }
    }
}

/// Evaluates one chunk's events into `done` (which is empty).
fn eval_chunk<'p, 'a>(
    evaluator: &Evaluator<'p>,
    text: &'a [u8],
    explain: bool,
    scratch: &mut Scratch<'a>,
    result: &mut EventResult<'p, 'a>,
    done: &mut Evaluated,
) {
    let mut lines = 0;
    for next in byte_lines(text, &mut lines) {
        done.stats.events += 1;
        let (line, event) = match next {
            Ok(ok) => ok,
            Err(e) => {
                done.malformed(e.line, "", RunCode::MalformedEvent, e.to_string());
                continue;
            }
        };
        match evaluator.eval_json(event, scratch, explain, result) {
            Ok(()) => {
                for outcome in &result.outcomes {
                    match outcome {
                        Outcome::Op(_) => done.stats.ops += 1,
                        Outcome::Error(_) => done.stats.errors += 1,
                        Outcome::Skipped(_) => {}
                    }
                    push_outcome_rest(&mut done.text, result, outcome);
                    done.ends.push((line, done.text.len()));
                }
            }
            Err(e) => {
                let what = match e.kind {
                    ReadErrorKind::Malformed => "malformed event: ",
                    ReadErrorKind::NumberOutOfRange => "",
                };
                done.malformed(line, what, e.code(), e.to_string());
            }
        }
    }
    done.lines = lines;
}

/// One chunk's evaluation, waiting to be written.
#[derive(Debug, Default)]
struct Evaluated {
    seq: u64,
    /// The chunk's input lines, blank ones included.
    lines: usize,
    /// The output lines, each without its `{"line":N` start.
    text: Vec<u8>,
    /// Each output line's input line (counted within the chunk) and end in `text`.
    ends: Vec<(usize, usize)>,
    /// Flush the output after this chunk (its reader had caught up with its writer).
    flush: bool,
    /// Lines that could not be read, for standard error: line within the chunk, a word on
    /// what could not be read, and why.
    notes: Vec<(usize, &'static str, String)>,
    stats: Stats,
}

impl Evaluated {
    /// A line that could not be read: an error line in the output and a note for standard
    /// error (`line N: {what}{message}`).
    /// A line that could not be read: `code` says why (counted as malformed).
    fn malformed(&mut self, line: usize, what: &'static str, code: RunCode, message: String) {
        self.stats.malformed += 1;
        push_unreadable_rest(&mut self.text, code, &message);
        self.ends.push((line, self.text.len()));
        self.notes.push((line, what, message));
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.notes.clear();
        self.stats = Stats::default();
    }
}

/// Writes evaluated chunks in input order, whichever worker finishes first.
struct Ordered<'w, W> {
    state: Mutex<State<'w, W>>,
    /// Signalled when chunks are written or the work fails.
    progress: Condvar,
}

struct State<'w, W> {
    out: &'w mut W,
    /// The next chunk to write.
    next: u64,
    /// Input lines in the chunks written so far.
    lines_before: usize,
    waiting: BTreeMap<u64, Evaluated>,
    /// Written chunks' buffers, for workers to reuse.
    empty: Vec<Evaluated>,
    stats: Stats,
    failed: Option<io::Error>,
    /// Workers paused in `submit`: only then is there anyone to wake (a wake is a system call).
    paused: usize,
    /// Reused for each line's `{"line":N`.
    head: Vec<u8>,
}

impl<'w, W: Write> Ordered<'w, W> {
    fn new(out: &'w mut W) -> Self {
        Ordered {
            state: Mutex::new(State {
                out,
                next: 0,
                lines_before: 0,
                waiting: BTreeMap::new(),
                empty: Vec::new(),
                stats: Stats::default(),
                failed: None,
                paused: 0,
                head: Vec::with_capacity(32),
            }),
            progress: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<'w, W>> {
        // A worker that panicked is re-raised by the thread scope; until then, go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the work with `e` (the first error wins).
    fn fail(&self, e: io::Error) {
        let mut state = self.lock();
        state.failed.get_or_insert(e);
        self.progress.notify_all();
    }

    /// Hands in a chunk's evaluation; writes every chunk that is next in order. Returns an
    /// empty one to fill next, or `None` when the work has failed and the worker should stop.
    fn submit(&self, done: Evaluated) -> Option<Evaluated> {
        let mut state = self.lock();
        if state.failed.is_some() {
            return None;
        }
        state.waiting.insert(done.seq, done);
        if let Err(e) = state.write_ready() {
            state.failed = Some(e);
        }
        if state.paused > 0 {
            self.progress.notify_all();
        }
        // Wait while too many chunks wait for an earlier one; the worker evaluating that one
        // never waits here, so it always comes.
        while state.waiting.len() >= MAX_WAITING && state.failed.is_none() {
            state.paused += 1;
            state = self.progress.wait(state).unwrap_or_else(|e| e.into_inner());
            state.paused -= 1;
        }
        if state.failed.is_some() {
            return None;
        }
        Some(state.empty.pop().unwrap_or_default())
    }

    /// The counts, or the first error. Called when every worker has stopped.
    fn finish(self) -> io::Result<Stats> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        match state.failed {
            Some(e) => Err(e),
            None => {
                debug_assert!(state.waiting.is_empty());
                Ok(state.stats)
            }
        }
    }
}

impl<W: Write> State<'_, W> {
    /// Writes the waiting chunks that are next in order.
    fn write_ready(&mut self) -> io::Result<()> {
        while let Some(mut done) = self.waiting.remove(&self.next) {
            let base = self.lines_before;
            let mut start = 0;
            for &(line, end) in &done.ends {
                self.head.clear();
                push_line_start(&mut self.head, base + line);
                self.out.write_all(&self.head)?;
                self.out.write_all(&done.text[start..end])?;
                start = end;
            }
            if done.flush {
                self.out.flush()?;
            }
            for (line, what, message) in &done.notes {
                eprintln!("line {}: {what}{message}", base + line);
            }
            self.lines_before += done.lines;
            self.next += 1;
            self.stats.add(&done.stats);
            done.clear();
            self.empty.push(done);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk of one input line whose output line is `,"n":seq}`.
    fn evaluated(seq: u64) -> Evaluated {
        let mut done = Evaluated {
            seq,
            lines: 1,
            ..Evaluated::default()
        };
        done.text
            .extend_from_slice(format!(",\"n\":{seq}}}\n").as_bytes());
        done.ends.push((1, done.text.len()));
        done
    }

    #[test]
    fn a_worker_far_ahead_pauses_until_the_earlier_chunk_is_written() {
        let mut out = Vec::new();
        let ordered = Ordered::new(&mut out);
        std::thread::scope(|s| {
            let ahead = s.spawn(|| {
                for seq in 1..=MAX_WAITING as u64 {
                    assert!(ordered.submit(evaluated(seq)).is_some());
                }
            });
            // The last of those submits pauses: chunk 0 has not come.
            let start = std::time::Instant::now();
            while ordered.lock().paused == 0 {
                assert!(start.elapsed().as_secs() < 10, "never paused");
                std::thread::yield_now();
            }
            assert_eq!(ordered.lock().waiting.len(), MAX_WAITING);
            assert!(ordered.submit(evaluated(0)).is_some());
            ahead.join().unwrap();
        });
        let stats = ordered.finish().unwrap();
        assert_eq!(stats.events, 0);
        let want: String = (0..=MAX_WAITING)
            .map(|i| format!("{{\"line\":{},\"n\":{i}}}\n", i + 1))
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn a_failure_wakes_a_paused_worker_and_stops_it() {
        let mut out = Vec::new();
        let ordered = Ordered::new(&mut out);
        std::thread::scope(|s| {
            let ahead = s.spawn(|| {
                (1..=MAX_WAITING as u64)
                    .map(|seq| ordered.submit(evaluated(seq)).is_some())
                    .collect::<Vec<_>>()
            });
            while ordered.lock().paused == 0 {
                std::thread::yield_now();
            }
            ordered.fail(io::Error::other("input failed"));
            let taken = ahead.join().unwrap();
            assert!(taken[..MAX_WAITING - 1].iter().all(|&t| t));
            assert!(!taken[MAX_WAITING - 1], "the paused worker is told to stop");
        });
        assert_eq!(ordered.finish().unwrap_err().to_string(), "input failed");
        assert!(out.is_empty(), "nothing after the gap is written");
    }
}

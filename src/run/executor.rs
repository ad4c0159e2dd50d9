//! The executor: events in, flushes of record operations out, every event's outcome recorded.
//!
//! Each event is evaluated as it arrives; its operations are admitted ([`super::admit`]: the
//! ledger and messageId rules) and queued per mapping ([`super::schedule`]). A mapping's
//! queue goes out when it is full, when its oldest operation has waited `max_wait`, or at the
//! end. A flush is one batched lookup per chunk of matcher values ([`super::lookup`]), the
//! pure write plan ([`super::flush`]), then sObject Collections or Bulk API 2.0 writes
//! ([`super::send`]); the results are recorded ([`super::record`]) and told to the sinks.
//!
//! **No duplicate on retry.** The client never repeats a create whose outcome is unknown; the
//! sender then looks for the record (by the written values, created since the flush began)
//! and only creates it again when it is not there. A resumed run does the same for events the
//! ledger shows as sent but not finished.
//!
//! The executor does not read its input: a host pushes lines ([`Executor::push`]) and, for a
//! stream, asks when the next flush falls due ([`Executor::next_deadline`]). `run` drives it
//! over a file ([`super::stream`]); a service drives it the same way.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::admit::{Admission, admit};
use super::budget::ApiBudget;
use super::dry_run;
use super::flush::{self, Op};
use super::isolate::isolate;
use super::ledger::{Entry, Ledger, LedgerError};
use super::lookup;
use super::record::Recorder;
use super::schedule::{Pending, Queues};
use super::send::{Route, results};
use super::settlement::{Settlement, WriteResult};
use super::sink::{DeadLetter, FlushDone, JsonlReport, Sink};
use crate::eval::{Evaluator, EventResult, FieldValue, Outcome as EvalOutcome, Scratch};
use crate::outcome::{Failure, RunCode};
use crate::plan::{Mapping, Plan, Strategy};
use crate::salesforce::{Client, SfError};

pub use super::record::Summary;

/// Run settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Operations per mapping collected before a flush.
    pub flush_size: usize,
    /// A flush with more records than this goes through Bulk API 2.0.
    pub bulk_threshold: usize,
    /// Evaluate and look up, but write nothing.
    pub dry_run: bool,
    /// A Bulk API job's upload is split when its CSV would pass this many bytes (Salesforce
    /// takes 150 MB; 100 MB leaves room for the encoding overhead it counts).
    pub bulk_max_bytes: usize,
    /// Stop cleanly once this many API calls are spent (before a flush that would pass it).
    pub max_api_calls: Option<ApiBudget>,
    /// A mapping's waiting operations go out once the oldest has waited this long, full or
    /// not (`None`: when full, or at the end of the input).
    pub max_wait: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            flush_size: 2000,
            bulk_threshold: 20_000,
            dry_run: false,
            max_api_calls: None,
            bulk_max_bytes: 100_000_000,
            max_wait: None,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot write the report: {0}")]
    Report(#[from] std::io::Error),
    #[error("cannot read the events: {0}")]
    Input(std::io::Error),
    #[error("API budget of {0} calls reached; run again to deliver the rest")]
    Budget(u64),
    /// The org refuses the session and it cannot be renewed: the run stops before the next
    /// flush, and the events not yet delivered are left for a run with good credentials.
    #[error("{0}; nothing more was sent: fix the credentials and run again with the same ledger")]
    Authentication(SfError),
    #[error("{0}")]
    Salesforce(SfError),
}

impl From<SfError> for RunError {
    fn from(e: SfError) -> RunError {
        if e.is_authentication() {
            RunError::Authentication(e)
        } else {
            RunError::Salesforce(e)
        }
    }
}

/// Delivers events; call [`Executor::push`] per line, then [`Executor::finish`].
pub struct Executor<'p> {
    plan: &'p Plan,
    evaluator: Evaluator<'p>,
    client: Client,
    opts: Options,
    queues: Queues,
    recorder: Recorder<'p>,
    /// Whether the bulk jobs of an interrupted run were finished (before the first event).
    jobs_resumed: bool,
}

impl<'p> Executor<'p> {
    pub fn new(plan: &'p Plan, client: Client, ledger: Ledger, opts: Options) -> Executor<'p> {
        let sizes = plan
            .mappings
            .iter()
            .map(|m| {
                // A bulk mapping flushes a whole Bulk API job at a time.
                m.bulk
                    .as_ref()
                    .map_or(opts.flush_size, |b| b.batch_size as usize)
            })
            .collect();
        Executor {
            plan,
            evaluator: Evaluator::new(plan),
            client,
            queues: Queues::new(sizes, super::schedule::parents(plan), opts.max_wait),
            recorder: Recorder::new(ledger, opts.dry_run),
            opts,
            jobs_resumed: false,
        }
    }

    /// Writes each event's outcome as a JSON line.
    pub fn with_report(self, w: impl std::io::Write + Send + 'p) -> Self {
        self.with_sink(JsonlReport(w))
    }

    /// Writes the original line of each failed event (for `sfmap replay`).
    pub fn with_dead_letter(self, w: impl std::io::Write + Send + 'p) -> Self {
        self.with_sink(DeadLetter(w))
    }

    /// Tells `sink` of every settled event and every flush.
    pub fn with_sink(mut self, sink: impl Sink + 'p) -> Self {
        self.recorder.add_sink(Box::new(sink));
        self
    }

    pub fn summary(&self) -> &Summary {
        &self.recorder.summary
    }

    /// API calls the client has spent so far (the summary's count is set at the end).
    pub fn api_calls(&self) -> u64 {
        self.client.api_calls()
    }

    /// The org's daily API usage and allocation, as last reported.
    pub fn limits(&self) -> Option<(u64, u64)> {
        self.client.limits()
    }

    /// When the next flush falls due by age (with `max_wait`), if anything waits.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queues.next_deadline()
    }

    /// Evaluates one input line and queues its operations, flushing full queues.
    pub async fn push(&mut self, line_no: usize, line: &str) -> Result<(), RunError> {
        self.resume_once().await?;
        self.recorder.summary.events += 1;
        let mut scratch = Scratch::default();
        let mut result = EventResult::default();
        if let Err(e) = self
            .evaluator
            .eval_json(line, &mut scratch, false, &mut result)
        {
            return self.unreadable(line_no, line.as_bytes(), e.code(), &e.to_string());
        }
        let key = result
            .message_id
            .as_deref()
            .map_or_else(|| format!("line:{line_no}"), str::to_string);
        let fired = result
            .outcomes
            .iter()
            .filter(|o| !matches!(o, EvalOutcome::Skipped(_)))
            .count();
        // One settlement per mapping that fires (or one saying none does), in input order.
        let seq = self.recorder.expect(fired.max(1));
        let mut settled = Vec::new();
        let mut full = Vec::new();
        let now = Instant::now();
        for outcome in &result.outcomes {
            match outcome {
                EvalOutcome::Skipped(_) => {}
                EvalOutcome::Error(e) => {
                    let failure = Failure::new(e.code, e.message.clone());
                    settled.push((
                        Settlement::failed(&key, line_no, &e.mapping.name, failure).at(seq),
                        line.as_bytes().to_vec(),
                    ));
                }
                EvalOutcome::Op(op) => {
                    let index = self.index_of(op.mapping);
                    let name = &op.mapping.name;
                    let entry = self.recorder.ledger.entry(&key, name)?;
                    match admit(entry.as_ref(), self.queues.holds(index, &key)) {
                        Admission::AlreadyDelivered => {
                            let s = delivered_before(&key, line_no, name, entry).at(seq);
                            self.recorder.already_delivered(&s)?;
                        }
                        Admission::Duplicate => {
                            let s = Settlement::skipped(&key, line_no, name, "duplicate messageId");
                            self.recorder.duplicate(&s.at(seq))?;
                        }
                        Admission::Deliver { resumed } => {
                            let pending = Pending {
                                key: key.clone(),
                                line: line_no,
                                seq,
                                raw: line.to_string(),
                                op: owned_op(op),
                                resumed,
                            };
                            if self.queues.push(index, pending, now) {
                                full.push(index);
                            }
                        }
                    }
                }
            }
        }
        if fired == 0 {
            let s = Settlement::skipped(&key, line_no, "", "no mapping fires on this event");
            settled.push((s.at(seq), Vec::new()));
        }
        self.recorder.settle(&settled)?;
        for index in full {
            self.flush_with_parents(index).await?;
        }
        Ok(())
    }

    /// A line that cannot be read as an event (not UTF-8): it fails on its own, and the
    /// dead letter keeps its bytes.
    pub fn push_unreadable(
        &mut self,
        line_no: usize,
        raw: &[u8],
        why: &str,
    ) -> Result<(), RunError> {
        self.recorder.summary.events += 1;
        self.unreadable(line_no, raw, RunCode::MalformedEvent, why)
    }

    fn unreadable(
        &mut self,
        line_no: usize,
        raw: &[u8],
        code: RunCode,
        why: &str,
    ) -> Result<(), RunError> {
        let key = format!("line:{line_no}");
        let failure = Failure::new(code, why);
        let seq = self.recorder.expect(1);
        self.recorder.settle(&[(
            Settlement::failed(&key, line_no, "", failure).at(seq),
            raw.to_vec(),
        )])
    }

    /// Flushes the queues whose oldest operation has waited `max_wait`.
    pub async fn flush_due(&mut self) -> Result<(), RunError> {
        for index in self.queues.due(Instant::now()) {
            self.flush_with_parents(index).await?;
        }
        Ok(())
    }

    /// Flushes every queue, parents first (the end of the input); [`Executor::stop`] then
    /// gives the summary.
    pub async fn flush_all(&mut self) -> Result<(), RunError> {
        self.resume_once().await?;
        for index in self.queues.order_all() {
            self.flush(index).await?;
        }
        Ok(())
    }

    /// Stops without sending what waits in the queues (a signal asked to stop): the report
    /// and dead letter are written out; the waiting events are in no ledger, so the next run
    /// delivers them. Returns the summary and how many operations were left waiting.
    pub fn stop(mut self) -> Result<(Summary, usize), RunError> {
        let waiting = self.queues.len();
        self.recorder.finish()?;
        self.recorder.summary.api_calls = self.client.api_calls();
        self.recorder.summary.limits = self.client.limits();
        Ok((self.recorder.summary, waiting))
    }

    /// Flushes everything left and returns the summary.
    pub async fn finish(mut self) -> Result<Summary, RunError> {
        self.flush_all().await?;
        self.recorder.finish()?;
        self.recorder.summary.api_calls = self.client.api_calls();
        self.recorder.summary.limits = self.client.limits();
        Ok(self.recorder.summary)
    }

    fn index_of(&self, mapping: &Mapping) -> usize {
        self.plan
            .mappings
            .iter()
            .position(|m| std::ptr::eq(m, mapping))
            .unwrap_or(0)
    }

    /// Sends mapping `index`'s queue, after the queues of the mappings it looks records up in.
    async fn flush_with_parents(&mut self, index: usize) -> Result<(), RunError> {
        for i in self.queues.order(index) {
            self.flush(i).await?;
        }
        Ok(())
    }

    /// Sends one mapping's queued operations and records every event's outcome.
    async fn flush(&mut self, index: usize) -> Result<(), RunError> {
        let batch = self.queues.take(index);
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(max) = self
            .opts
            .max_api_calls
            .and_then(|b| b.calls(self.client.limits()))
        {
            if self.client.api_calls() >= max {
                return Err(RunError::Budget(max));
            }
        }
        let plan = self.plan;
        let mapping = &plan.mappings[index];
        let clock = Instant::now();
        let calls_before = self.client.api_calls();
        let started = chrono::Utc::now() - chrono::Duration::minutes(5);
        let ops: Vec<Op> = batch
            .iter()
            .enumerate()
            .map(|(i, p)| Op {
                event: i as u64,
                ..p.op.clone()
            })
            .collect();
        let mut results: Vec<Option<WriteResult>> = vec![None; batch.len()];
        let mut changes = vec![None; batch.len()];
        self.deliver(mapping, &batch, &ops, started, &mut results, &mut changes)
            .await?;
        let settled = self.settlements(mapping, &batch, results, changes, calls_before);
        let events = settled.len();
        self.recorder.settle(&settled)?;
        let total = self.client.api_calls();
        tracing::info!(
            mapping = %mapping.name,
            events,
            api_calls = total.saturating_sub(calls_before),
            ms = clock.elapsed().as_millis() as u64,
            "flush"
        );
        self.recorder.flushed(&FlushDone {
            mapping: &mapping.name,
            events,
            api_calls: total.saturating_sub(calls_before),
            total_api_calls: total,
            elapsed: clock.elapsed(),
        })
    }

    /// Looks up, plans and sends (or, in a dry run, predicts) one flush; sets each event's
    /// result.
    async fn deliver(
        &mut self,
        mapping: &Mapping,
        batch: &[Pending],
        ops: &[Op],
        started: chrono::DateTime<chrono::Utc>,
        results: &mut [Option<WriteResult>],
        changes: &mut [Option<Map<String, Value>>],
    ) -> Result<(), RunError> {
        let dry = self.opts.dry_run;
        let looked_up =
            flush::needs_lookup(mapping, ops) || (dry && mapping.strategy != Strategy::Insert);
        let compared = if dry {
            dry_run::compared_fields(mapping)
        } else {
            Vec::new()
        };
        let (found, ops) = if looked_up {
            self.look_up(mapping, ops, &compared, results).await?
        } else {
            (Vec::new(), ops.to_vec())
        };
        let writes = flush::plan_with(mapping, &ops, &found, looked_up);
        for (event, settled) in &writes.settled {
            results[*event as usize] = Some(settled_result(settled));
        }
        if dry {
            dry_run::predict(&writes, &found, results, changes);
            return Ok(());
        }
        let sent: Vec<(String, String, usize)> = writes
            .iter()
            .flat_map(|(_, w)| w.events.iter())
            .map(|e| {
                let p = &batch[*e as usize];
                (p.key.clone(), mapping.name.clone(), p.line)
            })
            .collect();
        self.recorder.ledger.mark_sent(&sent)?;
        let route = Route {
            client: &self.client,
            mapping,
            bulk: mapping.bulk.is_some() || writes.len() > self.opts.bulk_threshold,
            bulk_max_bytes: self.opts.bulk_max_bytes,
            started,
        };
        route
            .send(
                &mut self.recorder.ledger,
                writes,
                |e| batch[e as usize].resumed,
                |w| {
                    w.events
                        .iter()
                        .map(|e| (batch[*e as usize].key.clone(), batch[*e as usize].line))
                        .collect()
                },
                results,
            )
            .await
    }

    /// The records the flush's matchers find. A lookup rejected for one event's value fails
    /// that event alone ([`super::isolate`]); returns the records and the operations still to
    /// plan.
    async fn look_up(
        &self,
        mapping: &Mapping,
        ops: &[Op],
        compared: &[String],
        results: &mut [Option<WriteResult>],
    ) -> Result<(Vec<flush::Found>, Vec<Op>), RunError> {
        let client = &self.client;
        let looked = isolate(ops.to_vec(), |set: Vec<Op>| async move {
            lookup::find(client, mapping, &set, compared).await
        })
        .await;
        for (op, e) in looked.failed {
            if e.is_authentication() {
                return Err(RunError::Authentication(super::isolate::owned(e)));
            }
            results[op.event as usize] = Some(Err(results::of_error_or(&e, RunCode::LookupFailed)));
        }
        let mut found: Vec<flush::Found> = looked.answers.into_iter().flatten().collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.dedup_by(|a, b| a.id == b.id);
        let ops = ops
            .iter()
            .filter(|op| results[op.event as usize].is_none())
            .cloned()
            .collect();
        Ok((found, ops))
    }

    /// Each event's settlement from its result, with its share of the flush's API calls.
    fn settlements(
        &self,
        mapping: &Mapping,
        batch: &[Pending],
        results: Vec<Option<WriteResult>>,
        changes: Vec<Option<Map<String, Value>>>,
        calls_before: u64,
    ) -> Vec<(Settlement, Vec<u8>)> {
        let spent = self.client.api_calls().saturating_sub(calls_before) as f64;
        let share = spent / batch.len().max(1) as f64;
        batch
            .iter()
            .zip(results)
            .zip(changes)
            .map(|((p, r), change)| {
                let r = r.unwrap_or_else(|| {
                    Err(Failure::new(RunCode::Internal, "no outcome was recorded"))
                });
                let mut s = Settlement::of(&p.key, p.line, &mapping.name, r).at(p.seq);
                s.api_calls = share;
                s.changes = change;
                (s, p.raw.as_bytes().to_vec())
            })
            .collect()
    }

    async fn resume_once(&mut self) -> Result<(), RunError> {
        if !self.jobs_resumed {
            self.jobs_resumed = true;
            self.resume_bulk_jobs().await?;
        }
        Ok(())
    }

    /// Finishes the Bulk API jobs an interrupted run left (from the ledger): each is polled to
    /// its end and its rows' outcomes recorded, so those events are not uploaded again. Rows
    /// the job never processed stay `sent` and go out again with the rest.
    pub async fn resume_bulk_jobs(&mut self) -> Result<(), RunError> {
        if self.opts.dry_run {
            return Ok(());
        }
        for job in self.recorder.ledger.open_bulk_jobs()? {
            let outcome = match self
                .client
                .bulk_resume_with_input(&job.job_id, &job.csv)
                .await
            {
                Ok(o) => o,
                Err(e) if e.retryable() || e.is_authentication() => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(job = %job.job_id, error = %e, "cannot resume the bulk job; its rows will be sent again");
                    self.recorder.ledger.close_bulk_job(&job.job_id)?;
                    continue;
                }
            };
            let rows = results::of_bulk(job.operation, job.rows.len(), outcome);
            let mut outcomes = Vec::new();
            for (events, result) in job.rows.iter().zip(rows) {
                if results::not_processed(&result) {
                    continue;
                }
                for (n, (key, line)) in events.iter().enumerate() {
                    let r = results::for_event(&result, n);
                    outcomes.push(Settlement::of(key, *line, &job.mapping, r));
                }
            }
            tracing::info!(job = %job.job_id, events = outcomes.len(), "resumed a bulk job of an interrupted run");
            self.recorder.ledger.record(&outcomes)?;
            self.recorder.ledger.close_bulk_job(&job.job_id)?;
        }
        Ok(())
    }
}

/// An event the ledger shows delivered: `skipped`, with the record and the outcome the ledger
/// holds, so every report names the record of every event.
fn delivered_before(key: &str, line: usize, mapping: &str, entry: Option<Entry>) -> Settlement {
    let mut s = Settlement::skipped(key, line, mapping, "already delivered");
    if let Some(entry) = entry {
        s.record_id = entry.record_id;
        s.delivered_before = entry.outcome;
    }
    s
}

/// The result of an event the flush plan settled without a write.
fn settled_result(settled: &flush::Settled) -> WriteResult {
    use super::settlement::Written;
    use crate::outcome::Outcome;
    match settled {
        flush::Settled::Skipped(_) => Ok(Written::new(Outcome::Skipped, None)),
        flush::Settled::CreatedThenDeleted => Ok(Written::new(Outcome::Deleted, None)),
        flush::Settled::Unchanged(id) => Ok(Written::new(Outcome::Skipped, Some(id.clone()))),
        flush::Settled::Failed { code, message } => Err(Failure::new(*code, message.clone())),
    }
}

/// An evaluated operation as owned JSON, for the flush planner.
fn owned_op(op: &crate::eval::RecordOp<'_, '_>) -> Op {
    let mut fields = Map::new();
    for (name, value) in &op.fields {
        insert_wire(&mut fields, name, value);
    }
    let mut create_only = Map::new();
    for (name, value) in &op.on_create {
        insert_wire(&mut create_only, name, value);
    }
    Op {
        event: 0,
        operation: op.operation,
        matchers: op
            .matchers
            .iter()
            .map(|(f, v)| ((*f).to_string(), v.to_json()))
            .collect(),
        fields,
        create_only,
        missing_on_create: op
            .missing_on_create
            .iter()
            .map(|s| (*s).to_string())
            .collect(),
    }
}

/// A field as it goes on the wire: a value, or a parent reference `"Account": {"Ext__c": v}`.
fn insert_wire(map: &mut Map<String, Value>, name: &str, value: &FieldValue<'_, '_>) {
    match value {
        FieldValue::Value(v) => {
            map.insert(name.to_string(), v.to_json());
        }
        FieldValue::Lookup {
            relationship,
            field,
            value,
        } => {
            let mut inner = Map::new();
            inner.insert((*field).to_string(), value.to_json());
            map.insert((*relationship).to_string(), Value::Object(inner));
        }
    }
}

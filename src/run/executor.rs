//! The executor: events in, flushes of record operations out, every event's outcome recorded.
//!
//! Events are evaluated as they are read; each mapping's operations collect into a flush. A
//! flush costs one batched lookup query per chunk of matcher values (when the mapping matches
//! by query), then one sObject Collections call per 200 records — or Bulk API 2.0 jobs when the
//! mapping asks for bulk or the flush is large. Results map back to every event.
//!
//! **No duplicate on retry.** The client never repeats a create whose outcome is unknown; the
//! executor then looks for the record (by the written values, created since the flush began)
//! and only creates it again when it is not there. A resumed run does the same for events the
//! ledger shows as sent but not finished.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Map, Value};

use super::budget::ApiBudget;
use super::dry_run;
use super::flush::{self, Op, Settled, Write as FlushWrite};
use super::ledger::{BulkJobEntry, Ledger, LedgerError, Outcome};
use super::lookup;
use crate::eval::{Evaluator, EventResult, FieldValue, Outcome as EvalOutcome, Scratch};
use crate::plan::{Mapping, Plan, Strategy};
use crate::salesforce::{
    BulkJob, BulkOperation, BulkOutcome, Client, RecordResult, RowOutcome, SfError, csv_out, soql,
};
use crate::schema::FieldType;

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            flush_size: 2000,
            bulk_threshold: 20_000,
            dry_run: false,
            max_api_calls: None,
            bulk_max_bytes: 100_000_000,
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
    #[error("API budget of {0} calls reached; run again to deliver the rest")]
    Budget(u64),
    #[error("{0}")]
    Salesforce(#[from] SfError),
}

/// Counts for the final summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub events: u64,
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Events a previous run already delivered (from the ledger).
    pub already_done: u64,
    pub api_calls: u64,
    pub limits: Option<(u64, u64)>,
}

struct Pending {
    key: String,
    line: usize,
    raw: String,
    op: Op,
    resumed: bool,
}

/// Delivers events; call [`Executor::push`] per line, then [`Executor::finish`].
pub struct Executor<'p> {
    plan: &'p Plan,
    evaluator: Evaluator<'p>,
    client: Client,
    ledger: Ledger,
    opts: Options,
    pending: Vec<Vec<Pending>>,
    report: Option<Box<dyn Write + Send + 'p>>,
    dead_letter: Option<Box<dyn Write + Send + 'p>>,
    summary: Summary,
    /// Per mapping, the event keys waiting in its flush (earlier flushes are in the ledger).
    queued: Vec<std::collections::HashSet<String>>,
    /// Whether the bulk jobs of an interrupted run were finished (before the first event).
    jobs_resumed: bool,
}

impl<'p> Executor<'p> {
    pub fn new(plan: &'p Plan, client: Client, ledger: Ledger, opts: Options) -> Executor<'p> {
        Executor {
            plan,
            evaluator: Evaluator::new(plan),
            client,
            ledger,
            opts,
            pending: plan.mappings.iter().map(|_| Vec::new()).collect(),
            report: None,
            dead_letter: None,
            summary: Summary::default(),
            queued: plan.mappings.iter().map(|_| Default::default()).collect(),
            jobs_resumed: false,
        }
    }

    /// Writes each event's outcome as a JSON line.
    pub fn with_report(mut self, w: impl Write + Send + 'p) -> Self {
        self.report = Some(Box::new(w));
        self
    }

    /// Writes the original line of each failed event (for `sfmap replay`).
    pub fn with_dead_letter(mut self, w: impl Write + Send + 'p) -> Self {
        self.dead_letter = Some(Box::new(w));
        self
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// API calls the client has spent so far (the summary's count is set at the end).
    pub fn api_calls(&self) -> u64 {
        self.client.api_calls()
    }

    /// Evaluates one input line and queues its operations, flushing full buffers.
    pub async fn push(&mut self, line_no: usize, line: &str) -> Result<(), RunError> {
        if !self.jobs_resumed {
            self.jobs_resumed = true;
            self.resume_bulk_jobs().await?;
        }
        self.summary.events += 1;
        let mut scratch = Scratch::default();
        let mut result = EventResult::default();
        if let Err(e) = self
            .evaluator
            .eval_json(line, &mut scratch, false, &mut result)
        {
            let key = format!("line:{line_no}");
            self.settle(&[(
                Outcome::failed(&key, line_no, "", "MALFORMED_EVENT", &e.to_string()),
                line.to_string(),
            )])?;
            return Ok(());
        }
        let key = result
            .message_id
            .as_deref()
            .map_or_else(|| format!("line:{line_no}"), str::to_string);
        let mut fired = false;
        let mut settled = Vec::new();
        let mut full = Vec::new();
        for outcome in &result.outcomes {
            match outcome {
                EvalOutcome::Skipped(_) => {}
                EvalOutcome::Error(e) => {
                    fired = true;
                    settled.push((
                        Outcome::failed(&key, line_no, &e.mapping.name, e.code, &e.message),
                        line.to_string(),
                    ));
                }
                EvalOutcome::Op(op) => {
                    fired = true;
                    let index = self
                        .plan
                        .mappings
                        .iter()
                        .position(|m| std::ptr::eq(m, op.mapping))
                        .unwrap_or(0);
                    let entry = self.ledger.entry(&key, &op.mapping.name)?;
                    // Delivered before: skip. Failed before: try again (the mapping may be fixed).
                    let state = entry.as_ref().map(|(state, _)| state.as_str());
                    let failed = entry
                        .as_ref()
                        .is_some_and(|(_, o)| o.as_deref() == Some("failed"));
                    if state == Some("done") && !failed {
                        // Delivered before (an earlier run, or this messageId earlier in this
                        // run): reported, but the ledger keeps the first outcome.
                        self.summary.already_done += 1;
                        let o = Outcome {
                            outcome: "skipped",
                            error_code: None,
                            error_message: Some("already delivered".into()),
                            ..Outcome::failed(&key, line_no, &op.mapping.name, "", "")
                        };
                        self.report_only(&o)?;
                        continue;
                    }
                    // A messageId seen twice is one event delivered twice (Segment retries):
                    // the copy is skipped, whether its first delivery is queued or sent.
                    if !self.queued[index].insert(key.clone()) {
                        settled.push((
                            Outcome {
                                outcome: "skipped",
                                error_code: None,
                                error_message: Some("duplicate messageId".into()),
                                ..Outcome::failed(&key, line_no, &op.mapping.name, "", "")
                            },
                            String::new(),
                        ));
                        continue;
                    }
                    let state = state.map(str::to_string);
                    self.pending[index].push(Pending {
                        key: key.clone(),
                        line: line_no,
                        raw: line.to_string(),
                        op: owned_op(op),
                        resumed: state.as_deref() == Some("sent"),
                    });
                    // A bulk mapping flushes a whole Bulk API job at a time.
                    let size = op
                        .mapping
                        .bulk
                        .as_ref()
                        .map_or(self.opts.flush_size, |b| b.batch_size as usize);
                    if self.pending[index].len() >= size {
                        full.push(index);
                    }
                }
            }
        }
        if !fired {
            let mut o = Outcome::failed(&key, line_no, "", "", "");
            o.outcome = "skipped";
            o.error_code = None;
            o.error_message = Some("no mapping fires on this event".into());
            settled.push((o, String::new()));
        }
        self.settle(&settled)?;
        for index in full {
            self.flush(index).await?;
        }
        Ok(())
    }

    /// Flushes everything left and returns the summary.
    pub async fn finish(mut self) -> Result<Summary, RunError> {
        if !self.jobs_resumed {
            self.jobs_resumed = true;
            self.resume_bulk_jobs().await?;
        }
        for index in 0..self.pending.len() {
            self.flush(index).await?;
        }
        if let Some(r) = self.report.as_mut() {
            r.flush()?;
        }
        if let Some(d) = self.dead_letter.as_mut() {
            d.flush()?;
        }
        self.summary.api_calls = self.client.api_calls();
        self.summary.limits = self.client.limits();
        Ok(self.summary)
    }

    /// Sends one mapping's queued operations.
    async fn flush(&mut self, index: usize) -> Result<(), RunError> {
        let batch = std::mem::take(&mut self.pending[index]);
        self.queued[index].clear();
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
        let mapping = &self.plan.mappings[index];
        let calls_before = self.client.api_calls();
        let started = chrono::Utc::now() - chrono::Duration::minutes(5);
        let ops: Vec<Op> = batch
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut op = p.op.clone();
                op.event = i as u64;
                op
            })
            .collect();
        let mut results: Vec<Option<WriteResult>> = vec![None; batch.len()];
        let dry = self.opts.dry_run;
        let looked_up =
            flush::needs_lookup(mapping, &ops) || (dry && mapping.strategy != Strategy::Insert);
        let compared = if dry {
            dry_run::compared_fields(mapping)
        } else {
            Vec::new()
        };
        let found = if looked_up {
            match lookup::find(&self.client, mapping, &ops, &compared).await {
                Ok(f) => f,
                Err(e) => {
                    let err = (
                        e.code().unwrap_or("LOOKUP_FAILED").to_string(),
                        e.to_string(),
                    );
                    results.iter_mut().for_each(|r| *r = Some(Err(err.clone())));
                    return self.conclude(mapping, &batch, results, calls_before);
                }
            }
        } else {
            Vec::new()
        };
        let writes = flush::plan_with(mapping, &ops, &found, looked_up);
        for (event, settled) in &writes.settled {
            results[*event as usize] = Some(match settled {
                Settled::Skipped(_) => Ok(("skipped", None)),
                Settled::CreatedThenDeleted => Ok(("deleted", None)),
                Settled::Unchanged(id) => Ok(("skipped", Some(id.clone()))),
                Settled::Failed { code, message } => Err(((*code).to_string(), message.clone())),
            });
        }
        if dry {
            let current: std::collections::HashMap<&str, &flush::Found> =
                found.iter().map(|f| (flush::id15(&f.id), f)).collect();
            let mut changes = vec![None; batch.len()];
            for (kind, list) in [
                ("would_create", &writes.creates),
                ("would_update", &writes.updates),
                ("would_upsert", &writes.upserts),
                ("would_delete", &writes.deletes),
            ] {
                for w in list {
                    let record =
                        w.id.as_deref()
                            .and_then(|id| current.get(flush::id15(id)).copied());
                    let diff =
                        (kind != "would_delete").then(|| dry_run::changes(&w.fields, record));
                    for e in &w.events {
                        results[*e as usize] = Some(Ok((kind, w.id.clone())));
                        changes[*e as usize] = diff.clone();
                    }
                }
            }
            return self.conclude_dry(mapping, &batch, results, changes, calls_before);
        }
        let sent: Vec<(String, String, usize)> = [
            &writes.creates,
            &writes.updates,
            &writes.upserts,
            &writes.deletes,
        ]
        .iter()
        .flat_map(|l| l.iter())
        .flat_map(|w| w.events.iter())
        .map(|e| {
            let p = &batch[*e as usize];
            (p.key.clone(), mapping.name.clone(), p.line)
        })
        .collect();
        self.ledger.mark_sent(&sent)?;
        let total = writes.creates.len()
            + writes.updates.len()
            + writes.upserts.len()
            + writes.deletes.len();
        let bulk = mapping.bulk.is_some() || total > self.opts.bulk_threshold;
        // Creates of events a crashed run may already have sent: look for them first.
        let mut creates = writes.creates.clone();
        if creates
            .iter()
            .any(|w| w.events.iter().any(|e| batch[*e as usize].resumed))
        {
            let mut still = Vec::new();
            for w in creates {
                if w.events.iter().any(|e| batch[*e as usize].resumed) {
                    if let Some(id) = self
                        .find_created(mapping, &w, started - chrono::Duration::days(1))
                        .await
                    {
                        for e in &w.events {
                            results[*e as usize] = Some(Ok(("created", Some(id.clone()))));
                        }
                        continue;
                    }
                }
                still.push(w);
            }
            creates = still;
        }
        let kinds: [(Kind, Vec<FlushWrite>); 4] = [
            (Kind::Create, creates),
            (Kind::Update, writes.updates),
            (Kind::Upsert, writes.upserts),
            (Kind::Delete, writes.deletes),
        ];
        for (kind, list) in kinds {
            if list.is_empty() {
                continue;
            }
            let outcome = if bulk {
                self.send_bulk(mapping, kind, &list, &batch).await?
            } else {
                self.send_rest(mapping, kind, &list, started).await
            };
            for (w, r) in list.iter().zip(outcome) {
                for (n, e) in w.events.iter().enumerate() {
                    results[*e as usize] = Some(for_event(&r, n));
                }
            }
        }
        self.conclude(mapping, &batch, results, calls_before)
    }

    async fn send_rest(
        &self,
        mapping: &Mapping,
        kind: Kind,
        writes: &[FlushWrite],
        started: chrono::DateTime<chrono::Utc>,
    ) -> Vec<WriteResult> {
        let object = &mapping.object;
        let records = records_of(kind, writes);
        let mut out = Vec::with_capacity(writes.len());
        for (chunk_writes, chunk) in writes.chunks(200).zip(records.chunks(200)) {
            let sent = match kind {
                Kind::Create => self.client.create(object, chunk).await,
                Kind::Update => self.client.update(object, chunk).await,
                Kind::Upsert => {
                    self.client
                        .upsert(object, &mapping.matchers[0].field, chunk)
                        .await
                }
                Kind::Delete => {
                    let ids: Vec<String> =
                        chunk_writes.iter().filter_map(|w| w.id.clone()).collect();
                    self.client.delete(&ids).await
                }
            };
            match sent {
                Ok(results) => out.extend(results.into_iter().map(|r| record_result(kind, r))),
                Err(SfError::OutcomeUnknown { .. }) if kind == Kind::Create => {
                    // The create may have happened: look before sending it again.
                    for w in chunk_writes {
                        match self.find_created(mapping, w, started).await {
                            Some(id) => out.push(Ok(("created", Some(id)))),
                            None => {
                                let again = self
                                    .client
                                    .create(object, std::slice::from_ref(&w.fields))
                                    .await;
                                out.push(match again {
                                    Ok(mut r) if !r.is_empty() => record_result(kind, r.remove(0)),
                                    Ok(_) => {
                                        Err(("OUTCOME_UNKNOWN".into(), "no result returned".into()))
                                    }
                                    Err(e) => Err(sf_error(&e)),
                                });
                            }
                        }
                    }
                }
                Err(e) => out.extend(chunk_writes.iter().map(|_| Err(sf_error(&e)))),
            }
        }
        out
    }

    /// Finds a record this run created for a write whose outcome is unknown: same values,
    /// created since `since`. `None` when none is found or the write has no searchable value.
    async fn find_created(
        &self,
        mapping: &Mapping,
        w: &FlushWrite,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Option<String> {
        let mut clauses = Vec::new();
        for (name, value) in &w.fields {
            let searchable = mapping
                .fields
                .iter()
                .find(|f| &f.name == name)
                .is_none_or(|f| {
                    !matches!(
                        f.field_type,
                        FieldType::Textarea | FieldType::Multipicklist | FieldType::Base64
                    )
                })
                && matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_));
            if searchable && soql::is_identifier(name) {
                if let Ok(l) = soql::literal(value) {
                    clauses.push(format!("{name} = {l}"));
                }
            }
        }
        if clauses.is_empty() {
            return None;
        }
        let q = format!(
            "SELECT Id FROM {} WHERE {} AND CreatedDate >= {} ORDER BY CreatedDate DESC LIMIT 1",
            mapping.object,
            clauses.join(" AND "),
            since.format("%Y-%m-%dT%H:%M:%SZ")
        );
        let rows = self.client.query(&q).await.ok()?;
        rows.first()
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    async fn send_bulk(
        &mut self,
        mapping: &Mapping,
        kind: Kind,
        writes: &[FlushWrite],
        batch: &[Pending],
    ) -> Result<Vec<WriteResult>, RunError> {
        let batch_size = mapping
            .bulk
            .as_ref()
            .map_or(10_000, |b| b.batch_size as usize);
        let hard = mapping.bulk.as_ref().is_some_and(|b| b.hard_delete);
        let mut out = Vec::with_capacity(writes.len());
        // Jobs of `batch_size` rows; one whose CSV is too large is halved until it fits.
        let mut jobs: std::collections::VecDeque<&[FlushWrite]> =
            writes.chunks(batch_size.max(1)).collect();
        while let Some(chunk) = jobs.pop_front() {
            let (job, csv) = match kind {
                Kind::Delete => {
                    let ids: Vec<String> = chunk.iter().filter_map(|w| w.id.clone()).collect();
                    let op = if hard {
                        BulkOperation::HardDelete
                    } else {
                        BulkOperation::Delete
                    };
                    (
                        BulkJob::new(mapping.object.clone(), op),
                        Ok(csv_out::ids(&ids)),
                    )
                }
                _ => {
                    let records = records_of(kind, chunk);
                    let mut job = BulkJob::new(
                        mapping.object.clone(),
                        match kind {
                            Kind::Create => BulkOperation::Insert,
                            Kind::Update => BulkOperation::Update,
                            _ => BulkOperation::Upsert,
                        },
                    );
                    if kind == Kind::Upsert {
                        job.external_id_field = Some(mapping.matchers[0].field.clone());
                    }
                    (job, csv_out::build(&records))
                }
            };
            let csv = match csv {
                Ok(c) if c.bytes.len() > self.opts.bulk_max_bytes && chunk.len() > 1 => {
                    let (first, second) = chunk.split_at(chunk.len() / 2);
                    jobs.push_front(second);
                    jobs.push_front(first);
                    continue;
                }
                Ok(c) => c.bytes,
                Err(e) => {
                    out.extend(
                        chunk
                            .iter()
                            .map(|_| Err(("INVALID_CSV".to_string(), e.to_string()))),
                    );
                    continue;
                }
            };
            let info = match self.client.bulk_create_job(&job).await {
                Ok(info) => info,
                Err(e) => {
                    out.extend(chunk.iter().map(|_| Err(sf_error(&e))));
                    continue;
                }
            };
            // The job is remembered before anything is uploaded: a run killed from here on
            // resumes this job instead of sending its rows again.
            self.ledger.add_bulk_job(&BulkJobEntry {
                job_id: info.id.clone(),
                mapping: mapping.name.clone(),
                operation: job.operation.as_str().to_string(),
                csv: csv.clone(),
                rows: chunk
                    .iter()
                    .map(|w| {
                        w.events
                            .iter()
                            .map(|e| {
                                let p = &batch[*e as usize];
                                (p.key.clone(), p.line)
                            })
                            .collect()
                    })
                    .collect(),
            })?;
            match self.client.bulk_send(&info.id, csv).await {
                Ok(outcome) => out.extend(bulk_results(kind, chunk.len(), outcome)),
                Err(e) => out.extend(chunk.iter().map(|_| Err(sf_error(&e)))),
            }
            self.ledger.close_bulk_job(&info.id)?;
        }
        Ok(out)
    }

    /// Finishes the Bulk API jobs an interrupted run left (from the ledger): each is polled to
    /// its end and its rows' outcomes recorded, so those events are not uploaded again. Rows
    /// the job never processed stay `sent` and go out again with the rest.
    pub async fn resume_bulk_jobs(&mut self) -> Result<(), RunError> {
        if self.opts.dry_run {
            return Ok(());
        }
        for job in self.ledger.open_bulk_jobs()? {
            let kind = match job.operation.as_str() {
                "insert" => Kind::Create,
                "update" => Kind::Update,
                "upsert" => Kind::Upsert,
                _ => Kind::Delete,
            };
            let outcome = match self
                .client
                .bulk_resume_with_input(&job.job_id, &job.csv)
                .await
            {
                Ok(o) => o,
                Err(e) if e.retryable() => return Err(RunError::Salesforce(e)),
                Err(e) => {
                    tracing::warn!(job = %job.job_id, error = %e, "cannot resume the bulk job; its rows will be sent again");
                    self.ledger.close_bulk_job(&job.job_id)?;
                    continue;
                }
            };
            let results = bulk_results(kind, job.rows.len(), outcome);
            let mut outcomes = Vec::new();
            for (events, result) in job.rows.iter().zip(results) {
                if matches!(&result, Err((code, _)) if code == "NOT_PROCESSED") {
                    continue;
                }
                for (n, (key, line)) in events.iter().enumerate() {
                    outcomes.push(outcome_of(key, *line, &job.mapping, for_event(&result, n)));
                }
            }
            tracing::info!(job = %job.job_id, events = outcomes.len(), "resumed a bulk job of an interrupted run");
            self.ledger.record(&outcomes)?;
            self.ledger.close_bulk_job(&job.job_id)?;
        }
        Ok(())
    }

    /// A dry run's outcomes, with each event's field changes: reported, never recorded in the
    /// ledger (a later real run must still deliver these events).
    fn conclude_dry(
        &mut self,
        mapping: &Mapping,
        batch: &[Pending],
        results: Vec<Option<WriteResult>>,
        changes: Vec<Option<Map<String, Value>>>,
        calls_before: u64,
    ) -> Result<(), RunError> {
        let outcomes = self.outcomes(mapping, batch, results, calls_before);
        for ((mut o, _), change) in outcomes.into_iter().zip(changes) {
            o.changes = change;
            *self.summary.outcomes.entry(o.outcome).or_default() += 1;
            self.report_only(&o)?;
        }
        Ok(())
    }

    /// Records a flush's outcomes: ledger, report, dead letters, counts.
    fn conclude(
        &mut self,
        mapping: &Mapping,
        batch: &[Pending],
        results: Vec<Option<WriteResult>>,
        calls_before: u64,
    ) -> Result<(), RunError> {
        let settled = self.outcomes(mapping, batch, results, calls_before);
        self.settle(&settled)
    }

    fn outcomes(
        &self,
        mapping: &Mapping,
        batch: &[Pending],
        results: Vec<Option<WriteResult>>,
        calls_before: u64,
    ) -> Vec<(Outcome, String)> {
        let spent = self.client.api_calls().saturating_sub(calls_before) as f64;
        let share = spent / batch.len().max(1) as f64;
        let mut settled = Vec::with_capacity(batch.len());
        for (p, r) in batch.iter().zip(results) {
            let r = r.unwrap_or_else(|| Err(("INTERNAL".into(), "no outcome was recorded".into())));
            let mut o = outcome_of(&p.key, p.line, &mapping.name, r);
            o.api_calls = share;
            settled.push((o, p.raw.clone()));
        }
        settled
    }

    /// Writes an outcome to the report without touching the ledger.
    fn report_only(&mut self, o: &Outcome) -> Result<(), RunError> {
        if let Some(r) = self.report.as_mut() {
            serde_json::to_writer(&mut *r, o).map_err(std::io::Error::other)?;
            r.write_all(b"\n")?;
        }
        Ok(())
    }

    fn settle(&mut self, outcomes: &[(Outcome, String)]) -> Result<(), RunError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        // A dry run records nothing: a later real run with this ledger must deliver every event.
        if !self.opts.dry_run {
            let list: Vec<Outcome> = outcomes.iter().map(|(o, _)| o.clone()).collect();
            self.ledger.record(&list)?;
        }
        for (o, raw) in outcomes {
            *self.summary.outcomes.entry(o.outcome).or_default() += 1;
            self.report_only(o)?;
            if o.outcome == "failed" && !raw.is_empty() && !self.opts.dry_run {
                if let Some(d) = self.dead_letter.as_mut() {
                    d.write_all(raw.as_bytes())?;
                    d.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }
}

type WriteResult = Result<(&'static str, Option<String>), (String, String)>;

/// A write's result for the `n`-th event it carries: later events merged into a create
/// changed the record it made, so they count as updates.
fn for_event(r: &WriteResult, n: usize) -> WriteResult {
    match r {
        Ok(("created", id)) if n > 0 => Ok(("updated", id.clone())),
        other => other.clone(),
    }
}

/// An event's outcome from its write's result (API calls are set by the caller).
fn outcome_of(key: &str, line: usize, mapping: &str, r: WriteResult) -> Outcome {
    match r {
        Ok((outcome, id)) => Outcome {
            key: key.to_string(),
            line,
            mapping: mapping.to_string(),
            outcome,
            record_id: id,
            error_code: None,
            error_message: None,
            api_calls: 0.0,
            changes: None,
        },
        Err((code, message)) => Outcome::failed(key, line, mapping, &code, &message),
    }
}

/// One result per row of a bulk job's upload, in row order.
fn bulk_results(kind: Kind, rows: usize, outcome: BulkOutcome) -> Vec<WriteResult> {
    let mut per_row: Vec<WriteResult> = vec![
        Err((
            "NOT_PROCESSED".into(),
            "the bulk job returned no result for this row".into()
        ));
        rows
    ];
    for row in outcome.rows {
        let Some(i) = row.index.filter(|i| *i < rows) else {
            continue;
        };
        per_row[i] = match row.outcome {
            RowOutcome::Success { id, created } => Ok((
                match kind {
                    Kind::Delete => "deleted",
                    Kind::Create => "created",
                    _ if created => "created",
                    _ => "updated",
                },
                Some(id),
            )),
            RowOutcome::Failed { errors, .. } => Err(errors.first().map_or_else(
                || ("FAILED".to_string(), "the row failed".to_string()),
                |e| (e.status_code.clone(), e.message.clone()),
            )),
            RowOutcome::Unprocessed => Err((
                "NOT_PROCESSED".into(),
                "the bulk job did not process this row".into(),
            )),
            _ => Err((
                "NOT_PROCESSED".into(),
                "the bulk job returned no result for this row".into(),
            )),
        };
    }
    per_row
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Upsert,
    Delete,
}

/// The records a write sends: its fields, plus `Id` for an update.
fn records_of(kind: Kind, writes: &[FlushWrite]) -> Vec<Map<String, Value>> {
    writes
        .iter()
        .map(|w| {
            let mut r = w.fields.clone();
            if let (Kind::Update, Some(id)) = (kind, &w.id) {
                r.insert("Id".into(), Value::String(id.clone()));
            }
            r
        })
        .collect()
}

fn record_result(kind: Kind, r: RecordResult) -> WriteResult {
    if r.success {
        Ok((
            match kind {
                Kind::Create => "created",
                Kind::Delete => "deleted",
                Kind::Update => "updated",
                Kind::Upsert if r.created == Some(true) => "created",
                Kind::Upsert => "updated",
            },
            r.id,
        ))
    } else {
        Err(r.errors.first().map_or_else(
            || {
                (
                    "FAILED".to_string(),
                    "Salesforce rejected the record".to_string(),
                )
            },
            |e| (e.status_code.clone(), e.message.clone()),
        ))
    }
}

fn sf_error(e: &SfError) -> (String, String) {
    (
        e.code().unwrap_or("SALESFORCE_ERROR").to_string(),
        e.to_string(),
    )
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

impl Outcome {
    fn failed(key: &str, line: usize, mapping: &str, code: &str, message: &str) -> Outcome {
        Outcome {
            key: key.to_string(),
            line,
            mapping: mapping.to_string(),
            outcome: "failed",
            record_id: None,
            error_code: Some(code.to_string()),
            error_message: Some(message.to_string()),
            api_calls: 0.0,
            changes: None,
        }
    }
}

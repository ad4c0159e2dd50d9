//! Writes through Bulk API 2.0: jobs of the mapping's batch size, each remembered in the
//! ledger before its upload so an interrupted run polls it instead of uploading its rows again.

use std::collections::VecDeque;

use super::{records_of, results};
use crate::outcome::{Failure, RunCode, WriteKind};
use crate::plan::Mapping;
use crate::run::executor::RunError;
use crate::run::flush::Write;
use crate::run::ledger::{BulkJobEntry, Ledger};
use crate::run::settlement::WriteResult;
use crate::salesforce::{
    BulkJob, BulkOperation, BulkOutcome, BulkState, Client, RowOutcome, csv_out,
};

/// Rows per job when the mapping has no `bulk` clause (a large flush of a REST mapping).
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// The Bulk API operation of a write kind.
pub fn operation(kind: WriteKind) -> BulkOperation {
    match kind {
        WriteKind::Create => BulkOperation::Insert,
        WriteKind::Update => BulkOperation::Update,
        WriteKind::Upsert => BulkOperation::Upsert,
        WriteKind::Delete => BulkOperation::Delete,
        WriteKind::HardDelete => BulkOperation::HardDelete,
    }
}

/// The job for one kind of write of a mapping.
fn job_for(mapping: &Mapping, kind: WriteKind) -> BulkJob {
    let mut job = BulkJob::new(mapping.object.clone(), operation(kind));
    if kind == WriteKind::Upsert {
        job.external_id_field = Some(mapping.matchers[0].field.clone());
    }
    job
}

/// The upload of one chunk of writes: Ids for a delete, else the records.
fn csv_out_of(kind: WriteKind, chunk: &[Write]) -> Result<csv_out::BulkCsv, csv_out::CsvError> {
    if kind.is_delete() {
        let ids: Vec<String> = chunk.iter().filter_map(|w| w.id.clone()).collect();
        return Ok(csv_out::ids(&ids));
    }
    csv_out::build(&records_of(kind, chunk))
}

/// Sends one kind of write as Bulk API jobs; one result per write, in order. `rows` gives
/// each write's events (key, line) for the ledger.
pub async fn send(
    client: &Client,
    ledger: &mut Ledger,
    mapping: &Mapping,
    kind: WriteKind,
    writes: &[Write],
    rows: impl Fn(&Write) -> Vec<(String, usize)>,
    max_bytes: usize,
) -> Result<Vec<WriteResult>, RunError> {
    let batch_size = mapping
        .bulk
        .as_ref()
        .map_or(DEFAULT_BATCH_SIZE, |b| b.batch_size as usize);
    let mut jobs = Jobs {
        client,
        ledger,
        mapping,
        kind,
        rows: &rows,
    };
    let mut out = Vec::with_capacity(writes.len());
    // Jobs of `batch_size` rows; one whose CSV is too large is halved until it fits. Each
    // with whether it is already the second job for its rows (after one that processed
    // nothing): a chunk is sent again once.
    let mut queue: VecDeque<(&[Write], bool)> = writes
        .chunks(batch_size.max(1))
        .map(|c| (c, false))
        .collect();
    while let Some((chunk, resent)) = queue.pop_front() {
        let csv = match csv_out_of(kind, chunk) {
            Ok(c) if c.bytes.len() > max_bytes && chunk.len() > 1 => {
                let (first, second) = chunk.split_at(chunk.len() / 2);
                queue.push_front((second, resent));
                queue.push_front((first, resent));
                continue;
            }
            Ok(c) => c.bytes,
            Err(e) => {
                let failure = Failure::new(RunCode::InvalidCsv, e.to_string());
                out.extend(chunk.iter().map(|_| Err(failure.clone())));
                continue;
            }
        };
        match jobs.one(chunk, csv).await? {
            JobEnd::Rows(results) => out.extend(results),
            // Aborted before it began (a lost upload answer): nothing was written, so the
            // rows go out once more in a job of their own.
            JobEnd::ProcessedNothing(_) if !resent => queue.push_front((chunk, true)),
            JobEnd::FailedWhole(why) => out.extend(jobs.isolate(chunk, why).await?),
            JobEnd::ProcessedNothing(failure) => {
                out.extend(chunk.iter().map(|_| Err(failure.clone())));
            }
        }
    }
    Ok(out)
}

/// How one job ended.
enum JobEnd {
    /// One result per row.
    Rows(Vec<WriteResult>),
    /// Aborted (or refused) before it processed a row: nothing was written.
    ProcessedNothing(Failure),
    /// Failed as a whole without processing a row, for a reason one row can cause (a column
    /// only one record has, say: `InvalidBatch : Field name not found`).
    FailedWhole(Failure),
}

/// The jobs of one kind of write of one flush.
struct Jobs<'a, R> {
    client: &'a Client,
    ledger: &'a mut Ledger,
    mapping: &'a Mapping,
    kind: WriteKind,
    rows: &'a R,
}

impl<R: Fn(&Write) -> Vec<(String, usize)>> Jobs<'_, R> {
    /// One job for `chunk`: created, remembered in the ledger before anything is uploaded (a
    /// run killed from then on resumes it instead of sending its rows again), uploaded,
    /// closed, polled to its end.
    async fn one(&mut self, chunk: &[Write], csv: Vec<u8>) -> Result<JobEnd, RunError> {
        let job = job_for(self.mapping, self.kind);
        let info = match self.client.bulk_create_job(&job).await {
            Ok(info) => info,
            Err(e) if e.is_authentication() => return Err(e.into()),
            Err(e) => return Ok(JobEnd::ProcessedNothing(results::of_error(&e))),
        };
        self.ledger.add_bulk_job(&BulkJobEntry {
            job_id: info.id.clone(),
            mapping: self.mapping.name.clone(),
            operation: self.kind,
            csv: csv.clone(),
            rows: chunk.iter().map(self.rows).collect(),
        })?;
        let answer = match self.client.bulk_send(&info.id, &csv).await {
            Ok(outcome) => Ok(outcome),
            // The job stays open in the ledger: the next run polls it.
            Err(e) if e.is_authentication() => return Err(e.into()),
            // An answer was lost (the upload's or the close's): the job's own state says what
            // it did, so its rows are read rather than guessed.
            Err(e) => self
                .client
                .bulk_resume_with_input(&info.id, &csv)
                .await
                .map_err(|_| e),
        };
        let end = match answer {
            Ok(outcome) if processed_nothing(&outcome) => {
                let why = outcome
                    .error_message
                    .clone()
                    .unwrap_or_else(|| format!("the bulk job ended {}", outcome.state.as_str()));
                let failure = Failure::new(RunCode::NotProcessed, why);
                if outcome.state == BulkState::Failed {
                    JobEnd::FailedWhole(failure)
                } else {
                    JobEnd::ProcessedNothing(failure)
                }
            }
            Ok(outcome) => JobEnd::Rows(results::of_bulk(self.kind, chunk.len(), outcome)),
            Err(e) => JobEnd::Rows(chunk.iter().map(|_| Err(results::of_error(&e))).collect()),
        };
        self.ledger.close_bulk_job(&info.id)?;
        Ok(end)
    }

    /// A job that failed as a whole: its halves go again as jobs of their own, down to the
    /// row that fails alone. When both halves fail too, the cause is the chunk's (the object
    /// refuses Bulk, say) and all its rows fail with it: a poisoned row costs about two jobs
    /// per halving, a broken mapping two jobs.
    fn isolate<'s>(
        &'s mut self,
        chunk: &'s [Write],
        why: Failure,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<WriteResult>, RunError>> + 's>>
    {
        Box::pin(async move {
            if chunk.len() < 2 {
                return Ok(vec![Err(why)]);
            }
            let (first, second) = chunk.split_at(chunk.len() / 2);
            let mut ends = Vec::with_capacity(2);
            for half in [first, second] {
                ends.push(match csv_out_of(self.kind, half) {
                    Ok(csv) => self.one(half, csv.bytes).await?,
                    Err(e) => JobEnd::Rows(
                        half.iter()
                            .map(|_| Err(Failure::new(RunCode::InvalidCsv, e.to_string())))
                            .collect(),
                    ),
                });
            }
            if ends.iter().all(|e| matches!(e, JobEnd::FailedWhole(_))) {
                return Ok(chunk.iter().map(|_| Err(why.clone())).collect());
            }
            let mut out = Vec::with_capacity(chunk.len());
            for (half, end) in [first, second].into_iter().zip(ends) {
                match end {
                    JobEnd::Rows(results) => out.extend(results),
                    JobEnd::FailedWhole(failure) => out.extend(self.isolate(half, failure).await?),
                    JobEnd::ProcessedNothing(failure) => {
                        out.extend(half.iter().map(|_| Err(failure.clone())));
                    }
                }
            }
            Ok(out)
        })
    }
}

/// A job that ended, aborted or failed, without processing a row.
fn processed_nothing(outcome: &BulkOutcome) -> bool {
    matches!(outcome.state, BulkState::Aborted | BulkState::Failed)
        && outcome.records_processed == 0
        && outcome
            .rows
            .iter()
            .all(|r| matches!(r.outcome, RowOutcome::Unprocessed | RowOutcome::NoResult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_bulk_operation() {
        for kind in WriteKind::ALL {
            // The ledger keeps a job's kind by the Bulk API's own word for it.
            assert_eq!(operation(*kind).as_str(), kind.as_str());
        }
    }
}

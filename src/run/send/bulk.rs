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

/// The job and its upload for one chunk of writes.
fn job_for(
    mapping: &Mapping,
    kind: WriteKind,
    chunk: &[Write],
) -> (BulkJob, Result<csv_out::BulkCsv, csv_out::CsvError>) {
    let mut job = BulkJob::new(mapping.object.clone(), operation(kind));
    if kind.is_delete() {
        let ids: Vec<String> = chunk.iter().filter_map(|w| w.id.clone()).collect();
        return (job, Ok(csv_out::ids(&ids)));
    }
    if kind == WriteKind::Upsert {
        job.external_id_field = Some(mapping.matchers[0].field.clone());
    }
    (job, csv_out::build(&records_of(kind, chunk)))
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
    let mut out = Vec::with_capacity(writes.len());
    // Jobs of `batch_size` rows; one whose CSV is too large is halved until it fits.
    // Each with whether it is already the second job for its rows (after one that processed
    // nothing): a chunk is sent again once.
    let mut jobs: VecDeque<(&[Write], bool)> = writes
        .chunks(batch_size.max(1))
        .map(|c| (c, false))
        .collect();
    while let Some((chunk, resent)) = jobs.pop_front() {
        let (job, csv) = job_for(mapping, kind, chunk);
        let csv = match csv {
            Ok(c) if c.bytes.len() > max_bytes && chunk.len() > 1 => {
                let (first, second) = chunk.split_at(chunk.len() / 2);
                jobs.push_front((second, resent));
                jobs.push_front((first, resent));
                continue;
            }
            Ok(c) => c.bytes,
            Err(e) => {
                let failure = Failure::new(RunCode::InvalidCsv, e.to_string());
                out.extend(chunk.iter().map(|_| Err(failure.clone())));
                continue;
            }
        };
        let info = match client.bulk_create_job(&job).await {
            Ok(info) => info,
            Err(e) if e.is_authentication() => return Err(e.into()),
            Err(e) => {
                out.extend(chunk.iter().map(|_| Err(results::of_error(&e))));
                continue;
            }
        };
        // The job is remembered before anything is uploaded: a run killed from here on
        // resumes this job instead of sending its rows again.
        ledger.add_bulk_job(&BulkJobEntry {
            job_id: info.id.clone(),
            mapping: mapping.name.clone(),
            operation: kind,
            csv: csv.clone(),
            rows: chunk.iter().map(&rows).collect(),
        })?;
        let answer = match client.bulk_send(&info.id, &csv).await {
            Ok(outcome) => Ok(outcome),
            // The job stays open in the ledger: the next run polls it.
            Err(e) if e.is_authentication() => return Err(e.into()),
            // An answer was lost (the upload's or the close's): the job's own state says what
            // it did, so its rows are read rather than guessed.
            Err(e) => client
                .bulk_resume_with_input(&info.id, &csv)
                .await
                .map_err(|_| e),
        };
        match answer {
            Ok(outcome) if processed_nothing(&outcome) && !resent => {
                // Aborted before it began (a lost upload answer): nothing was written, so the
                // rows go out once more in a job of their own.
                jobs.push_front((chunk, true));
            }
            Ok(outcome) => out.extend(results::of_bulk(kind, chunk.len(), outcome)),
            Err(e) => out.extend(chunk.iter().map(|_| Err(results::of_error(&e)))),
        }
        ledger.close_bulk_job(&info.id)?;
    }
    Ok(out)
}

/// A job that ended without processing a row (aborted before it began).
fn processed_nothing(outcome: &BulkOutcome) -> bool {
    outcome.state == BulkState::Aborted
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

//! Salesforce's answers as each event's result: a record result of sObject Collections, a row
//! of a Bulk API job, a failed request.

use crate::outcome::{Code, Failure, Outcome, RunCode, WriteKind};
use crate::run::settlement::{WriteResult, Written};
use crate::salesforce::{ApiError, BulkOutcome, RecordResult, RowOutcome, SfError};

/// A write's result for the `n`-th event it carries: later events merged into a create
/// changed the record it made, so they count as updates.
pub fn for_event(r: &WriteResult, n: usize) -> WriteResult {
    match r {
        Ok(w) if w.outcome == Outcome::Created && n > 0 => {
            Ok(Written::new(Outcome::Updated, w.id.clone()))
        }
        other => other.clone(),
    }
}

/// One sObject Collections record result.
pub fn of_record(kind: WriteKind, r: RecordResult) -> WriteResult {
    if r.success {
        Ok(Written::new(kind.success(r.created == Some(true)), r.id))
    } else {
        Err(first_error(&r.errors, "Salesforce rejected the record"))
    }
}

/// A record's failure: Salesforce's first error, or FAILED with `fallback` when it gave none.
fn first_error(errors: &[ApiError], fallback: &str) -> Failure {
    errors.first().map_or_else(
        || Failure::new(RunCode::Failed, fallback),
        |e| Failure::new(Code::parse(&e.status_code), e.message.clone()),
    )
}

/// A request that failed as a whole: every record it carried fails with its code.
pub fn of_error(e: &SfError) -> Failure {
    of_error_or(e, RunCode::SalesforceError)
}

/// [`of_error`], with `fallback` when Salesforce gave no code.
pub fn of_error_or(e: &SfError, fallback: RunCode) -> Failure {
    Failure::new(
        e.code().map_or(Code::Run(fallback), Code::parse),
        e.to_string(),
    )
}

/// A Bulk API row the job returned nothing for.
pub fn no_result() -> Failure {
    Failure::new(
        RunCode::NotProcessed,
        "the bulk job returned no result for this row",
    )
}

/// Whether a row's result says the job never processed it (it goes out again).
pub fn not_processed(r: &WriteResult) -> bool {
    matches!(r, Err(f) if f.code == RunCode::NotProcessed.into())
}

/// One result per row of a bulk job's upload, in row order.
pub fn of_bulk(kind: WriteKind, rows: usize, outcome: BulkOutcome) -> Vec<WriteResult> {
    let mut per_row: Vec<WriteResult> = vec![Err(no_result()); rows];
    for row in outcome.rows {
        let Some(i) = row.index.filter(|i| *i < rows) else {
            continue;
        };
        per_row[i] = match row.outcome {
            RowOutcome::Success { id, created } => {
                Ok(Written::new(kind.success(created), Some(id)))
            }
            RowOutcome::Failed { errors, .. } => Err(first_error(&errors, "the row failed")),
            RowOutcome::Unprocessed => Err(Failure::new(
                RunCode::NotProcessed,
                "the bulk job did not process this row",
            )),
            _ => Err(no_result()),
        };
    }
    per_row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_events_of_a_create_are_updates() {
        let created: WriteResult = Ok(Written::new(Outcome::Created, Some("00Q1".into())));
        assert_eq!(for_event(&created, 0), created);
        assert_eq!(
            for_event(&created, 2),
            Ok(Written::new(Outcome::Updated, Some("00Q1".into())))
        );
        let failed: WriteResult = Err(Failure::new(RunCode::NotFound, "x"));
        assert_eq!(for_event(&failed, 1), failed);
    }

    #[test]
    fn a_record_result_keeps_salesforce_s_code() {
        let r: RecordResult = serde_json::from_value(serde_json::json!({
            "success": false,
            "errors": [{"statusCode": "DUPLICATE_VALUE", "message": "dup", "fields": []}]
        }))
        .unwrap();
        let f = of_record(WriteKind::Create, r).unwrap_err();
        assert_eq!(f.code, Code::Salesforce("DUPLICATE_VALUE".into()));
        let upserted: RecordResult = serde_json::from_value(
            serde_json::json!({"id": "001", "success": true, "created": true}),
        )
        .unwrap();
        assert_eq!(
            of_record(WriteKind::Upsert, upserted).unwrap().outcome,
            Outcome::Created
        );
    }

    #[test]
    fn rows_without_a_result_are_not_processed() {
        let aborted = BulkOutcome {
            job_id: "750000000000001AAA".into(),
            state: crate::salesforce::BulkState::Aborted,
            error_message: None,
            records_processed: 0,
            records_failed: 0,
            rows: Vec::new(),
        };
        let results = of_bulk(WriteKind::Update, 2, aborted);
        assert!(results.iter().all(not_processed));
    }
}

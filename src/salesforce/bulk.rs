//! Bulk API 2.0 ingest jobs (salesforce-api.md §3): create, upload once, close, poll with
//! backoff, read every result file.
//!
//! The steps are public so the executor can persist the job id as soon as the job exists; a run
//! that dies is resumed with `bulk_resume`, which polls instead of uploading again (a job still
//! `Open` never started processing and is aborted, so its rows can be sent again safely).
//! The upload is never repeated blindly: Salesforce accepts one upload per job, and a lost
//! answer leaves it unknown whether the data arrived.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::bulk_results::{self, BulkOutcome, BulkState};
use super::client::{Client, Request, Safety};
use super::error::SfError;
use super::query::check_name;

/// Salesforce accepts 150 MB per upload, base64-encoded internally; 100 MB of CSV is the safe
/// limit. Larger inputs must be split into several jobs by the caller.
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkOperation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
}

impl BulkOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkOperation::Insert => "insert",
            BulkOperation::Update => "update",
            BulkOperation::Upsert => "upsert",
            BulkOperation::Delete => "delete",
            BulkOperation::HardDelete => "hardDelete",
        }
    }
}

/// A job to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkJob {
    pub object: String,
    pub operation: BulkOperation,
    /// Required for upsert: the external id column of the CSV.
    pub external_id_field: Option<String>,
    /// Lead/Case assignment rule to apply.
    pub assignment_rule_id: Option<String>,
}

impl BulkJob {
    pub fn new(object: impl Into<String>, operation: BulkOperation) -> BulkJob {
        BulkJob {
            object: object.into(),
            operation,
            external_id_field: None,
            assignment_rule_id: None,
        }
    }

    pub fn upsert(object: impl Into<String>, external_id_field: impl Into<String>) -> BulkJob {
        BulkJob {
            external_id_field: Some(external_id_field.into()),
            ..BulkJob::new(object, BulkOperation::Upsert)
        }
    }
}

/// `JobInfo` as Salesforce returns it (the fields the client reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    pub id: String,
    pub state: String,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub number_records_processed: Option<u64>,
    #[serde(default)]
    pub number_records_failed: Option<u64>,
    #[serde(default)]
    pub error_message: Option<String>,
}

impl JobInfo {
    pub fn state(&self) -> BulkState {
        BulkState::parse(&self.state)
    }
}

fn check_job_id(id: &str) -> Result<(), SfError> {
    if !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(SfError::InvalidInput(format!("{id:?} is not a job id")))
    }
}

impl Client {
    fn job_path(&self, id: &str, rest: &str) -> String {
        self.data_path(&format!("jobs/ingest/{id}{rest}"))
    }

    /// Runs a whole job over `csv` (from `csv_out`) and returns one outcome per input row, in
    /// input order.
    pub async fn bulk(&self, job: BulkJob, csv: Vec<u8>) -> Result<BulkOutcome, SfError> {
        if csv.len() > MAX_UPLOAD_BYTES {
            return Err(SfError::InvalidInput(format!(
                "the upload is {} bytes; split it into jobs of at most {MAX_UPLOAD_BYTES}",
                csv.len()
            )));
        }
        let info = self.bulk_create_job(&job).await?;
        tracing::info!(job = %info.id, object = %job.object, op = job.operation.as_str(), "bulk job created");
        self.bulk_send(&info.id, &csv).await
    }

    /// Uploads `csv` to a job created with [`Client::bulk_create_job`], closes it, waits for it
    /// and returns one outcome per input row. The caller can persist the job id in between, so
    /// an interrupted run resumes the job (`bulk_resume_with_input`) instead of uploading again.
    pub async fn bulk_send(&self, job_id: &str, csv: &[u8]) -> Result<BulkOutcome, SfError> {
        if csv.len() > MAX_UPLOAD_BYTES {
            return Err(SfError::InvalidInput(format!(
                "the upload is {} bytes; split it into jobs of at most {MAX_UPLOAD_BYTES}",
                csv.len()
            )));
        }
        if let Err(e) = self.bulk_upload(job_id, csv.to_vec()).await {
            // Nothing is processed before UploadComplete: once the job is aborted, a lost
            // upload answer is no longer an unknown outcome — no row was written.
            return Err(match (self.bulk_abort(job_id).await, e) {
                (
                    Ok(_),
                    SfError::OutcomeUnknown {
                        method,
                        path,
                        message,
                    },
                ) => SfError::Transport {
                    method,
                    path,
                    message: format!("{message}; the job was aborted, no row was processed"),
                    timeout: false,
                },
                (_, e) => e,
            });
        }
        self.bulk_close(job_id).await?;
        let done = self.bulk_wait(job_id).await?;
        self.bulk_outcome(&done, Some(csv)).await
    }

    /// Creates the job (state `Open`).
    pub async fn bulk_create_job(&self, job: &BulkJob) -> Result<JobInfo, SfError> {
        check_name("object", &job.object)?;
        let mut body = json!({
            "object": job.object,
            "operation": job.operation.as_str(),
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        });
        match (&job.external_id_field, job.operation) {
            (Some(f), _) => {
                check_name("external id field", f)?;
                body["externalIdFieldName"] = json!(f);
            }
            (None, BulkOperation::Upsert) => {
                return Err(SfError::InvalidInput(
                    "an upsert job needs an external id field".into(),
                ));
            }
            (None, _) => {}
        }
        if let Some(rule) = &job.assignment_rule_id {
            body["assignmentRuleId"] = json!(rule);
        }
        // A duplicate Open job (after a lost answer) is harmless: it is never uploaded to.
        let req = Request::new(
            Method::POST,
            self.data_path("jobs/ingest"),
            Safety::Repeatable,
        )
        .json(body);
        self.send(req).await?.json("bulk job")
    }

    /// Uploads the CSV (once; never repeated after it may have arrived).
    pub async fn bulk_upload(&self, job_id: &str, csv: Vec<u8>) -> Result<(), SfError> {
        check_job_id(job_id)?;
        let req = Request::new(
            Method::PUT,
            self.job_path(job_id, "/batches"),
            Safety::Create,
        )
        .csv(csv);
        self.send(req).await.map(|_| ())
    }

    /// Marks the upload complete, which starts processing.
    pub async fn bulk_close(&self, job_id: &str) -> Result<JobInfo, SfError> {
        match self.set_job_state(job_id, "UploadComplete").await {
            Ok(info) => Ok(info),
            // A repeated close after a lost answer finds the job already past Open.
            Err(e @ SfError::Api { .. }) => {
                let info = self.bulk_job(job_id).await?;
                if info.state() == BulkState::Open || info.state() == BulkState::Aborted {
                    Err(e)
                } else {
                    Ok(info)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Aborts a job that has not finished.
    pub async fn bulk_abort(&self, job_id: &str) -> Result<JobInfo, SfError> {
        self.set_job_state(job_id, "Aborted").await
    }

    async fn set_job_state(&self, job_id: &str, state: &str) -> Result<JobInfo, SfError> {
        check_job_id(job_id)?;
        let req = Request::new(Method::PATCH, self.job_path(job_id, ""), Safety::Repeatable)
            .json(json!({ "state": state }));
        self.send(req).await?.json("bulk job")
    }

    /// The job's current info.
    pub async fn bulk_job(&self, job_id: &str) -> Result<JobInfo, SfError> {
        check_job_id(job_id)?;
        let req = Request::new(Method::GET, self.job_path(job_id, ""), Safety::Repeatable);
        self.send(req).await?.json("bulk job")
    }

    /// Polls until the job is `JobComplete`, `Failed` or `Aborted`, with exponential backoff,
    /// for at most the poll timeout (then `SfError::BulkTimeout`).
    pub async fn bulk_wait(&self, job_id: &str) -> Result<JobInfo, SfError> {
        let poll = self.inner.options.poll.clone();
        let start = Instant::now();
        let mut wait = poll.initial;
        loop {
            let info = self.bulk_job(job_id).await?;
            let state = info.state();
            if state.is_final() {
                return Ok(info);
            }
            if state == BulkState::Open {
                return Err(SfError::InvalidInput(format!(
                    "bulk job {job_id} is still Open: its upload was never completed"
                )));
            }
            if poll.timeout.is_some_and(|t| start.elapsed() + wait > t) {
                return Err(SfError::BulkTimeout {
                    job_id: job_id.to_string(),
                    state: state.as_str().to_string(),
                });
            }
            tokio::time::sleep(wait).await;
            wait = poll.next(wait.max(Duration::from_millis(1)));
        }
    }

    /// Resumes a job persisted by an interrupted run: an `Open` job (never started) is aborted
    /// and reported with no processed rows, otherwise the job is polled to its end and its
    /// results read. Rows carry no input index; `bulk_resume_with_input` maps them.
    pub async fn bulk_resume(&self, job_id: &str) -> Result<BulkOutcome, SfError> {
        self.resume(job_id, None).await
    }

    /// `bulk_resume`, mapping the results to the rows of the upload `csv`.
    pub async fn bulk_resume_with_input(
        &self,
        job_id: &str,
        csv: &[u8],
    ) -> Result<BulkOutcome, SfError> {
        self.resume(job_id, Some(csv)).await
    }

    async fn resume(&self, job_id: &str, csv: Option<&[u8]>) -> Result<BulkOutcome, SfError> {
        let info = self.bulk_job(job_id).await?;
        let done = match info.state() {
            BulkState::Open => self.bulk_abort(job_id).await?,
            s if s.is_final() => info,
            _ => self.bulk_wait(job_id).await?,
        };
        self.bulk_outcome(&done, csv).await
    }

    /// Reads the three result files of a finished job.
    async fn bulk_outcome(
        &self,
        info: &JobInfo,
        csv: Option<&[u8]>,
    ) -> Result<BulkOutcome, SfError> {
        let mut files = Vec::with_capacity(3);
        for name in ["successfulResults", "failedResults", "unprocessedrecords"] {
            let req = Request::new(
                Method::GET,
                self.job_path(&info.id, &format!("/{name}")),
                Safety::Repeatable,
            )
            .accept("text/csv");
            let body = match self.send(req).await {
                Ok(r) => r.body,
                // An aborted or failed job may have no result files at all.
                Err(SfError::Api { status, .. })
                    if (400..500).contains(&status) && info.state() != BulkState::JobComplete =>
                {
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            files.push(body);
        }
        let rows = bulk_results::parse_results(&files[0], &files[1], &files[2])?;
        let rows = match csv {
            Some(csv) => bulk_results::map_to_input(rows, csv)?,
            None => rows,
        };
        Ok(BulkOutcome {
            job_id: info.id.clone(),
            state: info.state(),
            error_message: info.error_message.clone(),
            records_processed: info.number_records_processed.unwrap_or(0),
            records_failed: info.number_records_failed.unwrap_or(0),
            rows,
        })
    }
}

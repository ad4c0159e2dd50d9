//! One ingest job: its JobInfo, its upload and its results.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::store::StoredJob;
use super::csvio;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
    HardDelete,
}

impl Operation {
    pub fn parse(s: &str) -> Option<Operation> {
        Some(match s {
            "insert" => Operation::Insert,
            "update" => Operation::Update,
            "upsert" => Operation::Upsert,
            "delete" => Operation::Delete,
            "hardDelete" => Operation::HardDelete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
            Operation::HardDelete => "hardDelete",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "Open" => JobState::Open,
            "UploadComplete" => JobState::UploadComplete,
            "InProgress" => JobState::InProgress,
            "JobComplete" => JobState::JobComplete,
            "Failed" => JobState::Failed,
            "Aborted" => JobState::Aborted,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Open => "Open",
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    /// The job's number, which its Id carries.
    pub seq: u64,
    pub id: String,
    pub object: String,
    pub operation: Operation,
    pub external_id: Option<String>,
    pub created_by: String,
    pub created: String,
    pub modstamp: String,
    pub state: JobState,
    pub api_version: String,
    pub line_ending: String,
    pub delimiter_name: String,
    pub delimiter: u8,
    /// The upload, kept as sent: result files quote its rows by number.
    pub data: Option<Bytes>,
    /// The upload's header row, as sent.
    pub header: Vec<String>,
    /// (record Id, created, row number)
    pub successes: Vec<(String, bool, usize)>,
    /// (record Id or empty, `sf__Error`, row number)
    pub failures: Vec<(String, String, usize)>,
    /// The rows from this number on were not processed (an aborted or failed job).
    pub unprocessed_from: Option<usize>,
    pub error_message: Option<String>,
    pub processing_ms: u64,
}

impl Job {
    /// JobInfo; `full` adds the processing counters of `GET /jobs/ingest/{id}`.
    pub fn info(&self, full: bool) -> Value {
        let version: f64 = self.api_version.parse().unwrap_or(60.0);
        let mut v = json!({
            "id": self.id,
            "operation": self.operation.as_str(),
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp,
            "state": self.state.as_str(),
            "externalIdFieldName": self.external_id,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": version,
            "jobType": "V2Ingest",
            "contentUrl": format!("services/data/v{}/jobs/ingest/{}/batches", self.api_version, self.id),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter_name,
        });
        if full {
            let processed = self.successes.len() + self.failures.len();
            v["numberRecordsProcessed"] = json!(processed);
            v["numberRecordsFailed"] = json!(self.failures.len());
            v["retries"] = json!(0);
            v["totalProcessingTime"] = json!(self.processing_ms);
            v["apiActiveProcessingTime"] = json!(self.processing_ms);
            v["apexProcessingTime"] = json!(0);
            if let Some(m) = &self.error_message {
                v["errorMessage"] = json!(m);
            }
        }
        v
    }

    fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    pub fn successful_csv(&self) -> String {
        let mut header = vec!["sf__Id".to_string(), "sf__Created".to_string()];
        header.extend(self.header.iter().cloned());
        let mut next = self.successes.iter().peekable();
        csvio::write(
            self.delimiter,
            &header,
            self.data(),
            |row| {
                let (id, created, _) = next.next_if(|s| s.2 == row)?;
                Some([id.as_str(), if *created { "true" } else { "false" }])
            },
            2,
        )
    }

    pub fn failed_csv(&self) -> String {
        let mut header = vec!["sf__Id".to_string(), "sf__Error".to_string()];
        header.extend(self.header.iter().cloned());
        let mut next = self.failures.iter().peekable();
        csvio::write(
            self.delimiter,
            &header,
            self.data(),
            |row| {
                let (id, err, _) = next.next_if(|f| f.2 == row)?;
                Some([id.as_str(), err.as_str()])
            },
            2,
        )
    }

    pub fn unprocessed_csv(&self) -> String {
        let from = self.unprocessed_from.unwrap_or(usize::MAX);
        csvio::write(
            self.delimiter,
            &self.header,
            self.data(),
            |row| (row >= from).then_some(["", ""]),
            0,
        )
    }
}

/// What the state file keeps of a job besides its upload and results (`bulk_jobs.info`).
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    object: String,
    operation: String,
    external_id: Option<String>,
    created_by: String,
    created: String,
    modstamp: String,
    state: String,
    api_version: String,
    line_ending: String,
    delimiter_name: String,
    header: Vec<String>,
    unprocessed_from: Option<usize>,
    error_message: Option<String>,
    processing_ms: u64,
}

/// The results of one processed chunk of rows (`bulk_results.results`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChunkResults {
    pub ok: Vec<(String, bool, usize)>,
    pub bad: Vec<(String, String, usize)>,
}

impl ChunkResults {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Job {
    /// The settings and state the state file keeps.
    pub fn kept_info(&self) -> String {
        let kept = Kept {
            object: self.object.clone(),
            operation: self.operation.as_str().into(),
            external_id: self.external_id.clone(),
            created_by: self.created_by.clone(),
            created: self.created.clone(),
            modstamp: self.modstamp.clone(),
            state: self.state.as_str().into(),
            api_version: self.api_version.clone(),
            line_ending: self.line_ending.clone(),
            delimiter_name: self.delimiter_name.clone(),
            header: self.header.clone(),
            unprocessed_from: self.unprocessed_from,
            error_message: self.error_message.clone(),
            processing_ms: self.processing_ms,
        };
        serde_json::to_string(&kept).unwrap_or_default()
    }

    /// A job as the state file kept it; `None` if what was kept cannot be read.
    pub fn from_stored(stored: StoredJob) -> Option<Job> {
        let kept: Kept = serde_json::from_str(&stored.info).ok()?;
        let mut job = Job {
            seq: stored.seq,
            id: stored.id,
            object: kept.object,
            operation: Operation::parse(&kept.operation)?,
            external_id: kept.external_id,
            created_by: kept.created_by,
            created: kept.created,
            modstamp: kept.modstamp,
            state: JobState::parse(&kept.state)?,
            api_version: kept.api_version,
            line_ending: kept.line_ending,
            delimiter: csvio::delimiter(&kept.delimiter_name)?,
            delimiter_name: kept.delimiter_name,
            data: stored.data.map(Bytes::from),
            header: kept.header,
            successes: Vec::new(),
            failures: Vec::new(),
            unprocessed_from: kept.unprocessed_from,
            error_message: kept.error_message,
            processing_ms: kept.processing_ms,
        };
        for chunk in &stored.results {
            let r: ChunkResults = serde_json::from_str(chunk).ok()?;
            job.successes.extend(r.ok);
            job.failures.extend(r.bad);
        }
        Some(job)
    }

    /// Rows with a result (each processed row has exactly one): where processing resumes.
    pub fn rows_done(&self) -> usize {
        self.successes.len() + self.failures.len()
    }
}

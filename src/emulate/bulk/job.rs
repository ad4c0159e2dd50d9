//! One ingest job: its JobInfo, its upload and its results.

use bytes::Bytes;
use serde_json::{Value, json};

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

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
    pub data: Option<Bytes>,
    /// The upload's header row, as sent.
    pub header: Vec<String>,
    /// (record Id, created, original cells)
    pub successes: Vec<(String, bool, Vec<String>)>,
    /// (record Id or empty, `sf__Error`, original cells)
    pub failures: Vec<(String, String, Vec<String>)>,
    pub unprocessed: Vec<Vec<String>>,
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

    pub fn successful_csv(&self) -> String {
        let mut header = vec!["sf__Id".to_string(), "sf__Created".to_string()];
        header.extend(self.header.iter().cloned());
        let rows = self.successes.iter().map(|(id, created, cells)| {
            let mut r = vec![id.clone(), created.to_string()];
            r.extend(cells.iter().cloned());
            r
        });
        csvio::write(self.delimiter, &header, rows)
    }

    pub fn failed_csv(&self) -> String {
        let mut header = vec!["sf__Id".to_string(), "sf__Error".to_string()];
        header.extend(self.header.iter().cloned());
        let rows = self.failures.iter().map(|(id, err, cells)| {
            let mut r = vec![id.clone(), err.clone()];
            r.extend(cells.iter().cloned());
            r
        });
        csvio::write(self.delimiter, &header, rows)
    }

    pub fn unprocessed_csv(&self) -> String {
        csvio::write(
            self.delimiter,
            &self.header,
            self.unprocessed.iter().cloned(),
        )
    }
}

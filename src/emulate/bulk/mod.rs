//! Bulk API 2.0 ingest (salesforce-api.md §3): jobs are created, receive one CSV upload, are
//! closed with `UploadComplete`, then processed in the background with real state transitions
//! (Open → UploadComplete → InProgress → JobComplete | Failed, or Aborted). Results are CSV with
//! the original columns. With `--state`, jobs (settings, state, upload, results) are kept in the
//! state file and survive a restart; a job being processed is taken up again where it stopped.

mod csvio;
mod job;
mod process;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Method;
use serde_json::{Value, json};

use crate::schema::FieldType;

use super::error::{ApiError, ErrorCode};
use super::http::{ApiRequest, ApiResponse, ApiResult};
use super::org::Org;
use super::store::{Store, StoreError};
use super::validate::internal;

pub use job::{Job, JobState, Operation};

/// The upload limit: 150 MB.
pub const MAX_UPLOAD: usize = 150 * 1024 * 1024;

/// All ingest jobs of the org, in memory and, with `--state`, in the state file.
#[derive(Debug, Default)]
pub struct Jobs {
    pub jobs: HashMap<String, Job>,
    pub order: Vec<String>,
    pub seq: u64,
}

/// The counter of job numbers (so a deleted job's Id is not given again after a restart).
const SEQ_COUNTER: &str = "bulk-job-seq";

/// The jobs a state file kept. Jobs that were being processed are taken up again by
/// [`resume`] from their first row without a result.
pub fn load(store: &Store) -> Result<Jobs, StoreError> {
    let mut jobs = Jobs {
        seq: store.counter(SEQ_COUNTER)?.unwrap_or(0).max(0) as u64,
        ..Jobs::default()
    };
    for stored in store.load_jobs()? {
        jobs.seq = jobs.seq.max(stored.seq);
        if let Some(mut job) = Job::from_stored(stored) {
            if job.state == JobState::InProgress {
                job.state = JobState::UploadComplete;
            }
            jobs.order.push(job.id.clone());
            jobs.jobs.insert(job.id.clone(), job);
        }
    }
    Ok(jobs)
}

/// Starts processing the loaded jobs that were closed but not finished.
pub fn resume(org: &Arc<Org>) {
    let pending: Vec<String> = jobs(org)
        .jobs
        .values()
        .filter(|j| j.state == JobState::UploadComplete)
        .map(|j| j.id.clone())
        .collect();
    for id in pending {
        process::spawn(org.clone(), id);
    }
}

/// Writes a job's settings and state to the state file.
fn keep(org: &Org, job: &Job) -> Result<(), ApiError> {
    org.store()
        .save_job(job.seq, &job.id, &job.kept_info())
        .map_err(internal)
}

fn jobs(org: &Org) -> std::sync::MutexGuard<'_, Jobs> {
    org.jobs.lock().unwrap_or_else(|e| e.into_inner())
}

fn invalid_job(message: impl Into<String>) -> ApiError {
    ApiError::bad(ErrorCode::InvalidJob, message)
}

fn job_state_error(message: impl Into<String>) -> ApiError {
    ApiError::new(409, ErrorCode::InvalidJobState, message)
}

pub fn handle(org: &Arc<Org>, req: &ApiRequest) -> ApiResult {
    let seg: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method.clone(), &seg[2..]) {
        (Method::POST, []) => create(org, req),
        (Method::GET, []) => {
            let j = jobs(org);
            let records: Vec<Value> = j
                .order
                .iter()
                .filter_map(|id| j.jobs.get(id))
                .map(|job| job.info(false))
                .collect();
            Ok(ApiResponse::json(
                200,
                json!({"done": true, "records": records, "nextRecordsUrl": null}),
            ))
        }
        (Method::GET, [id]) => {
            let j = jobs(org);
            let job = j.jobs.get(*id).ok_or_else(ApiError::not_found)?;
            Ok(ApiResponse::json(200, job.info(true)))
        }
        (Method::PATCH, [id]) => patch(org, req, id),
        (Method::DELETE, [id]) => {
            let mut j = jobs(org);
            let job = j.jobs.get(*id).ok_or_else(ApiError::not_found)?;
            if matches!(job.state, JobState::Open | JobState::InProgress) {
                return Err(job_state_error(format!(
                    "Job {id} cannot be deleted in state {}",
                    job.state.as_str()
                )));
            }
            let seq = job.seq;
            org.store().delete_job(seq).map_err(internal)?;
            j.jobs.remove(*id);
            j.order.retain(|x| x != id);
            Ok(ApiResponse::empty(204))
        }
        (Method::PUT, [id, "batches"]) => upload(org, req, id),
        (Method::GET, [id, which]) => {
            let j = jobs(org);
            let job = j.jobs.get(*id).ok_or_else(ApiError::not_found)?;
            let text = match *which {
                "successfulResults" => job.successful_csv(),
                "failedResults" => job.failed_csv(),
                w if w.eq_ignore_ascii_case("unprocessedrecords") => job.unprocessed_csv(),
                _ => return Err(ApiError::not_found()),
            };
            Ok(ApiResponse::csv(text))
        }
        (m, [] | [_] | [_, _]) => Err(ApiError::method_not_allowed(
            m.as_str(),
            "GET,POST,PATCH,PUT,DELETE",
        )),
        _ => Err(ApiError::not_found()),
    }
}

fn create(org: &Org, req: &ApiRequest) -> ApiResult {
    let body = req.json()?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let object_name =
        text("object").ok_or_else(|| invalid_job("InvalidJob : Object is required"))?;
    let object = org.schema.object(&object_name).ok_or_else(|| {
        ApiError::bad(
            ErrorCode::InvalidEntity,
            format!("Entity '{object_name}' is not supported by the Bulk API."),
        )
    })?;
    let op_text = text("operation").unwrap_or_default();
    let operation = Operation::parse(&op_text)
        .ok_or_else(|| invalid_job(format!("InvalidJob : Invalid operation: {op_text}")))?;
    let ext = text("externalIdFieldName");
    let ext = match operation {
        Operation::Upsert => {
            let name = ext.filter(|e| !e.is_empty()).ok_or_else(|| {
                invalid_job(format!(
                    "External ID was blank for {}. An External ID must be specified for upsert.",
                    object.name
                ))
            })?;
            let f = object
                .field(&name)
                .filter(|f| f.external_id || f.id_lookup || f.field_type == FieldType::Id)
                .ok_or_else(|| {
                    invalid_job(format!(
                        "InvalidJob : Field {name} is not an External ID or indexed field of {}",
                        object.name
                    ))
                })?;
            Some(f.name.clone())
        }
        _ => ext,
    };
    let content_type = text("contentType").unwrap_or_else(|| "CSV".into());
    if content_type != "CSV" {
        return Err(invalid_job(format!(
            "InvalidJob : Content type {content_type} is not supported; only CSV"
        )));
    }
    let line_ending = text("lineEnding").unwrap_or_else(|| "LF".into());
    if line_ending != "LF" && line_ending != "CRLF" {
        return Err(invalid_job(format!(
            "InvalidJob : Invalid lineEnding: {line_ending}"
        )));
    }
    let delimiter_name = text("columnDelimiter").unwrap_or_else(|| "COMMA".into());
    let delimiter = csvio::delimiter(&delimiter_name).ok_or_else(|| {
        invalid_job(format!(
            "InvalidJob : Invalid columnDelimiter: {delimiter_name}"
        ))
    })?;
    let mut j = jobs(org);
    j.seq += 1;
    let seq = j.seq;
    let id = crate::schema::sfid::make("750", "0E", seq);
    let now = super::dml::now();
    let job = Job {
        seq,
        id: id.clone(),
        object: object.name.clone(),
        operation,
        external_id: ext,
        created_by: req.user_id.clone(),
        created: now.clone(),
        modstamp: now,
        state: JobState::Open,
        api_version: req.version.clone(),
        line_ending,
        delimiter_name,
        delimiter,
        data: None,
        header: Vec::new(),
        successes: Vec::new(),
        failures: Vec::new(),
        unprocessed_from: None,
        error_message: None,
        processing_ms: 0,
    };
    let info = job.info(false);
    {
        let mut store = org.store();
        store
            .set_counter(SEQ_COUNTER, seq as i64)
            .map_err(internal)?;
        store
            .save_job(seq, &id, &job.kept_info())
            .map_err(internal)?;
    }
    j.jobs.insert(id.clone(), job);
    j.order.push(id);
    Ok(ApiResponse::json(200, info))
}

fn upload(org: &Org, req: &ApiRequest, id: &str) -> ApiResult {
    // The data is CSV, and says so (`text/csv`, parameters such as a charset allowed).
    let content_type = req.header("content-type").unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("text/csv") {
        return Err(ApiError::new(
            415,
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type '{content_type}' is not supported for job data; use text/csv"),
        ));
    }
    if req.body.len() > MAX_UPLOAD {
        return Err(ApiError::bad(
            ErrorCode::ExceededMaxSize,
            "The upload exceeds the 150 MB limit",
        ));
    }
    let mut j = jobs(org);
    let job = j.jobs.get_mut(id).ok_or_else(ApiError::not_found)?;
    if job.state != JobState::Open {
        return Err(job_state_error(format!(
            "Job {id} is not Open (state {}); data can only be uploaded to an Open job",
            job.state.as_str()
        )));
    }
    if job.data.is_some() {
        return Err(ApiError::bad(
            ErrorCode::BulkApiError,
            format!(
                "Found multiple contents for job: <{id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job."
            ),
        ));
    }
    org.store()
        .save_job_data(job.seq, &req.body)
        .map_err(internal)?;
    job.data = Some(req.body.clone());
    Ok(ApiResponse::empty(201))
}

fn patch(org: &Arc<Org>, req: &ApiRequest, id: &str) -> ApiResult {
    let body = req.json()?;
    let state = body.get("state").and_then(Value::as_str).unwrap_or("");
    let mut j = jobs(org);
    let job = j.jobs.get_mut(id).ok_or_else(ApiError::not_found)?;
    match state {
        "UploadComplete" => {
            if job.state != JobState::Open {
                return Err(job_state_error(format!(
                    "Job {id} cannot be closed in state {}",
                    job.state.as_str()
                )));
            }
            job.state = JobState::UploadComplete;
            job.modstamp = super::dml::now();
            keep(org, job)?;
            let info = job.info(false);
            drop(j);
            process::spawn(org.clone(), id.to_string());
            Ok(ApiResponse::json(200, info))
        }
        "Aborted" => {
            if !matches!(
                job.state,
                JobState::Open | JobState::UploadComplete | JobState::InProgress
            ) {
                return Err(job_state_error(format!(
                    "Job {id} cannot be aborted in state {}",
                    job.state.as_str()
                )));
            }
            job.state = JobState::Aborted;
            job.modstamp = super::dml::now();
            keep(org, job)?;
            Ok(ApiResponse::json(200, job.info(false)))
        }
        other => Err(invalid_job(format!(
            "InvalidJob : Invalid state: {other}; expected UploadComplete or Aborted"
        ))),
    }
}

//! Background processing of a closed ingest job: UploadComplete → InProgress → JobComplete, or
//! Failed when the file itself is unusable (unknown column, missing key column). Rows go through
//! the same validation and writes as REST, in chunks of 10,000 (one SQLite savepoint each, as
//! Salesforce processes 10,000-record internal batches), so other API calls interleave.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::schema::{FieldType, ObjectDescribe};

use super::super::dml::{Dml, Upserted};
use super::super::error::{ApiError, ErrorCode};
use super::super::org::Org;
use super::super::validate::Source;
use super::csvio;
use super::job::{JobState, Operation};

/// Rows per internal batch.
pub const CHUNK: usize = 10_000;

#[derive(Debug, Clone)]
enum Col {
    Field(String),
    Rel { rel: String, ext: String },
    Id,
}

pub fn spawn(org: Arc<Org>, id: String) {
    std::thread::spawn(move || run(&org, &id));
}

fn set_failed(org: &Org, id: &str, message: String, rows: Vec<Vec<String>>) {
    let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(job) = j.jobs.get_mut(id) {
        job.state = JobState::Failed;
        job.error_message = Some(message);
        job.unprocessed = rows;
        job.modstamp = super::super::dml::now();
    }
}

fn columns(o: &ObjectDescribe, org: &Org, header: &[String]) -> Result<Vec<Col>, String> {
    header
        .iter()
        .map(|h| {
            if h.eq_ignore_ascii_case("Id") {
                return Ok(Col::Id);
            }
            if let Some(f) = o.field(h) {
                return Ok(Col::Field(f.name.clone()));
            }
            if let Some((rel, ext)) = h.split_once('.') {
                // `Owner:User.Email` names the type of a polymorphic lookup.
                let (rel, ty) = rel
                    .split_once(':')
                    .map_or((rel, None), |(r, t)| (r, Some(t)));
                if let Some(f) = o.relationship(rel) {
                    let target = ty
                        .or_else(|| f.reference_to.first().map(String::as_str))
                        .and_then(|t| org.schema.object(t));
                    if let Some(ext_field) = target.and_then(|t| t.field(ext)) {
                        return Ok(Col::Rel {
                            rel: f
                                .relationship_name
                                .clone()
                                .unwrap_or_else(|| rel.to_string()),
                            ext: ext_field.name.clone(),
                        });
                    }
                }
            }
            Err(format!("InvalidBatch : Field name not found : {h}"))
        })
        .collect()
}

fn run(org: &Arc<Org>, id: &str) {
    let started = Instant::now();
    let (data, object_name, op, ext, delimiter) = {
        let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(job) = j.jobs.get_mut(id) else {
            return;
        };
        if job.state != JobState::UploadComplete {
            return;
        }
        job.state = JobState::InProgress;
        job.modstamp = super::super::dml::now();
        (
            job.data.take(),
            job.object.clone(),
            job.operation,
            job.external_id.clone(),
            job.delimiter,
        )
    };
    let Some(object) = org.schema.object(&object_name) else {
        return set_failed(
            org,
            id,
            format!("InvalidBatch : Unknown object {object_name}"),
            Vec::new(),
        );
    };
    let Some(data) = data else {
        return set_failed(
            org,
            id,
            "InvalidBatch : No data was uploaded for this job".into(),
            Vec::new(),
        );
    };
    let (header, rows) = match csvio::read(&data, delimiter) {
        Ok(x) => x,
        Err(e) => return set_failed(org, id, e, Vec::new()),
    };
    {
        let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = j.jobs.get_mut(id) {
            job.header = header.clone();
        }
    }
    let cols = match columns(object, org, &header) {
        Ok(c) => c,
        Err(e) => return set_failed(org, id, e, rows),
    };
    let id_col = cols.iter().position(|c| matches!(c, Col::Id));
    let needs_id = matches!(
        op,
        Operation::Update | Operation::Delete | Operation::HardDelete
    );
    if needs_id && id_col.is_none() {
        return set_failed(
            org,
            id,
            "InvalidBatch : Field name not found : Id".into(),
            rows,
        );
    }
    let ext_col = match (&op, &ext) {
        (Operation::Upsert, Some(e)) => {
            let pos = if e.eq_ignore_ascii_case("Id") {
                id_col
            } else {
                cols.iter()
                    .position(|c| matches!(c, Col::Field(f) if f.eq_ignore_ascii_case(e)))
            };
            match pos {
                Some(p) => Some(p),
                None => {
                    return set_failed(
                        org,
                        id,
                        format!(
                            "InvalidBatch : The external ID field {e} is missing from the file"
                        ),
                        rows,
                    );
                }
            }
        }
        _ => None,
    };

    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<Vec<String>> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let still_running = {
            let j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
            j.jobs.get(id).map(|job| job.state) == Some(JobState::InProgress)
        };
        if !still_running {
            let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(job) = j.jobs.get_mut(id) {
                job.unprocessed.extend(chunk);
                job.unprocessed.extend(rows.by_ref());
            }
            return;
        }
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        {
            let _gate = org.exclusive.read().unwrap_or_else(|e| e.into_inner());
            let mut store = org.store();
            let _ = store.savepoint();
            let user = org.user_id.clone();
            let mut dml = Dml::new(&org.schema, &mut store, &user);
            for row in chunk {
                match one_row(
                    &mut dml,
                    object,
                    op,
                    ext.as_deref(),
                    &cols,
                    id_col,
                    ext_col,
                    &row,
                ) {
                    Ok((rid, created)) => ok.push((rid, created, row)),
                    Err((rid, e)) => bad.push((rid, e.bulk_cell(), row)),
                }
            }
            let _ = store.release();
        }
        let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = j.jobs.get_mut(id) {
            job.successes.extend(ok);
            job.failures.extend(bad);
        }
    }
    let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(job) = j.jobs.get_mut(id)
        && job.state == JobState::InProgress
    {
        job.state = JobState::JobComplete;
        job.processing_ms = started.elapsed().as_millis() as u64;
        job.modstamp = super::super::dml::now();
    }
}

#[allow(clippy::too_many_arguments)]
fn one_row(
    dml: &mut Dml<'_>,
    object: &ObjectDescribe,
    op: Operation,
    ext: Option<&str>,
    cols: &[Col],
    id_col: Option<usize>,
    ext_col: Option<usize>,
    row: &[String],
) -> Result<(String, bool), (String, ApiError)> {
    let cell = |i: usize| row.get(i).map(String::as_str).unwrap_or("");
    let id_cell = id_col.map(cell).unwrap_or("").to_string();
    let fail = |e: ApiError| (id_cell.clone(), e);
    if row.len() != cols.len() {
        return Err(fail(ApiError::bad(
            ErrorCode::InvalidInputCombination,
            format!(
                "Invalid row: {} columns in a file with {} header columns",
                row.len(),
                cols.len()
            ),
        )));
    }
    let mut body = Map::new();
    for (i, c) in cols.iter().enumerate() {
        let v = cell(i);
        if v.is_empty() {
            continue; // empty means "leave unchanged"
        }
        let value = if v == "#N/A" {
            Value::Null
        } else {
            Value::String(v.to_string())
        };
        match c {
            Col::Id => {}
            Col::Field(f) => {
                body.insert(f.clone(), value);
            }
            Col::Rel { rel, ext } => {
                let mut m = Map::new();
                if value.is_null() {
                    body.insert(rel.clone(), Value::Null);
                } else {
                    m.insert(ext.clone(), value);
                    body.insert(rel.clone(), Value::Object(m));
                }
            }
        }
    }
    let missing_id = || {
        ApiError::bad(
            ErrorCode::MissingArgument,
            format!("Id not specified in an {} call", op.as_str()),
        )
    };
    match op {
        Operation::Insert => {
            if !id_cell.is_empty() {
                body.insert("Id".into(), Value::String(id_cell.clone()));
            }
            dml.create(object, &body, Source::Csv)
                .map(|id| (id, true))
                .map_err(fail)
        }
        Operation::Update => {
            if id_cell.is_empty() {
                return Err(fail(missing_id()));
            }
            dml.update(object, &id_cell, &body, Source::Csv)
                .map(|id| (id, false))
                .map_err(fail)
        }
        Operation::Delete | Operation::HardDelete => {
            if id_cell.is_empty() {
                return Err(fail(missing_id()));
            }
            let r = if op == Operation::Delete {
                dml.delete(object, &id_cell)
            } else {
                dml.hard_delete(object, &id_cell)
            };
            r.map(|id| (id, false)).map_err(fail)
        }
        Operation::Upsert => {
            let ext = ext.unwrap_or("Id");
            let value = ext_col.map(cell).unwrap_or("");
            let (field, value) = if !id_cell.is_empty() && !ext.eq_ignore_ascii_case("Id") {
                ("Id", id_cell.as_str())
            } else {
                (ext, value)
            };
            let is_id = object
                .field(field)
                .is_some_and(|f| f.field_type == FieldType::Id);
            if value.is_empty() && !is_id {
                return Err(fail(
                    ApiError::bad(ErrorCode::MissingArgument, format!("{field} not specified"))
                        .with_fields(vec![field.to_string()]),
                ));
            }
            match dml.upsert(object, field, value, &body, Source::Csv) {
                Ok(Upserted::Created(id)) => Ok((id, true)),
                Ok(Upserted::Updated(id)) => Ok((id, false)),
                Ok(Upserted::Multiple(_)) => Err(fail(
                    ApiError::bad(
                        ErrorCode::DuplicateExternalId,
                        format!("Duplicate external id specified: {value}"),
                    )
                    .with_fields(vec![field.to_string()]),
                )),
                Err(e) => Err(fail(e)),
            }
        }
    }
}

//! Background processing of a closed ingest job: UploadComplete → InProgress → JobComplete, or
//! Failed when the file itself is unusable (unknown column, missing key column). Rows go through
//! the same validation and writes as REST, in chunks of 10,000 (one SQLite savepoint each, as
//! Salesforce processes 10,000-record internal batches), so other API calls interleave.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::schema::{FieldType, ObjectDescribe};

use super::super::dml::{Dml, NewRecord, Upserted};
use super::super::error::{ApiError, ErrorCode};
use super::super::org::Org;
use super::super::validate::{self, BodyKey, Mode, Source};
use super::csvio::{self, Row};
use super::job::{ChunkResults, Job, JobState, Operation};

/// Rows per internal batch.
pub const CHUNK: usize = 10_000;

#[derive(Debug, Clone)]
enum Col {
    Field(String),
    Rel { rel: String, ext: String },
    Id,
}

pub fn spawn(org: Arc<Org>, id: String) {
    org.bulk_workers.fetch_add(1, Ordering::SeqCst);
    std::thread::spawn(move || {
        run(&org, &id);
        org.bulk_workers.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Fails the job; with `unprocessed`, all its rows are reported unprocessed.
fn set_failed(org: &Org, id: &str, message: String, unprocessed: bool) {
    let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(job) = j.jobs.get_mut(id) {
        job.state = JobState::Failed;
        job.error_message = Some(message);
        job.unprocessed_from = unprocessed.then_some(0);
        job.modstamp = super::super::dml::now();
        keep(org, job);
    }
}

/// Writes the job's settings and state to the state file. A failure to write leaves the job
/// running in memory (it is then lost on a restart, as before jobs were kept).
fn keep(org: &Org, job: &Job) {
    let _ = org.store().save_job(job.seq, &job.id, &job.kept_info());
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

/// One key of the body a row stands for (what a REST body would hold): the columns giving it
/// (the last non-empty one wins, as a later key replaces an earlier one in a JSON object) and
/// what it names. Keys are walked in the order `coerce_body` walks a body's (sorted), so a row
/// reports the same error a REST call with the same values would.
struct Entry {
    key: String,
    target: BodyKey,
    /// (column, for a relationship column its parent's external-id field)
    cols: Vec<(usize, Option<String>)>,
}

/// A row's body, per job: the entries of [`Entry`], keyed and sorted.
fn entries(
    object: &ObjectDescribe,
    cols: &[Col],
    id_col: Option<usize>,
    op: Operation,
) -> Vec<Entry> {
    let mut by_key: BTreeMap<String, Vec<(usize, Option<String>)>> = BTreeMap::new();
    for (i, c) in cols.iter().enumerate() {
        match c {
            Col::Id => {}
            Col::Field(f) => by_key.entry(f.clone()).or_default().push((i, None)),
            Col::Rel { rel, ext } => by_key
                .entry(rel.clone())
                .or_default()
                .push((i, Some(ext.clone()))),
        }
    }
    if op == Operation::Insert
        && let Some(i) = id_col
    {
        // An insert's Id column is part of the body (and refused: Id is not createable).
        by_key.insert("Id".into(), vec![(i, None)]);
    }
    by_key
        .into_iter()
        .map(|(key, cols)| Entry {
            target: validate::body_key(object, &key),
            key,
            cols,
        })
        .collect()
}

/// The value of an entry in a row, if a cell gives one: an empty cell leaves the field
/// unchanged, `#N/A` sets it to null, a relationship cell names the parent by external id.
fn entry_value(e: &Entry, row: &Row<'_>, id_col: Option<usize>) -> Option<Value> {
    let (col, ext) = e
        .cols
        .iter()
        .rev()
        .find(|(i, _)| row.get(*i).is_some_and(|c| !c.is_empty()))?;
    let v = row.get(*col).unwrap_or("");
    if Some(*col) == id_col {
        return Some(Value::String(v.to_string()));
    }
    if v == "#N/A" {
        return Some(Value::Null);
    }
    let text = Value::String(v.to_string());
    Some(match ext {
        None => text,
        Some(ext) => {
            let mut m = Map::new();
            m.insert(ext.clone(), text);
            Value::Object(m)
        }
    })
}

fn run(org: &Arc<Org>, id: &str) {
    let started = Instant::now();
    let (data, object_name, op, ext, delimiter, line_ending, seq, first_row) = {
        let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(job) = j.jobs.get_mut(id) else {
            return;
        };
        if job.state != JobState::UploadComplete {
            return;
        }
        job.state = JobState::InProgress;
        job.modstamp = super::super::dml::now();
        keep(org, job);
        (
            job.data.clone(),
            job.object.clone(),
            job.operation,
            job.external_id.clone(),
            job.delimiter,
            job.line_ending.clone(),
            job.seq,
            // A job taken up again after a restart goes on after its last kept result.
            job.rows_done(),
        )
    };
    let Some(object) = org.schema.object(&object_name) else {
        return set_failed(
            org,
            id,
            format!("InvalidBatch : Unknown object {object_name}"),
            false,
        );
    };
    let Some(data) = data else {
        return set_failed(
            org,
            id,
            "InvalidBatch : No data was uploaded for this job".into(),
            false,
        );
    };
    // As in Salesforce, line endings that contradict the job's `lineEnding` fail the job.
    if csvio::line_ending_mismatch(&data, line_ending == "CRLF") {
        // Its rows are reported unprocessed, under their header.
        if let Ok((header, _)) = csvio::Rows::open(&data, delimiter) {
            let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(job) = j.jobs.get_mut(id) {
                job.header = header;
            }
        }
        return set_failed(
            org,
            id,
            format!(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {line_ending}"
            ),
            true,
        );
    }
    // The whole file is read once before any row is written: a malformed file fails the job.
    let (header, parsed) = match csvio::parse(&data, delimiter) {
        Ok(p) => p,
        Err(e) => return set_failed(org, id, e, false),
    };
    drop(data);
    {
        let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = j.jobs.get_mut(id) {
            job.header = header.clone();
            keep(org, job);
        }
    }
    let cols = match columns(object, org, &header) {
        Ok(c) => c,
        Err(e) => return set_failed(org, id, e, true),
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
            true,
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
                        true,
                    );
                }
            }
        }
        _ => None,
    };
    let plan = RowPlan {
        object,
        op,
        ext: ext.as_deref(),
        entries: entries(object, &cols, id_col, op),
        width: cols.len(),
        id_col,
        ext_col,
    };

    let mut row_no = first_row;
    let mut rec = NewRecord::new(object);
    let mut done = false;
    while !done {
        // The org is stopping: leave the job InProgress, its finished chunks kept; a restart
        // on the same state file takes it up from here.
        if org.stopping.load(Ordering::SeqCst) {
            return;
        }
        let still_running = {
            let j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
            j.jobs.get(id).map(|job| job.state) == Some(JobState::InProgress)
        };
        if !still_running {
            let mut j = org.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(job) = j.jobs.get_mut(id) {
                job.unprocessed_from = Some(row_no);
                keep(org, job);
            }
            return;
        }
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        let chunk_start = row_no;
        {
            let _gate = org.exclusive.read().unwrap_or_else(|e| e.into_inner());
            let mut store = org.store();
            let _ = store.savepoint();
            let user = org.user_id.clone();
            let mut dml = Dml::new(&org.schema, &mut store, &user);
            for _ in 0..CHUNK {
                let Some(row) = parsed.row(row_no) else {
                    done = true;
                    break;
                };
                match one_row(&mut dml, &plan, &mut rec, &row) {
                    Ok((rid, created)) => ok.push((rid, created, row_no)),
                    Err((rid, e)) => bad.push((rid, e.bulk_cell(), row_no)),
                }
                row_no += 1;
            }
            drop(dml);
            let results = ChunkResults { ok, bad };
            if store.keeps_jobs() && row_no > chunk_start {
                // In the chunk's savepoint: its records and its results commit together, so
                // a job taken up after a restart neither repeats nor skips a row.
                let _ = store.save_job_results(seq, chunk_start, &results.to_json());
            }
            (ok, bad) = (results.ok, results.bad);
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
        keep(org, job);
    }
}

/// What every row of a job shares.
struct RowPlan<'a> {
    object: &'a ObjectDescribe,
    op: Operation,
    ext: Option<&'a str>,
    entries: Vec<Entry>,
    /// The number of header columns.
    width: usize,
    id_col: Option<usize>,
    ext_col: Option<usize>,
}

fn one_row(
    dml: &mut Dml<'_>,
    plan: &RowPlan<'_>,
    rec: &mut NewRecord,
    row: &Row<'_>,
) -> Result<(String, bool), (String, ApiError)> {
    let RowPlan {
        object,
        op,
        ext,
        ref entries,
        width,
        id_col,
        ext_col,
    } = *plan;
    let cell = |i: usize| row.get(i).unwrap_or("");
    let id_cell = id_col.map(cell).unwrap_or("").to_string();
    let fail = |e: ApiError| (id_cell.clone(), e);
    if row.len() != width {
        return Err(fail(ApiError::bad(
            ErrorCode::InvalidInputCombination,
            format!(
                "Invalid row: {} columns in a file with {} header columns",
                row.len(),
                width
            ),
        )));
    }
    let body: Map<String, Value> = if matches!(
        op,
        Operation::Insert | Operation::Delete | Operation::HardDelete
    ) {
        Map::new()
    } else {
        entries
            .iter()
            .filter_map(|e| entry_value(e, row, id_col).map(|v| (e.key.clone(), v)))
            .collect()
    };
    let missing_id = || {
        ApiError::bad(
            ErrorCode::MissingArgument,
            format!("Id not specified in an {} call", op.as_str()),
        )
    };
    match op {
        Operation::Insert => insert_row(dml, plan, rec, row)
            .map(|id| (id, true))
            .map_err(fail),
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

/// An insert row, coerced straight into the new record (the checks and their order are those
/// of `Dml::create` for the body the row stands for). `rec` is empty before and after.
fn insert_row(
    dml: &mut Dml<'_>,
    plan: &RowPlan<'_>,
    rec: &mut NewRecord,
    row: &Row<'_>,
) -> Result<String, ApiError> {
    match coerce_row(dml, plan, rec, row) {
        Ok(()) => dml.insert_record(plan.object, rec),
        Err(e) => {
            rec.clear();
            Err(e)
        }
    }
}

fn coerce_row(
    dml: &mut Dml<'_>,
    plan: &RowPlan<'_>,
    rec: &mut NewRecord,
    row: &Row<'_>,
) -> Result<(), ApiError> {
    let mut read_only = Vec::new();
    for e in &plan.entries {
        let Some(value) = entry_value(e, row, plan.id_col) else {
            continue;
        };
        let set = validate::coerce_entry(
            dml.schema,
            dml.store,
            plan.object,
            e.target,
            &e.key,
            std::borrow::Cow::Owned(value),
            Mode::Create,
            Source::Csv,
            &mut read_only,
        )?;
        if let Some((i, v)) = set {
            rec.set(i, v);
        }
    }
    validate::check_read_only(read_only)
}

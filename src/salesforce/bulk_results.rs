//! Reading Bulk API 2.0 results back (salesforce-api.md §3.5) and joining them to input rows.
//!
//! Segment reports the HTTP answer of closing the job as every event's outcome and never reads
//! the results (segment-behaviour.md §6). Here every row of `successfulResults`,
//! `failedResults` and `unprocessedrecords` becomes a `BulkRow`. Result files are not in input
//! order, but they echo the uploaded cells, so each result row is matched to an input row with
//! the same cells (identical input rows are matched first come, first served — they are
//! interchangeable). Input rows that appear in no result file get `RowOutcome::NoResult`.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use super::error::{ApiError, SfError};

/// The state of an ingest job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BulkState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
    Other(String),
}

impl BulkState {
    pub fn parse(s: &str) -> BulkState {
        match s {
            "Open" => BulkState::Open,
            "UploadComplete" => BulkState::UploadComplete,
            "InProgress" => BulkState::InProgress,
            "JobComplete" => BulkState::JobComplete,
            "Failed" => BulkState::Failed,
            "Aborted" => BulkState::Aborted,
            other => BulkState::Other(other.to_string()),
        }
    }

    /// Whether the job will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            BulkState::JobComplete | BulkState::Failed | BulkState::Aborted
        )
    }

    pub fn as_str(&self) -> &str {
        match self {
            BulkState::Open => "Open",
            BulkState::UploadComplete => "UploadComplete",
            BulkState::InProgress => "InProgress",
            BulkState::JobComplete => "JobComplete",
            BulkState::Failed => "Failed",
            BulkState::Aborted => "Aborted",
            BulkState::Other(s) => s,
        }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RowOutcome {
    /// Written; `created` is false for rows an upsert updated (and for updates/deletes).
    Success { id: String, created: bool },
    /// Rejected; `id` is set when the row named an existing record.
    Failed {
        id: Option<String>,
        errors: Vec<ApiError>,
    },
    /// Never processed (the job was aborted or failed first).
    Unprocessed,
    /// The row is in no result file (results can be missing beyond the daily batch allocation).
    NoResult,
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkRow {
    /// The row's position in the uploaded CSV (0 = first data row); `None` when it could not be
    /// matched (e.g. a resumed job whose upload is not at hand).
    pub index: Option<usize>,
    pub outcome: RowOutcome,
    /// The row's cells as the result file echoed them.
    pub fields: Vec<(String, String)>,
}

/// The end of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    pub job_id: String,
    pub state: BulkState,
    /// Why the job failed, when it did.
    pub error_message: Option<String>,
    pub records_processed: u64,
    pub records_failed: u64,
    /// In input order when the upload was known, else in result-file order.
    pub rows: Vec<BulkRow>,
}

impl BulkOutcome {
    pub fn succeeded(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Success { .. }))
            .count()
    }
}

/// Parses `sf__Error` (`STATUS_CODE:message:fields --`).
pub fn parse_sf_error(cell: &str) -> Vec<ApiError> {
    let text = cell.trim();
    let text = text.strip_suffix("--").unwrap_or(text).trim_end();
    let (code, rest) = match text.split_once(':') {
        Some((c, r))
            if !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
        {
            (c.to_string(), r)
        }
        _ => ("UNKNOWN".to_string(), text),
    };
    let (message, fields) = match rest.rsplit_once(':') {
        Some((m, f))
            if f.split(',')
                .map(str::trim)
                .all(|x| x.is_empty() || super::soql::is_identifier(x)) =>
        {
            let fields = f
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            (m.to_string(), fields)
        }
        _ => (rest.to_string(), Vec::new()),
    };
    vec![ApiError {
        status_code: code,
        message,
        fields,
    }]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Success,
    Failed,
    Unprocessed,
}

fn parse_file(bytes: &[u8], kind: Kind) -> Result<Vec<BulkRow>, SfError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let bad = |e: csv::Error| SfError::Protocol(format!("unreadable bulk result CSV: {e}"));
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let id_col = col("sf__Id");
    let created_col = col("sf__Created");
    let error_col = col("sf__Error");
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let fields: Vec<(String, String)> = header
            .iter()
            .zip(record.iter())
            .filter(|(h, _)| !h.starts_with("sf__"))
            .map(|(h, v)| (h.clone(), v.to_string()))
            .collect();
        let outcome = match kind {
            Kind::Success => RowOutcome::Success {
                id: cell(id_col).to_string(),
                created: cell(created_col).eq_ignore_ascii_case("true"),
            },
            Kind::Failed => RowOutcome::Failed {
                id: Some(cell(id_col).to_string()).filter(|s| !s.is_empty()),
                errors: parse_sf_error(cell(error_col)),
            },
            Kind::Unprocessed => RowOutcome::Unprocessed,
        };
        rows.push(BulkRow {
            index: None,
            outcome,
            fields,
        });
    }
    Ok(rows)
}

/// The rows of the three result files, in file order (successes, failures, unprocessed).
pub fn parse_results(
    successful: &[u8],
    failed: &[u8],
    unprocessed: &[u8],
) -> Result<Vec<BulkRow>, SfError> {
    let mut rows = parse_file(successful, Kind::Success)?;
    rows.extend(parse_file(failed, Kind::Failed)?);
    rows.extend(parse_file(unprocessed, Kind::Unprocessed)?);
    Ok(rows)
}

/// Assigns each result row the index of the input row it echoes, and returns one row per input
/// row in input order (rows without a result get `NoResult`), followed by any result rows that
/// matched no input row.
pub fn map_to_input(results: Vec<BulkRow>, input_csv: &[u8]) -> Result<Vec<BulkRow>, SfError> {
    let bad = |e: csv::Error| SfError::InvalidInput(format!("the uploaded CSV is unreadable: {e}"));
    let mut reader = csv::ReaderBuilder::new().from_reader(input_csv);
    let header: Vec<String> = reader
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let inputs: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(bad)?;

    // Per set of shared columns: cells → input rows with those cells, in order.
    let mut indexes: HashMap<Vec<usize>, HashMap<Vec<String>, VecDeque<usize>>> = HashMap::new();
    let mut slots: Vec<Option<BulkRow>> = vec![None; inputs.len()];
    let mut unmatched = Vec::new();
    for mut row in results {
        let by_name: HashMap<&str, &str> = row
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let cols: Vec<usize> = (0..header.len())
            .filter(|&i| by_name.contains_key(header[i].as_str()))
            .collect();
        let key: Vec<String> = cols
            .iter()
            .map(|&i| by_name[header[i].as_str()].to_string())
            .collect();
        let index = indexes.entry(cols.clone()).or_insert_with(|| {
            let mut m: HashMap<Vec<String>, VecDeque<usize>> = HashMap::new();
            for (n, input) in inputs.iter().enumerate() {
                let k = cols
                    .iter()
                    .map(|&i| input.get(i).cloned().unwrap_or_default())
                    .collect();
                m.entry(k).or_default().push_back(n);
            }
            m
        });
        match index.get_mut(&key).and_then(VecDeque::pop_front) {
            Some(n) if !cols.is_empty() => {
                row.index = Some(n);
                slots[n] = Some(row);
            }
            _ => unmatched.push(row),
        }
    }
    let mut out: Vec<BulkRow> = slots
        .into_iter()
        .enumerate()
        .map(|(n, slot)| {
            slot.unwrap_or_else(|| BulkRow {
                index: Some(n),
                outcome: RowOutcome::NoResult,
                fields: header
                    .iter()
                    .cloned()
                    .zip(inputs[n].iter().cloned())
                    .collect(),
            })
        })
        .collect();
    out.extend(unmatched);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "ExtId__c,Name\nE1,A1\nE2,\"A,2\"\"q\"\nE3,A3\nE1,A1\nE4,A4\n";

    #[test]
    fn results_are_mapped_back_to_input_order() {
        let ok = "\"sf__Id\",\"sf__Created\",ExtId__c,Name\n\"001000000000005AAA\",\"false\",E3,A3\n\"001000000000004AAA\",\"true\",E1,A1\n\"001000000000004AAA\",\"false\",E1,A1\n";
        let failed = "\"sf__Id\",\"sf__Error\",ExtId__c,Name\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",E2,\"A,2\"\"q\"\n";
        let rows = parse_results(ok.as_bytes(), failed.as_bytes(), b"").unwrap();
        let mapped = map_to_input(rows, INPUT.as_bytes()).unwrap();
        assert_eq!(mapped.len(), 5);
        assert_eq!(
            mapped.iter().map(|r| r.index).collect::<Vec<_>>(),
            vec![Some(0), Some(1), Some(2), Some(3), Some(4)]
        );
        assert_eq!(
            mapped[0].outcome,
            RowOutcome::Success {
                id: "001000000000004AAA".into(),
                created: true
            }
        );
        assert_eq!(
            mapped[1].outcome,
            RowOutcome::Failed {
                id: None,
                errors: vec![ApiError {
                    status_code: "REQUIRED_FIELD_MISSING".into(),
                    message: "Required fields are missing: [Name]".into(),
                    fields: vec!["Name".into()],
                }]
            }
        );
        assert!(matches!(
            mapped[2].outcome,
            RowOutcome::Success { created: false, .. }
        ));
        assert!(matches!(
            mapped[3].outcome,
            RowOutcome::Success { created: false, .. }
        ));
        assert_eq!(mapped[4].outcome, RowOutcome::NoResult);
        assert_eq!(
            mapped[4].fields,
            vec![
                ("ExtId__c".into(), "E4".into()),
                ("Name".into(), "A4".into())
            ]
        );
    }

    #[test]
    fn unprocessed_and_unknown_rows() {
        let unprocessed = "ExtId__c,Name\nE4,A4\nZZ,nope\n";
        let rows = parse_results(b"", b"", unprocessed.as_bytes()).unwrap();
        let mapped = map_to_input(rows, INPUT.as_bytes()).unwrap();
        assert_eq!(mapped.len(), 6);
        assert_eq!(mapped[4].outcome, RowOutcome::Unprocessed);
        assert_eq!(mapped[0].outcome, RowOutcome::NoResult);
        assert_eq!(mapped[5].index, None);
    }

    #[test]
    fn sf_error_cells() {
        let e = parse_sf_error(
            "DUPLICATE_VALUE:duplicate value found: ExtId__c duplicates value on record with id: 001000000000004:ExtId__c --",
        );
        assert_eq!(e[0].status_code, "DUPLICATE_VALUE");
        assert_eq!(
            e[0].message,
            "duplicate value found: ExtId__c duplicates value on record with id: 001000000000004"
        );
        assert_eq!(e[0].fields, vec!["ExtId__c"]);
        let e = parse_sf_error("INVALID_FIELD:No such column 'x' on entity:");
        assert_eq!(e[0].message, "No such column 'x' on entity");
        assert!(e[0].fields.is_empty());
        let e = parse_sf_error("something odd");
        assert_eq!(e[0].status_code, "UNKNOWN");
        assert_eq!(e[0].message, "something odd");
    }

    #[test]
    fn states() {
        assert!(BulkState::parse("JobComplete").is_final());
        assert!(!BulkState::parse("InProgress").is_final());
        assert_eq!(BulkState::parse("Weird").as_str(), "Weird");
    }
}

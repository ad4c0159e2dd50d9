//! Bulk API 2.0 upload CSV (salesforce-api.md §3.6) with the same meaning as a REST body.
//!
//! Segment writes `#N/A` for every field an event lacks, so one event with a `Phone` blanks the
//! phone of every other record in the batch (segment-behaviour.md §6). Here:
//!
//! | record value              | cell            | effect in Salesforce        |
//! |---------------------------|-----------------|-----------------------------|
//! | key absent                | empty           | field left unchanged        |
//! | `null` or `""`            | `#N/A`          | field cleared (as REST does)|
//! | string / number / boolean | the value       | field set                   |
//! | `{"Ext__c": v}` under `Account` | column `Account.Ext__c` | lookup by external id |
//! | array of strings          | `a;b` (multi-select picklist) | field set      |
//!
//! The header is the union of fields in first-seen order (within one record, the map's order); quoting follows RFC 4180 (only cells
//! with a comma, quote or line break are quoted); lines end with LF, as the job declares.

use serde_json::{Map, Value};

/// The `#N/A` marker: "set this field to null".
pub const NULL_CELL: &str = "#N/A";

/// An upload ready for `PUT .../batches`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkCsv {
    pub header: Vec<String>,
    /// The cells of each row, in header order (as written).
    pub rows: Vec<Vec<String>>,
    pub bytes: Vec<u8>,
}

/// Why records cannot be written as CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("record {row}: field {field:?} is not a valid API name")]
    FieldName { row: usize, field: String },
    #[error("record {row}: field {field} holds {what}, which has no CSV form")]
    Value {
        row: usize,
        field: String,
        what: &'static str,
    },
}

/// One record flattened to (column, cell) pairs.
fn flatten(row: usize, record: &Map<String, Value>) -> Result<Vec<(String, String)>, CsvError> {
    let mut out = Vec::with_capacity(record.len());
    for (key, value) in record {
        if key == "attributes" {
            continue;
        }
        if !super::soql::is_identifier(key) {
            return Err(CsvError::FieldName {
                row,
                field: key.clone(),
            });
        }
        match value {
            Value::Object(parent) => {
                // A relationship by external id: {"Account": {"Ext__c": "E1"}}.
                for (k, v) in parent {
                    if k == "attributes" {
                        continue;
                    }
                    let column = format!("{key}.{k}");
                    if !super::soql::is_identifier(&column) {
                        return Err(CsvError::FieldName { row, field: column });
                    }
                    out.push((column.clone(), cell(row, &column, v)?));
                }
            }
            v => out.push((key.clone(), cell(row, key, v)?)),
        }
    }
    Ok(out)
}

fn cell(row: usize, field: &str, v: &Value) -> Result<String, CsvError> {
    let err = |what| CsvError::Value {
        row,
        field: field.to_string(),
        what,
    };
    Ok(match v {
        Value::Null => NULL_CELL.into(),
        Value::String(s) if s.is_empty() => NULL_CELL.into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => parts.push(s.as_str()),
                    _ => return Err(err("an array of non-strings")),
                }
            }
            if parts.is_empty() {
                NULL_CELL.into()
            } else {
                parts.join(";")
            }
        }
        Value::Object(_) => return Err(err("a nested object")),
    })
}

/// Builds the upload for `records`.
pub fn build(records: &[Map<String, Value>]) -> Result<BulkCsv, CsvError> {
    let mut header: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::<String, usize>::new();
    let mut flat = Vec::with_capacity(records.len());
    for (row, record) in records.iter().enumerate() {
        let pairs = flatten(row, record)?;
        for (column, _) in &pairs {
            if !index.contains_key(column) {
                index.insert(column.clone(), header.len());
                header.push(column.clone());
            }
        }
        flat.push(pairs);
    }
    let rows: Vec<Vec<String>> = flat
        .into_iter()
        .map(|pairs| {
            let mut cells = vec![String::new(); header.len()];
            for (column, value) in pairs {
                cells[index[&column]] = value;
            }
            cells
        })
        .collect();
    let bytes = write(&header, &rows);
    Ok(BulkCsv {
        header,
        rows,
        bytes,
    })
}

/// Splits `records` into uploads of at most `max_rows` rows and `max_bytes` bytes (Bulk API 2.0:
/// one upload per job, 100 MB recommended; Salesforce processes 10,000 rows per internal batch).
/// Returns each upload with the index of its first record. A single record larger than
/// `max_bytes` still gets an upload of its own.
pub fn build_chunks(
    records: &[Map<String, Value>],
    max_rows: usize,
    max_bytes: usize,
) -> Result<Vec<(usize, BulkCsv)>, CsvError> {
    let mut out = Vec::new();
    let mut start = 0;
    for chunk in records.chunks(max_rows.max(1)) {
        split_by_bytes(chunk, start, max_bytes, &mut out)?;
        start += chunk.len();
    }
    Ok(out)
}

fn split_by_bytes(
    records: &[Map<String, Value>],
    start: usize,
    max_bytes: usize,
    out: &mut Vec<(usize, BulkCsv)>,
) -> Result<(), CsvError> {
    let csv = build(records).map_err(|e| match e {
        CsvError::FieldName { row, field } => CsvError::FieldName {
            row: row + start,
            field,
        },
        CsvError::Value { row, field, what } => CsvError::Value {
            row: row + start,
            field,
            what,
        },
    })?;
    if csv.bytes.len() <= max_bytes || records.len() <= 1 {
        out.push((start, csv));
        return Ok(());
    }
    let mid = records.len() / 2;
    split_by_bytes(&records[..mid], start, max_bytes, out)?;
    split_by_bytes(&records[mid..], start + mid, max_bytes, out)
}

/// The CSV for a delete or hardDelete job: one `Id` column.
pub fn ids(ids: &[String]) -> BulkCsv {
    let header = vec!["Id".to_string()];
    let rows: Vec<Vec<String>> = ids.iter().map(|id| vec![id.clone()]).collect();
    let bytes = write(&header, &rows);
    BulkCsv {
        header,
        rows,
        bytes,
    }
}

fn write(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; a failure would only drop rows, which the row count shows.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recs(v: Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn text(v: Value) -> String {
        String::from_utf8(build(&recs(v)).unwrap().bytes).unwrap()
    }

    #[test]
    fn absent_is_empty_null_is_na() {
        let out = text(json!([
            {"Email": "a@x.com", "Phone": "1"},
            {"Email": "b@x.com", "Title": null},
            {"Email": "c@x.com", "Phone": ""}
        ]));
        assert_eq!(
            out,
            "Email,Phone,Title\na@x.com,1,\nb@x.com,,#N/A\nc@x.com,#N/A,\n"
        );
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let out = text(json!([
            {"Name": "A,2\"q", "Description": "line1\nline2", "Title": " padded ", "City": "naïve"}
        ]));
        assert_eq!(
            out,
            "City,Description,Name,Title\nnaïve,\"line1\nline2\",\"A,2\"\"q\", padded \n"
        );
        let parsed: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .from_reader(out.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            parsed[0],
            vec!["naïve", "line1\nline2", "A,2\"q", " padded "]
        );
    }

    #[test]
    fn values_and_relationships() {
        let out = text(json!([
            {"attributes": {"type": "Contact"}, "LastName": "X", "Account": {"Ext__c": "E1"},
             "HasOptedOutOfEmail": true, "NumberOfEmployees": 3, "Interests__c": ["a", "b"]},
            {"LastName": "Y", "ReportsTo": {"Email": "boss@x.com"}}
        ]));
        assert_eq!(
            out,
            "Account.Ext__c,HasOptedOutOfEmail,Interests__c,LastName,NumberOfEmployees,ReportsTo.Email\n\
             E1,true,a;b,X,3,\n,,,Y,,boss@x.com\n"
        );
    }

    #[test]
    fn header_is_first_seen_union() {
        let csv = build(&recs(json!([{"B": 1}, {"A": 2, "B": 3}, {"C": 4}]))).unwrap();
        assert_eq!(csv.header, vec!["B", "A", "C"]);
        assert_eq!(csv.rows[2], vec!["", "", "4"]);
    }

    #[test]
    fn refuses_bad_names_and_values() {
        assert!(matches!(
            build(&recs(json!([{"Bad,Name": 1}]))),
            Err(CsvError::FieldName { .. })
        ));
        assert!(matches!(
            build(&recs(json!([{"A": {"B": {"C": 1}}}]))),
            Err(CsvError::Value { .. })
        ));
        assert!(matches!(
            build(&recs(json!([{"A": [1]}]))),
            Err(CsvError::Value { .. })
        ));
    }

    #[test]
    fn chunks_respect_rows_and_bytes() {
        let records: Vec<_> = (0..25)
            .map(|i| json!({"Name": format!("n{i:02}"), "Description": "x".repeat(40)}))
            .map(|v| v.as_object().unwrap().clone())
            .collect();
        let chunks = build_chunks(&records, 10, 1_000_000).unwrap();
        assert_eq!(
            chunks
                .iter()
                .map(|(s, c)| (*s, c.rows.len()))
                .collect::<Vec<_>>(),
            vec![(0, 10), (10, 10), (20, 5)]
        );
        let small = build_chunks(&records, 10, 200).unwrap();
        let mut next = 0;
        for (start, csv) in &small {
            assert_eq!(*start, next);
            assert!(csv.bytes.len() <= 200, "{}", csv.bytes.len());
            next += csv.rows.len();
        }
        assert_eq!(next, 25);
        let err = build_chunks(&recs(json!([{"A": 1}, {"A": 2}, {"B,": 3}])), 2, 1000).unwrap_err();
        assert_eq!(
            err,
            CsvError::FieldName {
                row: 2,
                field: "B,".into()
            }
        );
    }

    #[test]
    fn id_lists() {
        let csv = ids(&["001A".into(), "001B".into()]);
        assert_eq!(String::from_utf8(csv.bytes).unwrap(), "Id\n001A\n001B\n");
    }

    proptest::proptest! {
        #[test]
        fn any_cells_survive_the_csv(cells in proptest::collection::vec("[^\u{0}]{1,12}", 1..6)) {
            let record: Map<String, Value> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("F{i}"), Value::String(c.clone())))
                .collect();
            let csv = build(std::slice::from_ref(&record)).unwrap();
            let mut reader = csv::ReaderBuilder::new().from_reader(csv.bytes.as_slice());
            let row = reader.records().next().unwrap().unwrap();
            let got: Vec<&str> = row.iter().collect();
            let want: Vec<&str> = cells.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}

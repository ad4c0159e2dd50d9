//! `--seed records.jsonl`: one record per line, `{"attributes":{"type":"Account"},"Name":"Acme"}`
//! (or `"type"`/`"sobject"` at the top level), created through the same validation as the REST
//! API so a seed cannot hold records Salesforce would refuse.

use std::path::Path;

use serde_json::Value;

use crate::schema::Schema;

use super::dml::Dml;
use super::error::EmulateError;
use super::store::Store;
use super::validate::Source;

pub fn load(
    schema: &Schema,
    store: &mut Store,
    user_id: &str,
    path: &Path,
) -> Result<usize, EmulateError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmulateError::Io {
        what: "cannot read seed file",
        path: path.display().to_string(),
        source,
    })?;
    let err = |line: usize, message: String| EmulateError::Seed {
        path: path.display().to_string(),
        line,
        message,
    };
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| err(line_no, e.to_string()))?;
        let Value::Object(mut m) = v else {
            return Err(err(line_no, "expected a JSON object".into()));
        };
        let ty = m
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .or_else(|| m.get("type").and_then(Value::as_str))
            .or_else(|| m.get("sobject").and_then(Value::as_str))
            .map(str::to_string)
            .ok_or_else(|| err(line_no, "no attributes.type".into()))?;
        m.remove("type");
        m.remove("sobject");
        let object = schema
            .object(&ty)
            .ok_or_else(|| err(line_no, format!("unknown object {ty}")))?;
        Dml::new(schema, store, user_id)
            .create(object, &m, Source::Json)
            .map_err(|e| err(line_no, e.to_string()))?;
        n += 1;
    }
    Ok(n)
}

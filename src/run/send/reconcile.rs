//! No duplicate on retry: a create that may already have happened (its answer was lost, or a
//! crashed run sent it) is looked for in the org before it is sent again.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::plan::Mapping;
use crate::run::flush::Write;
use crate::salesforce::{Client, soql};
use crate::schema::FieldType;

/// Finds a record created for `w` since `since`: the same values in every searchable field.
/// `None` when none is found or the write has no searchable value.
pub async fn find_created(
    client: &Client,
    mapping: &Mapping,
    w: &Write,
    since: DateTime<Utc>,
) -> Option<String> {
    let q = created_query(mapping, w, since)?;
    let rows = client.query(&q).await.ok()?;
    rows.first()
        .and_then(|r| r.get("Id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The query that finds the record a create made: every scalar field it wrote that SOQL can
/// compare (long text, multi-select picklists and base64 cannot be filtered).
pub fn created_query(mapping: &Mapping, w: &Write, since: DateTime<Utc>) -> Option<String> {
    let mut clauses = Vec::new();
    for (name, value) in &w.fields {
        let searchable = mapping
            .fields
            .iter()
            .find(|f| &f.name == name)
            .is_none_or(|f| {
                !matches!(
                    f.field_type,
                    FieldType::Textarea | FieldType::Multipicklist | FieldType::Base64
                )
            })
            && matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_));
        if searchable && soql::is_identifier(name) {
            if let Ok(l) = soql::literal(value) {
                clauses.push(format!("{name} = {l}"));
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    Some(format!(
        "SELECT Id FROM {} WHERE {} AND CreatedDate >= {} ORDER BY CreatedDate DESC LIMIT 1",
        mapping.object,
        clauses.join(" AND "),
        since.format("%Y-%m-%dT%H:%M:%SZ")
    ))
}

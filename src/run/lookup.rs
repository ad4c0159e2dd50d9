//! Batched matcher lookups: one SOQL `IN (...)` query per chunk of values, per flush.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::flush::{Found, Op};
use crate::plan::Mapping;
use crate::salesforce::{Client, SfError, soql};
use crate::syntax::ast::Join;

/// The longest WHERE clause sent in one query: the whole query must stay well under the
/// request-URI limit (16 KB) that GET queries meet first.
pub const MAX_WHERE_LEN: usize = 12_000;

/// The SOQL queries that find every record the ops' matchers could match, reading the
/// matcher fields and `extra` ones (a dry run compares the mapped fields).
pub fn queries(mapping: &Mapping, ops: &[Op], extra: &[String]) -> Vec<String> {
    let fields: Vec<&str> = mapping.matchers.iter().map(|m| m.field.as_str()).collect();
    let select = format!(
        "SELECT Id{} FROM {} WHERE ",
        fields
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .filter(|f| !f.eq_ignore_ascii_case("Id"))
            .map(|f| format!(", {f}"))
            .collect::<String>(),
        mapping.object
    );
    // With AND, the first matcher's values find a superset; the planner filters exactly.
    let searched: Vec<&str> = match mapping.join {
        Join::And => fields.iter().take(1).copied().collect(),
        Join::Or => fields.clone(),
    };
    let mut out = Vec::new();
    for field in searched {
        let mut literals: Vec<String> = Vec::new();
        for op in ops {
            for (f, v) in &op.matchers {
                if f == field {
                    if let Ok(l) = soql::literal(v) {
                        if !literals.contains(&l) {
                            literals.push(l);
                        }
                    }
                }
            }
        }
        for chunk in in_chunks(field, &literals, MAX_WHERE_LEN) {
            out.push(format!("{select}{chunk}"));
        }
    }
    out
}

/// `field IN (a, b, ...)` clauses of at most `max_len` characters over ready literals.
pub fn in_chunks(field: &str, literals: &[String], max_len: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for l in literals {
        if !current.is_empty() && current.len() + l.len() + 2 > max_len {
            current.push(')');
            out.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current = format!("{field} IN ({l}");
        } else {
            current.push(',');
            current.push_str(l);
        }
    }
    if !current.is_empty() {
        current.push(')');
        out.push(current);
    }
    out
}

/// Runs the lookup queries and returns the distinct records found.
pub async fn find(
    client: &Client,
    mapping: &Mapping,
    ops: &[Op],
    extra: &[String],
) -> Result<Vec<Found>, SfError> {
    let mut by_id: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for q in queries(mapping, ops, extra) {
        let started = std::time::Instant::now();
        let rows = client.query(&q).await?;
        // The query's text holds matcher values: its length only.
        tracing::debug!(
            object = %mapping.object,
            query_chars = q.len(),
            records = rows.len(),
            ms = started.elapsed().as_millis() as u64,
            "lookup"
        );
        for mut record in rows {
            let Some(Value::String(id)) = record.remove("Id") else {
                continue;
            };
            by_id.insert(id, record);
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, values)| Found { id, values })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_stay_under_the_limit() {
        let lits: Vec<String> = (0..100).map(|i| format!("'user{i}@example.com'")).collect();
        let chunks = super::in_chunks("Email", &lits, 200);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= 200));
        let joined = chunks.join(" ");
        assert!(lits.iter().all(|l| joined.contains(l.as_str())));
    }
}

//! What a dry run shows per event: the fields its write would change, against the record the
//! lookup found (read-only queries; nothing is written).

use serde_json::{Map, Value, json};

use super::flush::{Found, Writes, id15};
use super::settlement::{WriteResult, Written};
use crate::plan::Mapping;

/// The fields a dry run's lookup also selects, so writes can be compared with the record:
/// the mapping's own fields (spread fields are unknown until run time, and relationship
/// references are written by external id, so neither is read back).
pub fn compared_fields(mapping: &Mapping) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in &mapping.fields {
        let known = out.iter().any(|o| o.eq_ignore_ascii_case(&f.name))
            || f.name.eq_ignore_ascii_case("Id")
            || mapping
                .matchers
                .iter()
                .any(|m| m.field.eq_ignore_ascii_case(&f.name));
        if !known {
            out.push(f.name.clone());
        }
    }
    out
}

/// `{field: {"from": current, "to": new}}` for each field the write changes. A new record
/// (`current` None) changes every field it sets, from null; a field the lookup did not read
/// (a spread or a relationship reference) shows only `"to"`.
pub fn changes(fields: &Map<String, Value>, current: Option<&Found>) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, to) in fields {
        let from = current.and_then(|c| {
            c.values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        });
        let change = match (current, from) {
            (_, Some(f)) if same(f, to) => continue,
            (_, Some(f)) => json!({"from": f, "to": to}),
            (None, None) => json!({"from": null, "to": to}),
            (Some(_), None) => json!({"to": to}),
        };
        out.insert(name.clone(), change);
    }
    out
}

/// Equal as Salesforce stores them: numbers by value (`5` and `5.0`), a number and its text.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.parse::<f64>().ok() == n.as_f64()
        }
        _ => a == b,
    }
}

/// A dry run's result per event: the write each would be part of (`would_create`, …), with
/// its field changes against the record found. Events settled without a write keep theirs.
pub fn predict(
    writes: &Writes,
    found: &[Found],
    results: &mut [Option<WriteResult>],
    changes: &mut [Option<Map<String, Value>>],
) {
    let current: std::collections::HashMap<&str, &Found> =
        found.iter().map(|f| (id15(&f.id), f)).collect();
    for (kind, w) in writes.iter() {
        let record =
            w.id.as_deref()
                .and_then(|id| current.get(id15(id)).copied());
        let diff = (!kind.is_delete()).then(|| self::changes(&w.fields, record));
        for e in &w.events {
            results[*e as usize] = Some(Ok(Written::new(kind.would(), w.id.clone())));
            changes[*e as usize] = diff.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Found, changes};

    #[test]
    fn only_changed_fields_with_before_and_after() {
        let current = Found {
            id: "00Q000000000001AAA".into(),
            values: json!({"Title": "CEO", "NumberOfEmployees": 5.0, "Phone": null})
                .as_object()
                .cloned()
                .unwrap(),
        };
        let fields = json!({"Title": "CEO", "NumberOfEmployees": 5, "Phone": "1", "City": null});
        assert_eq!(
            serde_json::Value::Object(changes(fields.as_object().unwrap(), Some(&current))),
            json!({
                "Phone": {"from": null, "to": "1"},
                "City": {"to": null}
            })
        );
        assert_eq!(
            serde_json::Value::Object(changes(json!({"Title": "CTO"}).as_object().unwrap(), None)),
            json!({"Title": {"from": null, "to": "CTO"}})
        );
    }
}

//! The key order of query answers, which clients that take columns from record keys depend on:
//! Salesforce writes `totalSize, done, nextRecordsUrl, records`, and each record (and each
//! related record) `attributes` first, then its fields in SELECT order, a relationship where
//! its first field was selected. The records are JSON values (whose objects sort their keys),
//! so the answer is written as text in this order.

use serde_json::Value;

use super::eval::Bound;

/// The keys of one level of a record, in SELECT order; a relationship has the order of its
/// related record's keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyOrder(Vec<(String, Option<KeyOrder>)>);

impl KeyOrder {
    /// The order of records of a query selecting `selected`.
    pub fn of(selected: &[Bound]) -> KeyOrder {
        let mut top = KeyOrder::default();
        for b in selected {
            let mut level = &mut top;
            for (rel, _, _) in &b.steps {
                let i = match level.0.iter().position(|(k, _)| k == rel) {
                    Some(i) => i,
                    None => {
                        level.0.push((rel.clone(), Some(KeyOrder::default())));
                        level.0.len() - 1
                    }
                };
                level = level.0[i].1.get_or_insert_with(KeyOrder::default);
            }
            if !level.0.iter().any(|(k, _)| *k == b.field.name) {
                level.0.push((b.field.name.clone(), None));
            }
        }
        top
    }

    /// Appends a record (or a related record, or `null`) in this order. Keys the order does
    /// not name come after, sorted; there are none in a projected record.
    pub fn write(&self, out: &mut String, v: &Value) {
        let Value::Object(m) = v else {
            out.push_str(&v.to_string());
            return;
        };
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, k: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&Value::String(k.to_string()).to_string());
            out.push(':');
        };
        if let Some(a) = m.get("attributes") {
            key(out, "attributes");
            out.push_str(&a.to_string());
        }
        for (k, sub) in &self.0 {
            if let Some(v) = m.get(k) {
                key(out, k);
                match sub {
                    Some(order) => order.write(out, v),
                    None => out.push_str(&v.to_string()),
                }
            }
        }
        for (k, v) in m {
            if k != "attributes" && !self.0.iter().any(|(o, _)| o == k) {
                key(out, k);
                out.push_str(&v.to_string());
            }
        }
        out.push('}');
    }
}

/// A query answer's text: `totalSize`, `done`, `nextRecordsUrl` when there is a next page,
/// then `records`, each in `order`.
pub fn page(
    total_size: usize,
    done: bool,
    next: Option<&str>,
    records: &[Value],
    order: &KeyOrder,
) -> String {
    let mut out = format!("{{\"totalSize\":{total_size},\"done\":{done},");
    if let Some(url) = next {
        out.push_str("\"nextRecordsUrl\":");
        out.push_str(&Value::String(url.to_string()).to_string());
        out.push(',');
    }
    out.push_str("\"records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        order.write(&mut out, r);
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attributes_first_then_select_order_nested() {
        let order = KeyOrder(vec![
            ("Name".into(), None),
            (
                "Account".into(),
                Some(KeyOrder(vec![("Name".into(), None), ("Id".into(), None)])),
            ),
            ("Email".into(), None),
        ]);
        let rec = json!({
            "Email": "e", "Name": "n", "attributes": {"type": "Contact"},
            "Account": {"Name": "a", "attributes": {"type": "Account"}, "Id": "1"}
        });
        assert_eq!(
            page(1, true, None, &[rec, json!(null)], &order),
            r#"{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact"},"Name":"n","Account":{"attributes":{"type":"Account"},"Name":"a","Id":"1"},"Email":"e"},null]}"#
        );
        assert_eq!(
            page(5, false, Some("/q/01g-2"), &[], &order),
            r#"{"totalSize":5,"done":false,"nextRecordsUrl":"/q/01g-2","records":[]}"#
        );
    }
}

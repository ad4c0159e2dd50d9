//! [`Value`]: a JSON value that borrows its strings from the event line where it can.
//!
//! The reader hands these out for the paths a plan reads. A string without escapes is a slice of
//! the input line (`Cow::Borrowed`), so reading `traits.email` costs no allocation. Objects keep
//! their members in document order as a `Vec` of pairs: they are small, and a map would cost an
//! allocation and hashing for values that are usually looked at once. The reader removes
//! duplicate keys (the last value wins, at the position of the first, as serde_json does), and
//! [`Value::get_key`] searches from the back, so a hand-built object with duplicates behaves the
//! same way.

use std::borrow::Cow;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Number;

use super::path::Segment;

/// A JSON value read from an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`. An explicit null differs from an absent path.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, parsed exactly as serde_json parses it.
    Number(Number),
    /// A string; borrowed from the input when it had no escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object's members in document order.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The member `k` of an object; `None` for a missing key or a value that is not an object.
    /// With duplicate keys the last one wins, like serde_json.
    pub fn get_key(&self, k: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(key, _)| key == k).map(|m| &m.1),
            _ => None,
        }
    }

    /// Element `i` of an array; `None` when out of range or not an array.
    pub fn get_index(&self, i: usize) -> Option<&Value<'a>> {
        match self {
            Value::Array(items) => items.get(i),
            _ => None,
        }
    }

    /// Follows `segs` from this value.
    pub fn get_path(&self, segs: &[Segment]) -> Option<&Value<'a>> {
        segs.iter().try_fold(self, |v, seg| match seg {
            Segment::Key(k) => v.get_key(k),
            Segment::Index(i) => v.get_index(*i),
        })
    }

    /// Copies every borrowed string so the value no longer borrows the input.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// The same value as a `serde_json::Value` (duplicate keys: the last wins).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Converts a `serde_json::Value`.
    pub fn from_json(v: &serde_json::Value) -> Value<'static> {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s.clone())),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// True for JSON `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The JSON type's name, for messages: "null", "boolean", "number", "string", "array",
    /// "object".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

impl From<&serde_json::Value> for Value<'static> {
    fn from(v: &serde_json::Value) -> Value<'static> {
        Value::from_json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value<'static> {
        Value::from_json(&json!({
            "a": {"b": [10, {"c": "x"}]},
            "n": null,
            "t": true,
        }))
    }

    #[test]
    fn lookups() {
        let v = sample();
        let path = [
            Segment::key("a"),
            Segment::key("b"),
            Segment::Index(1),
            Segment::key("c"),
        ];
        assert_eq!(v.get_path(&path).and_then(Value::as_str), Some("x"));
        assert_eq!(v.get_key("n"), Some(&Value::Null));
        assert_eq!(v.get_key("missing"), None);
        assert_eq!(
            v.get_path(&[Segment::key("a"), Segment::key("b"), Segment::Index(0)])
                .unwrap()
                .type_name(),
            "number"
        );
        assert_eq!(v.get_index(0), None);
        assert_eq!(v.get_path(&[]), Some(&v));
        assert_eq!(v.get_path(&[Segment::key("t"), Segment::key("x")]), None);
    }

    #[test]
    fn last_duplicate_key_wins() {
        let v = Value::Object(vec![
            (Cow::Borrowed("k"), Value::Bool(false)),
            (Cow::Borrowed("k"), Value::Bool(true)),
        ]);
        assert_eq!(v.get_key("k"), Some(&Value::Bool(true)));
        assert_eq!(v.to_json(), json!({"k": true}));
    }

    #[test]
    fn json_round_trip_and_serialize() {
        let j = json!({"a": [1, -2, 1.5, "s\"q", null, false], "b": {}});
        let v = Value::from_json(&j);
        assert_eq!(v.to_json(), j);
        assert_eq!(serde_json::to_value(&v).unwrap(), j);
        assert_eq!(
            serde_json::to_string(&Value::Object(vec![
                (Cow::Borrowed("z"), Value::Null),
                (Cow::Borrowed("a"), Value::Bool(true))
            ]))
            .unwrap(),
            r#"{"z":null,"a":true}"#
        );
    }

    #[test]
    fn into_owned_keeps_the_value() {
        let text = String::from("borrowed");
        let v = Value::Array(vec![Value::String(Cow::Borrowed(&text))]);
        let owned: Value<'static> = v.clone().into_owned();
        drop(text);
        assert_eq!(owned.get_index(0).and_then(Value::as_str), Some("borrowed"));
    }

    #[test]
    fn type_names() {
        let names: Vec<_> = [
            Value::Null,
            Value::Bool(true),
            Value::Number(1.into()),
            Value::String("".into()),
            Value::Array(vec![]),
            Value::Object(vec![]),
        ]
        .iter()
        .map(Value::type_name)
        .collect();
        assert_eq!(
            names,
            ["null", "boolean", "number", "string", "array", "object"]
        );
    }
}

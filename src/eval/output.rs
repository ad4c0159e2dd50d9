//! JSONL output of `eval`: one line per record operation, error or (when explaining) skip.

use std::io::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{EventResult, FieldValue, Outcome};
use crate::event::value::Value;

/// Writes one event's outcomes as JSON lines.
pub fn write_jsonl(
    out: &mut impl Write,
    line: usize,
    result: &EventResult<'_, '_>,
) -> std::io::Result<()> {
    for outcome in &result.outcomes {
        let row = Row {
            line,
            event: result.message_id.as_deref(),
            outcome,
        };
        serde_json::to_writer(&mut *out, &row)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

struct Row<'r, 'p, 'a> {
    line: usize,
    event: Option<&'r str>,
    outcome: &'r Outcome<'p, 'a>,
}

struct Fields<'r, 'p, 'a, K>(&'r [(K, FieldValue<'p, 'a>)]);

impl<K: AsRef<str>> Serialize for Fields<'_, '_, '_, K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                FieldValue::Value(v) => map.serialize_entry(name.as_ref(), v)?,
                FieldValue::Lookup {
                    relationship,
                    field,
                    value,
                } => map.serialize_entry(relationship, &Single(field, value))?,
            }
        }
        map.end()
    }
}

struct Single<'r, 'a>(&'r str, &'r Value<'a>);

impl Serialize for Single<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

struct Matchers<'r, 'p, 'a>(&'r [(&'p str, Value<'a>)]);

impl Serialize for Matchers<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Row<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("line", &self.line)?;
        if let Some(e) = self.event {
            map.serialize_entry("event", e)?;
        }
        match self.outcome {
            Outcome::Op(op) => {
                map.serialize_entry("mapping", &op.mapping.name)?;
                map.serialize_entry("object", &op.mapping.object)?;
                map.serialize_entry("operation", &op.operation)?;
                map.serialize_entry("strategy", &op.mapping.strategy)?;
                if !op.matchers.is_empty() {
                    map.serialize_entry("match", &Matchers(&op.matchers))?;
                }
                map.serialize_entry("fields", &Fields(&op.fields))?;
                if !op.on_create.is_empty() {
                    map.serialize_entry("on_create", &Fields(&op.on_create))?;
                }
                if !op.missing_on_create.is_empty() {
                    map.serialize_entry("missing_on_create", &op.missing_on_create)?;
                }
            }
            Outcome::Error(e) => {
                map.serialize_entry("mapping", &e.mapping.name)?;
                map.serialize_entry("error", &ErrorBody(e.code, &e.message))?;
            }
            Outcome::Skipped(skip) => {
                map.serialize_entry("mapping", &skip.mapping.name)?;
                map.serialize_entry("skipped", &skip.reason)?;
            }
        }
        map.end()
    }
}

struct ErrorBody<'r>(&'r str, &'r str);

impl Serialize for ErrorBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("code", self.0)?;
        map.serialize_entry("message", self.1)?;
        map.end()
    }
}

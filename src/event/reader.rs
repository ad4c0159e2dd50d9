//! Reads the values at a plan's paths out of one JSON event.

use super::path::{EventPath, Segment};
use super::value::Value;

/// Which paths to read; built once per compiled plan.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    paths: Vec<EventPath>,
    want_full_event: bool,
}

/// The values read from one event; reusable between events.
#[derive(Debug, Default)]
pub struct ReadOut<'a> {
    pub slots: Vec<Option<Value<'a>>>,
    pub full: Option<serde_json::Value>,
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct ReadError {
    pub offset: usize,
    pub message: String,
}

impl ReadPlan {
    pub fn new(paths: &[EventPath], want_full_event: bool) -> ReadPlan {
        ReadPlan {
            paths: paths.to_vec(),
            want_full_event,
        }
    }

    pub fn read<'a>(&self, json: &'a str, out: &mut ReadOut<'a>) -> Result<(), ReadError> {
        out.slots.clear();
        out.full = None;
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| ReadError {
            offset: 0,
            message: e.to_string(),
        })?;
        if !value.is_object() {
            return Err(ReadError {
                offset: 0,
                message: "the event is not a JSON object".into(),
            });
        }
        for path in &self.paths {
            let mut cur = Some(&value);
            for seg in path.segments.iter() {
                cur = match seg {
                    Segment::Key(k) => cur.and_then(|v| v.get(&**k)),
                    Segment::Index(i) => cur.and_then(|v| v.get(*i)),
                };
            }
            out.slots.push(cur.map(Value::from_json));
        }
        if self.want_full_event {
            out.full = Some(value);
        }
        Ok(())
    }
}

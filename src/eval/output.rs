//! JSONL output of `eval`: one line per record operation, error or (when explaining) skip.
//!
//! Written by hand into a byte buffer with `json_write`; the lines are byte for byte what
//! serializing the outcomes with serde_json wrote before (the tests keep that implementation
//! as the reference and compare).

use super::json_write::{self as json, key};
use super::{EventResult, FieldValue, Outcome};
use crate::outcome::RunCode;

/// Appends one event's outcomes as JSON lines to `buf`.
pub fn push_jsonl(buf: &mut Vec<u8>, line: usize, result: &EventResult<'_, '_>) {
    for outcome in &result.outcomes {
        push_line_start(buf, line);
        push_outcome_rest(buf, result, outcome);
    }
}

/// The start of every output line: `{"line":N`. The rest of the line comes from
/// [`push_outcome_rest`] or [`push_unreadable_rest`]; they are apart so that a line's number
/// can be put in front of text written before that number was known (`eval` on threads).
pub fn push_line_start(buf: &mut Vec<u8>, line: usize) {
    buf.extend_from_slice(b"{\"line\":");
    json::uint(buf, line as u64);
}

/// The rest of an outcome's line after its number, through the `\n`.
pub fn push_outcome_rest(
    buf: &mut Vec<u8>,
    result: &EventResult<'_, '_>,
    outcome: &Outcome<'_, '_>,
) {
    if let Some(e) = result.message_id.as_deref() {
        buf.extend_from_slice(b",\"event\":");
        json::str(buf, e);
    }
    buf.extend_from_slice(b",\"mapping\":");
    match outcome {
        Outcome::Op(op) => {
            json::str(buf, &op.mapping.name);
            buf.extend_from_slice(b",\"object\":");
            json::str(buf, &op.mapping.object);
            // Fixed words: nothing to escape.
            buf.extend_from_slice(b",\"operation\":");
            json::plain(buf, op.operation.as_str());
            buf.extend_from_slice(b",\"strategy\":");
            json::plain(buf, op.mapping.strategy.as_str());
            if !op.matchers.is_empty() {
                buf.extend_from_slice(b",\"match\":{");
                for (i, (k, v)) in op.matchers.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    key(buf, k);
                    json::value(buf, v);
                }
                buf.push(b'}');
            }
            buf.extend_from_slice(b",\"fields\":");
            fields(buf, &op.fields);
            if !op.on_create.is_empty() {
                buf.extend_from_slice(b",\"on_create\":");
                fields(buf, &op.on_create);
            }
            if !op.missing_on_create.is_empty() {
                buf.extend_from_slice(b",\"missing_on_create\":[");
                for (i, name) in op.missing_on_create.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    json::str(buf, name);
                }
                buf.push(b']');
            }
        }
        Outcome::Error(e) => {
            json::str(buf, &e.mapping.name);
            buf.extend_from_slice(b",\"error\":{\"code\":");
            json::str(buf, e.code.as_str());
            buf.extend_from_slice(b",\"message\":");
            json::str(buf, &e.message);
            buf.push(b'}');
        }
        Outcome::Skipped(skip) => {
            json::str(buf, &skip.mapping.name);
            buf.extend_from_slice(b",\"skipped\":");
            json::str(buf, &skip.reason);
        }
    }
    buf.extend_from_slice(b"}\n");
}

/// The rest of the line of an event that could not be read, after its number: an error with
/// `code` (`MALFORMED_EVENT`, `NUMBER_OUT_OF_RANGE`) and `message`.
pub fn push_unreadable_rest(buf: &mut Vec<u8>, code: RunCode, message: &str) {
    buf.extend_from_slice(b",\"error\":{\"code\":");
    json::str(buf, code.as_str());
    buf.extend_from_slice(b",\"message\":");
    json::str(buf, message);
    buf.extend_from_slice(b"}}\n");
}

/// A field list as a JSON object; a lookup is `"Relationship":{"External_Id__c":value}`.
fn fields<K: AsRef<str>>(buf: &mut Vec<u8>, list: &[(K, FieldValue<'_, '_>)]) {
    buf.push(b'{');
    for (i, (name, value)) in list.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match value {
            FieldValue::Value(v) => {
                key(buf, name.as_ref());
                json::value(buf, v);
            }
            FieldValue::Lookup {
                relationship,
                field,
                value,
            } => {
                key(buf, relationship);
                buf.push(b'{');
                key(buf, field);
                json::value(buf, value);
                buf.push(b'}');
            }
        }
    }
    buf.push(b'}');
}

#[cfg(test)]
mod tests;

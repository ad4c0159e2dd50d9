//! One event's fate for one mapping: a line of the report, a row of the ledger.

use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::outcome::{Code, Failure, Outcome};

/// A write's result for the events it carries: the outcome and the record's Id, or why it
/// failed.
pub type WriteResult = Result<Written, Failure>;

/// A successful (or dry-run) result.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub outcome: Outcome,
    pub id: Option<String>,
}

impl Written {
    pub fn new(outcome: Outcome, id: Option<String>) -> Written {
        Written { outcome, id }
    }
}

/// How one event ended for one mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// The event's messageId, or `line:N` when it has none.
    pub key: String,
    /// Its line in the input.
    pub line: usize,
    /// The mapping (empty when none fires).
    pub mapping: String,
    pub outcome: Outcome,
    pub record_id: Option<String>,
    /// Why it failed (outcome `failed`).
    pub failure: Option<Failure>,
    /// Why nothing was written (outcome `skipped`).
    pub reason: Option<String>,
    /// This event's share of the API calls its flush spent.
    pub api_calls: f64,
    /// A dry run's field changes: `{field: {"from", "to"}}` (reported, not kept in the ledger).
    pub changes: Option<Map<String, Value>>,
    /// An earlier run (or an earlier copy of this messageId) delivered the event, with this
    /// outcome (the ledger's); nothing was sent for it now, and the line says `skipped`.
    pub delivered_before: Option<Outcome>,
    /// The event's place in this run's input (the report is written in this order).
    pub seq: u64,
}

impl Settlement {
    fn new(key: &str, line: usize, mapping: &str, outcome: Outcome) -> Settlement {
        Settlement {
            key: key.to_string(),
            line,
            mapping: mapping.to_string(),
            outcome,
            record_id: None,
            failure: None,
            reason: None,
            api_calls: 0.0,
            changes: None,
            delivered_before: None,
            seq: 0,
        }
    }

    /// The event failed.
    pub fn failed(key: &str, line: usize, mapping: &str, failure: Failure) -> Settlement {
        Settlement {
            failure: Some(failure),
            ..Settlement::new(key, line, mapping, Outcome::Failed)
        }
    }

    /// Nothing to write for the event, and why.
    pub fn skipped(key: &str, line: usize, mapping: &str, reason: impl Into<String>) -> Settlement {
        Settlement {
            reason: Some(reason.into()),
            ..Settlement::new(key, line, mapping, Outcome::Skipped)
        }
    }

    /// The event's outcome from its write's result.
    pub fn of(key: &str, line: usize, mapping: &str, result: WriteResult) -> Settlement {
        match result {
            Ok(w) => Settlement {
                record_id: w.id,
                ..Settlement::new(key, line, mapping, w.outcome)
            },
            Err(f) => Settlement::failed(key, line, mapping, f),
        }
    }

    /// The same settlement, as the `seq`-th event of the run.
    pub fn at(mut self, seq: u64) -> Settlement {
        self.seq = seq;
        self
    }

    /// The code the report shows (`error_code`).
    pub fn error_code(&self) -> Option<&Code> {
        self.failure.as_ref().map(|f| &f.code)
    }

    /// The message the report shows (`error_message`): why it failed, or why it was skipped.
    pub fn error_message(&self) -> Option<&str> {
        self.failure
            .as_ref()
            .map(|f| f.message.as_str())
            .or(self.reason.as_deref())
    }
}

/// The report's line: `key, line, mapping? (absent when no mapping fires), outcome,
/// record_id?, error_code?, error_message?, api_calls, changes?, delivered_before?`.
impl serde::Serialize for Settlement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("line", &self.line)?;
        if !self.mapping.is_empty() {
            m.serialize_entry("mapping", &self.mapping)?;
        }
        m.serialize_entry("outcome", &self.outcome)?;
        if let Some(id) = &self.record_id {
            m.serialize_entry("record_id", id)?;
        }
        if let Some(code) = self.error_code() {
            m.serialize_entry("error_code", code)?;
        }
        if let Some(message) = self.error_message() {
            m.serialize_entry("error_message", message)?;
        }
        m.serialize_entry("api_calls", &self.api_calls)?;
        if let Some(changes) = &self.changes {
            m.serialize_entry("changes", changes)?;
        }
        if let Some(earlier) = self.delivered_before {
            m.serialize_entry("delivered_before", &earlier)?;
        }
        m.end()
    }
}

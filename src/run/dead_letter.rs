//! The dead letter file (`--dead-letter`): one JSON line per failed event and mapping, with
//! why it failed and the event's original line byte for byte, so `sfmap replay` can send it
//! again once the cause is fixed.
//!
//! ```json
//! {"sfmap_dead_letter":1,"line":7,"key":"m7","mapping":"lead","error_code":"NOT_FOUND","error_message":"no Lead record matches Email = \"a@x\"","event":"{\"type\":\"identify\",...}"}
//! ```
//!
//! `event` holds the line as a JSON string (escaping round-trips it exactly); a line that is
//! not UTF-8 is kept as `event_base64` instead. `replay` reads these entries, and plain event
//! lines too.

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::settlement::Settlement;

/// The key that marks a line as an entry, and the entry format's version.
pub const MARK: &str = "sfmap_dead_letter";
const VERSION: u32 = 1;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub sfmap_dead_letter: u32,
    /// The event's line in the input it came from.
    pub line: usize,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    pub error_code: String,
    pub error_message: String,
    /// The original line, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The original line's bytes, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_base64: Option<String>,
}

impl Entry {
    /// The entry for a failed settlement and its original line.
    pub fn new(s: &Settlement, raw: &[u8]) -> Entry {
        let (event, event_base64) = match std::str::from_utf8(raw) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(raw)),
            ),
        };
        Entry {
            sfmap_dead_letter: VERSION,
            line: s.line,
            key: s.key.clone(),
            mapping: (!s.mapping.is_empty()).then(|| s.mapping.clone()),
            error_code: s
                .error_code()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            error_message: s.error_message().unwrap_or_default().to_string(),
            event,
            event_base64,
        }
    }

    /// The entry in a dead letter line, if the line is one (a plain event is not).
    pub fn read(line: &str) -> Option<Result<Entry, String>> {
        let rest = line.trim_start().strip_prefix('{')?.trim_start();
        if !rest.starts_with(&format!("\"{MARK}\"")) {
            return None;
        }
        Some(serde_json::from_str::<Entry>(line).map_err(|e| format!("a dead letter entry: {e}")))
    }

    /// The original line's bytes.
    pub fn raw(&self) -> Result<Vec<u8>, String> {
        match (&self.event, &self.event_base64) {
            (Some(text), _) => Ok(text.as_bytes().to_vec()),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("a dead letter entry's event_base64: {e}")),
            (None, None) => Err("a dead letter entry without its event".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Failure, RunCode};

    #[test]
    fn entries_keep_the_line_byte_for_byte() {
        let s = Settlement::failed(
            "m7",
            7,
            "lead",
            Failure::new(RunCode::NotFound, "no Lead record matches"),
        );
        for raw in [
            br#"{"type":"identify","traits":{"name":"Jos\u00e9 \"J\""}}"#.to_vec(),
            b"{\"type\":\"identify\",\"x\":\"\xff\xfe\"}".to_vec(),
        ] {
            let e = Entry::new(&s, &raw);
            let text = serde_json::to_string(&e).unwrap();
            assert!(text.starts_with("{\"sfmap_dead_letter\":1,"), "{text}");
            let back = Entry::read(&text).unwrap().unwrap();
            assert_eq!(back, e);
            assert_eq!(back.raw().unwrap(), raw);
            assert_eq!(back.line, 7);
            assert_eq!(back.error_code, "NOT_FOUND");
        }
        assert!(Entry::read(r#"{"type":"identify"}"#).is_none());
    }
}

//! The request log: every request and response (method, path, status, milliseconds), kept in
//! memory for tests and appended as JSONL to `--log`. Query strings are dropped from the logged
//! path when they could carry secrets (the token endpoint and revoke), and no header or body is
//! ever logged.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// One logged request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// 1-based sequence number of the request.
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub ms: f64,
    /// Whether the call counted against the API allocation.
    pub api: bool,
}

#[derive(Debug)]
pub struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
    file: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    api_calls: AtomicU64,
    seq: AtomicU64,
}

/// Entries kept in memory; older ones are dropped (the file keeps everything).
const MEMORY_CAP: usize = 1_000_000;

impl RequestLog {
    pub fn new(file: Option<std::fs::File>) -> RequestLog {
        RequestLog {
            entries: Mutex::new(Vec::new()),
            file: file.map(|f| Mutex::new(std::io::BufWriter::new(f))),
            api_calls: AtomicU64::new(0),
            seq: AtomicU64::new(0),
        }
    }

    /// Numbers an incoming request (faults are scheduled by this number).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn count_api_call(&self) {
        self.api_calls.fetch_add(1, Ordering::SeqCst);
    }

    pub fn api_calls(&self) -> u64 {
        self.api_calls.load(Ordering::SeqCst)
    }

    pub fn record(&self, entry: LoggedRequest) {
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(line) = serde_json::to_string(&entry) {
                // A full disk must not take the emulator down; the in-memory log still works.
                let _ = writeln!(f, "{line}");
                let _ = f.flush();
            }
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MEMORY_CAP {
            entries.drain(..MEMORY_CAP / 2);
        }
        entries.push(entry);
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

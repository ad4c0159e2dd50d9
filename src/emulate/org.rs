//! The shared state of one emulated org: metadata, records, sessions, counters, jobs.
//!
//! Every handler receives an `Arc<Org>`. Locks are std mutexes held only for the duration of one
//! synchronous operation (never across an `.await`).

use std::sync::Mutex;
use std::time::Duration;

use crate::schema::Schema;

use super::auth::AuthState;
use super::bulk::Jobs;
use super::config::Credentials;
use super::faults::Faults;
use super::jwt::JwtVerifier;
use super::limits::ApiLimits;
use super::log::RequestLog;
use super::query::Cursors;
use super::store::Store;

pub struct Org {
    pub schema: Schema,
    pub store: Mutex<Store>,
    pub auth: Mutex<AuthState>,
    pub creds: Credentials,
    /// 18-character Organization Id (`00D…`).
    pub org_id: String,
    /// 18-character Id of the emulated user (`005…`).
    pub user_id: String,
    /// `http(s)://127.0.0.1:PORT`: the login host and the instance URL.
    pub base_url: String,
    pub token_ttl: Duration,
    pub limits: ApiLimits,
    pub faults: Faults,
    pub log: RequestLog,
    pub jobs: Mutex<Jobs>,
    pub cursors: Mutex<Cursors>,
    pub jwt: JwtVerifier,
    /// Composite calls with savepoints run alone: they hold this for writing, every other API
    /// call holds it for reading.
    pub exclusive: std::sync::RwLock<()>,
    /// How long a request body may take to arrive once its headers are in.
    pub body_timeout: Duration,
    /// `--short-pages SEED`: query pages are now and then shorter than the batch size.
    pub short_pages: Option<u64>,
    /// Set when the emulator stops: Bulk processing stops at its next chunk.
    pub stopping: std::sync::atomic::AtomicBool,
    /// Bulk jobs being processed.
    pub bulk_workers: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Org {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Org")
            .field("org_id", &self.org_id)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Org {
    /// The org Id's 15-character form (what access tokens start with).
    pub fn org_id15(&self) -> &str {
        &self.org_id[..15]
    }

    /// The identity URL (`id` in token responses).
    pub fn identity_url(&self) -> String {
        format!("{}/id/{}/{}", self.base_url, self.org_id, self.user_id)
    }

    /// Locks the store. A poisoned lock (a panic elsewhere) still yields the data: SQLite keeps
    /// it consistent on its own.
    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }
}

//! The ledger file's layout, by version (`PRAGMA user_version`), and the migration of older
//! files. Versions: 0, the first layout (events keyed by event and mapping); 2, events and Bulk
//! jobs keyed by the org as well (version 1 was never written).

use rusqlite::Connection;

use super::LedgerError;

/// The layout this sfmap writes.
pub const VERSION: i64 = 2;

const EVENTS: &str = "CREATE TABLE events (
   org TEXT NOT NULL DEFAULT '',
   key TEXT NOT NULL,
   mapping TEXT NOT NULL,
   line INTEGER NOT NULL,
   state TEXT NOT NULL,
   outcome TEXT,
   record_id TEXT,
   error_code TEXT,
   error_message TEXT,
   api_calls REAL NOT NULL DEFAULT 0,
   PRIMARY KEY (org, key, mapping)
 )";

const BULK_JOBS: &str = "CREATE TABLE bulk_jobs (
   job_id TEXT PRIMARY KEY,
   org TEXT NOT NULL DEFAULT '',
   mapping TEXT NOT NULL,
   operation TEXT NOT NULL,
   csv BLOB NOT NULL,
   rows TEXT NOT NULL,
   done INTEGER NOT NULL DEFAULT 0
 )";

/// Brings the file to [`VERSION`]: creates a new one, migrates an older one in one
/// transaction (its entries keep no org: the first org that uses the file takes them, see
/// `Ledger::for_org`), refuses a newer one.
pub fn prepare(db: &mut Connection) -> Result<(), LedgerError> {
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > VERSION {
        return Err(LedgerError::Layout(format!(
            "the ledger was written by a newer sfmap (layout {version}, this one reads up to \
             {VERSION}); use that sfmap, or another --ledger"
        )));
    }
    if version == VERSION {
        return Ok(());
    }
    let tx = db.transaction()?;
    let exists = |name: &str| -> Result<bool, rusqlite::Error> {
        tx.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    if exists("events")? {
        tx.execute_batch(&format!(
            "ALTER TABLE events RENAME TO events_v0;
             {EVENTS};
             INSERT INTO events (key, mapping, line, state, outcome, record_id, error_code,
                                 error_message, api_calls)
               SELECT key, mapping, line, state, outcome, record_id, error_code, error_message,
                      api_calls FROM events_v0;
             DROP TABLE events_v0;"
        ))?;
    } else {
        tx.execute_batch(EVENTS)?;
    }
    if exists("bulk_jobs")? {
        tx.execute_batch("ALTER TABLE bulk_jobs ADD COLUMN org TEXT NOT NULL DEFAULT ''")?;
    } else {
        tx.execute_batch(BULK_JOBS)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {VERSION}"))?;
    tx.commit()?;
    Ok(())
}

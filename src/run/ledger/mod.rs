//! The run ledger (SQLite): every event's outcome, so a run can be resumed after a crash
//! without loss or duplicates, and failed events can be replayed.
//!
//! An event is keyed by its messageId (or `line:N` when it has none) and the mapping. Before a
//! write is sent its events are marked `sent`; when the results are back they are `done` with
//! their outcome. A resumed run skips `done` events and re-checks `sent` ones before writing
//! again (see `executor.rs`).

mod layout;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::settlement::Settlement;
use crate::outcome::{LedgerState, Outcome, WriteKind};

/// What the ledger holds for one event and mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub state: LedgerState,
    /// The recorded outcome, once `done`.
    pub outcome: Option<Outcome>,
    /// The record it was written to, when known.
    pub record_id: Option<String>,
}

impl Entry {
    /// Done with an outcome other than `failed`: a later run skips the event (a failed one is
    /// tried again, the mapping may be fixed).
    pub fn delivered(&self) -> bool {
        self.state == LedgerState::Done && self.outcome != Some(Outcome::Failed)
    }
}

/// Why the ledger failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("ledger: {0}")]
    Layout(String),
}

/// The ledger database: what happened to each event, per org.
pub struct Ledger {
    db: Connection,
    /// The org whose entries this ledger reads and writes (empty: not yet known).
    org: String,
}

impl Ledger {
    /// Opens (or creates) a ledger file; `None` keeps it in memory.
    pub fn open(path: Option<&Path>) -> Result<Ledger, LedgerError> {
        let mut db = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        layout::prepare(&mut db)?;
        Ok(Ledger {
            db,
            org: String::new(),
        })
    }

    /// Reads and writes the entries of this org (its 18-character Id) from now on: a run
    /// against another org delivers everything again. Entries of a ledger from before entries
    /// had an org are taken as this org's; returns how many.
    pub fn for_org(mut self, org_id: &str) -> Result<(Ledger, u64), LedgerError> {
        let tx = self.db.transaction()?;
        let adopted = tx.execute("UPDATE events SET org = ?1 WHERE org = ''", [org_id])?;
        tx.execute("UPDATE bulk_jobs SET org = ?1 WHERE org = ''", [org_id])?;
        tx.commit()?;
        self.org = org_id.to_string();
        Ok((self, adopted as u64))
    }

    /// The org this ledger is scoped to (empty until [`Ledger::for_org`]).
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The state of an event for a mapping.
    pub fn state(&self, key: &str, mapping: &str) -> Result<Option<LedgerState>, LedgerError> {
        Ok(self.entry(key, mapping)?.map(|e| e.state))
    }

    /// The state and (when done) the outcome of an event for a mapping.
    pub fn entry(&self, key: &str, mapping: &str) -> Result<Option<Entry>, LedgerError> {
        let row: Option<(String, Option<String>, Option<String>)> = self
            .db
            .query_row(
                "SELECT state, outcome, record_id FROM events
                 WHERE org = ?3 AND key = ?1 AND mapping = ?2",
                params![key, mapping, self.org],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((state, outcome, record_id)) = row else {
            return Ok(None);
        };
        let state = LedgerState::parse(&state).ok_or_else(|| unknown_word(0, &state))?;
        let outcome = match outcome {
            Some(o) => Some(Outcome::parse(&o).ok_or_else(|| unknown_word(1, &o))?),
            None => None,
        };
        Ok(Some(Entry {
            state,
            outcome,
            record_id,
        }))
    }

    /// Marks events as sent (a write carrying them is about to go out).
    pub fn mark_sent(&mut self, events: &[(String, String, usize)]) -> Result<(), LedgerError> {
        let tx = self.db.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (org, key, mapping, line, state) VALUES (?5, ?1, ?2, ?3, ?4)
                 ON CONFLICT (org, key, mapping) DO UPDATE SET state = ?4",
            )?;
            for (key, mapping, line) in events {
                stmt.execute(params![
                    key,
                    mapping,
                    *line as i64,
                    LedgerState::Sent.as_str(),
                    self.org
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records final outcomes, in one transaction.
    pub fn record(&mut self, outcomes: &[Settlement]) -> Result<(), LedgerError> {
        let tx = self.db.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (org, key, mapping, line, state, outcome, record_id,
                                     error_code, error_message, api_calls)
                 VALUES (?10, ?1, ?2, ?3, ?9, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (org, key, mapping) DO UPDATE SET state = ?9, outcome = ?4,
                   record_id = ?5, error_code = ?6, error_message = ?7, api_calls = ?8",
            )?;
            for o in outcomes {
                stmt.execute(params![
                    o.key,
                    o.mapping,
                    o.line as i64,
                    o.outcome.as_str(),
                    o.record_id,
                    o.error_code().map(|c| c.as_str()),
                    o.error_message(),
                    o.api_calls,
                    LedgerState::Done.as_str(),
                    self.org,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Counts of final outcomes.
    pub fn counts(&self) -> Result<Vec<(String, u64)>, LedgerError> {
        let mut stmt = self.db.prepare(
            "SELECT outcome, COUNT(*) FROM events WHERE org = ?2 AND state = ?1
             GROUP BY outcome ORDER BY outcome",
        )?;
        let rows = stmt
            .query_map(params![LedgerState::Done.as_str(), self.org], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// A Bulk API job a run created, kept until its results are recorded, so an interrupted run
/// polls it again instead of uploading its rows a second time.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkJobEntry {
    pub job_id: String,
    pub mapping: String,
    /// The job's operation.
    pub operation: WriteKind,
    /// The uploaded CSV: results are mapped back to its rows.
    pub csv: Vec<u8>,
    /// Per CSV row, the events (key, line) whose write it carries, in event order.
    pub rows: Vec<Vec<(String, usize)>>,
}

impl Ledger {
    /// Remembers a job as soon as it exists (before its upload).
    pub fn add_bulk_job(&mut self, job: &BulkJobEntry) -> Result<(), LedgerError> {
        let rows = serde_json::to_string(&job.rows)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.db.execute(
            "INSERT OR REPLACE INTO bulk_jobs (job_id, org, mapping, operation, csv, rows, done)
             VALUES (?1, ?6, ?2, ?3, ?4, ?5, 0)",
            params![
                job.job_id,
                job.mapping,
                job.operation.as_str(),
                job.csv,
                rows,
                self.org
            ],
        )?;
        Ok(())
    }

    /// Jobs whose results were never recorded, oldest first.
    pub fn open_bulk_jobs(&self) -> Result<Vec<BulkJobEntry>, LedgerError> {
        let mut stmt = self.db.prepare(
            "SELECT job_id, mapping, operation, csv, rows FROM bulk_jobs
             WHERE done = 0 AND org = ?1 ORDER BY rowid",
        )?;
        let jobs = stmt
            .query_map([&self.org], |r| {
                let rows: String = r.get(4)?;
                let operation: String = r.get(2)?;
                Ok(BulkJobEntry {
                    job_id: r.get(0)?,
                    mapping: r.get(1)?,
                    operation: WriteKind::parse(&operation)
                        .ok_or_else(|| unknown_word(2, &operation))?,
                    csv: r.get(3)?,
                    rows: serde_json::from_str(&rows).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            4,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(jobs)
    }

    /// The job's results are recorded (or it processed nothing): forget its upload.
    pub fn close_bulk_job(&mut self, job_id: &str) -> Result<(), LedgerError> {
        self.db.execute(
            "UPDATE bulk_jobs SET done = 1, csv = x'' WHERE job_id = ?1",
            params![job_id],
        )?;
        Ok(())
    }
}

/// A word in the ledger that this version of sfmap does not know (a newer sfmap wrote it, or
/// the file was edited): an error, never a guess.
fn unknown_word(column: usize, word: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown ledger value {word:?}").into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("sfmap-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let mut l = Ledger::open(Some(&path)).unwrap();
            l.mark_sent(&[
                ("m1".into(), "lead".into(), 1),
                ("m2".into(), "lead".into(), 2),
            ])
            .unwrap();
            let mut created = Settlement::of(
                "m1",
                1,
                "lead",
                Ok(super::super::settlement::Written::new(
                    Outcome::Created,
                    Some("00Q000000000001AAA".into()),
                )),
            );
            created.api_calls = 0.5;
            l.record(&[created]).unwrap();
        }
        let l = Ledger::open(Some(&path)).unwrap();
        assert_eq!(l.state("m1", "lead").unwrap(), Some(LedgerState::Done));
        assert_eq!(l.state("m2", "lead").unwrap(), Some(LedgerState::Sent));
        assert_eq!(l.state("m3", "lead").unwrap(), None);
        assert_eq!(l.counts().unwrap(), [("created".to_string(), 1)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bulk_jobs_stay_open_until_closed() {
        let mut l = Ledger::open(None).unwrap();
        let job = BulkJobEntry {
            job_id: "750000000000001AAA".into(),
            mapping: "lead".into(),
            operation: WriteKind::Create,
            csv: b"LastName\nA\n".to_vec(),
            rows: vec![vec![("m1".into(), 1), ("m2".into(), 2)]],
        };
        l.add_bulk_job(&job).unwrap();
        assert_eq!(l.open_bulk_jobs().unwrap(), std::slice::from_ref(&job));
        l.close_bulk_job(&job.job_id).unwrap();
        assert!(l.open_bulk_jobs().unwrap().is_empty());
    }

    fn temp_file(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sfmap-ledger-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.sqlite");
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn each_org_has_its_own_entries() {
        let path = temp_file("orgs");
        let (mut a, _) = Ledger::open(Some(&path))
            .unwrap()
            .for_org("00DA00000000001AAA")
            .unwrap();
        a.record(&[Settlement::skipped("m1", 1, "lead", "nothing changed")])
            .unwrap();
        assert_eq!(a.state("m1", "lead").unwrap(), Some(LedgerState::Done));
        drop(a);
        let (b, adopted) = Ledger::open(Some(&path))
            .unwrap()
            .for_org("00DB00000000001AAA")
            .unwrap();
        assert_eq!(adopted, 0);
        assert_eq!(b.state("m1", "lead").unwrap(), None);
        assert!(b.counts().unwrap().is_empty());
        let (a, _) = Ledger::open(Some(&path))
            .unwrap()
            .for_org("00DA00000000001AAA")
            .unwrap();
        assert_eq!(a.state("m1", "lead").unwrap(), Some(LedgerState::Done));
    }

    #[test]
    fn a_ledger_of_the_first_layout_is_migrated_and_taken_by_the_first_org() {
        let path = temp_file("v0");
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(
                "CREATE TABLE events (key TEXT NOT NULL, mapping TEXT NOT NULL,
                   line INTEGER NOT NULL, state TEXT NOT NULL, outcome TEXT, record_id TEXT,
                   error_code TEXT, error_message TEXT, api_calls REAL NOT NULL DEFAULT 0,
                   PRIMARY KEY (key, mapping));
                 CREATE TABLE bulk_jobs (job_id TEXT PRIMARY KEY, mapping TEXT NOT NULL,
                   operation TEXT NOT NULL, csv BLOB NOT NULL, rows TEXT NOT NULL,
                   done INTEGER NOT NULL DEFAULT 0);
                 INSERT INTO events VALUES ('m1', 'lead', 1, 'done', 'created', '00Q1', NULL, NULL, 1);
                 INSERT INTO events VALUES ('m2', 'lead', 2, 'sent', NULL, NULL, NULL, NULL, 0);
                 INSERT INTO bulk_jobs VALUES ('750A', 'lead', 'upsert', x'41', '[]', 0);",
            )
            .unwrap();
        }
        let (l, adopted) = Ledger::open(Some(&path))
            .unwrap()
            .for_org("00DA00000000001AAA")
            .unwrap();
        assert_eq!(adopted, 2);
        let version: i64 =
            l.db.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
        assert_eq!(version, layout::VERSION);
        assert_eq!(l.state("m1", "lead").unwrap(), Some(LedgerState::Done));
        assert_eq!(l.state("m2", "lead").unwrap(), Some(LedgerState::Sent));
        assert_eq!(l.open_bulk_jobs().unwrap()[0].operation, WriteKind::Upsert);
        drop(l);
        let (other, adopted) = Ledger::open(Some(&path))
            .unwrap()
            .for_org("00DB00000000001AAA")
            .unwrap();
        assert_eq!(adopted, 0);
        assert_eq!(other.state("m1", "lead").unwrap(), None);
    }

    #[test]
    fn a_newer_layout_is_refused() {
        let path = temp_file("newer");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let err = Ledger::open(Some(&path)).err().unwrap();
        assert!(err.to_string().contains("newer sfmap"), "{err}");
    }

    #[test]
    fn an_unknown_bulk_operation_is_an_error_not_a_delete() {
        let l = Ledger::open(None).unwrap();
        l.db.execute(
            "INSERT INTO bulk_jobs (job_id, mapping, operation, csv, rows) VALUES ('750A', 'lead', 'merge', x'', '[]')",
            [],
        )
        .unwrap();
        let err = l.open_bulk_jobs().unwrap_err();
        assert!(err.to_string().contains("\"merge\""), "{err}");
    }
}

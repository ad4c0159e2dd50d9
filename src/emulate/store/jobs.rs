//! Bulk API 2.0 ingest jobs in the state file, so a job survives a restart: its settings and
//! state (`bulk_jobs.info`, JSON the bulk module writes and reads), its upload as sent
//! (`bulk_jobs.data`) and its results, one row per processed chunk (`bulk_results`), written
//! inside the chunk's savepoint so a chunk's records and its results commit together.
//!
//! Only a `--state` file keeps jobs: in memory there is no restart to survive, and a copy of
//! every upload in SQLite would only double the memory a job takes. There every call is a no-op
//! and [`Store::load_jobs`] finds nothing.

use rusqlite::params;

use super::{Store, StoreError};

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    /// The job's number (its Id carries it).
    pub seq: u64,
    pub id: String,
    pub info: String,
    pub data: Option<Vec<u8>>,
    /// Each processed chunk's results, in row order.
    pub results: Vec<String>,
}

impl Store {
    /// Whether jobs are kept (a `--state` file).
    pub fn keeps_jobs(&self) -> bool {
        self.persistent
    }

    /// Writes a job's settings and state (created or replaced).
    pub fn save_job(&mut self, seq: u64, id: &str, info: &str) -> Result<(), StoreError> {
        if !self.persistent {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT INTO bulk_jobs (seq, id, info) VALUES (?1, ?2, ?3)
                 ON CONFLICT(seq) DO UPDATE SET info = ?3",
            )?
            .execute(params![seq as i64, id, info])?;
        Ok(())
    }

    /// Keeps a job's upload.
    pub fn save_job_data(&mut self, seq: u64, data: &[u8]) -> Result<(), StoreError> {
        if !self.persistent {
            return Ok(());
        }
        self.conn
            .prepare_cached("UPDATE bulk_jobs SET data = ?2 WHERE seq = ?1")?
            .execute(params![seq as i64, data])?;
        Ok(())
    }

    /// Keeps the results of the chunk of a job's rows that starts at `first_row`.
    pub fn save_job_results(
        &mut self,
        seq: u64,
        first_row: usize,
        results: &str,
    ) -> Result<(), StoreError> {
        if !self.persistent {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO bulk_results (job_seq, first_row, results) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![seq as i64, first_row as i64, results])?;
        Ok(())
    }

    /// Forgets a job and its results.
    pub fn delete_job(&mut self, seq: u64) -> Result<(), StoreError> {
        if !self.persistent {
            return Ok(());
        }
        self.conn
            .prepare_cached("DELETE FROM bulk_results WHERE job_seq = ?1")?
            .execute(params![seq as i64])?;
        self.conn
            .prepare_cached("DELETE FROM bulk_jobs WHERE seq = ?1")?
            .execute(params![seq as i64])?;
        Ok(())
    }

    /// Every kept job, in creation order.
    pub fn load_jobs(&self) -> Result<Vec<StoredJob>, StoreError> {
        let mut jobs = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT seq, id, info, data FROM bulk_jobs ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            jobs.push(StoredJob {
                seq: r.get::<_, i64>(0)? as u64,
                id: r.get(1)?,
                info: r.get(2)?,
                data: r.get(3)?,
                results: Vec::new(),
            });
        }
        let mut stmt = self
            .conn
            .prepare("SELECT results FROM bulk_results WHERE job_seq = ?1 ORDER BY first_row")?;
        for job in &mut jobs {
            job.results = stmt
                .query_map(params![job.seq as i64], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?;
        }
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_in_a_file_and_not_in_memory() {
        let dir = std::env::temp_dir().join(format!("sfmap-store-jobs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        {
            let mut s = Store::open(Some(&path)).unwrap();
            s.save_job(1, "750A", "{\"state\":\"Open\"}").unwrap();
            s.save_job(2, "750B", "{}").unwrap();
            s.save_job_data(1, b"Name\nx\n").unwrap();
            s.save_job(1, "750A", "{\"state\":\"InProgress\"}").unwrap();
            s.save_job_results(1, 10, "second").unwrap();
            s.save_job_results(1, 0, "first").unwrap();
            s.save_job_results(2, 0, "gone").unwrap();
            s.delete_job(2).unwrap();
        }
        let s = Store::open(Some(&path)).unwrap();
        assert_eq!(
            s.load_jobs().unwrap(),
            [StoredJob {
                seq: 1,
                id: "750A".into(),
                info: "{\"state\":\"InProgress\"}".into(),
                data: Some(b"Name\nx\n".to_vec()),
                results: vec!["first".into(), "second".into()],
            }]
        );
        let mut m = Store::open(None).unwrap();
        m.save_job(1, "750A", "{}").unwrap();
        assert!(m.load_jobs().unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn layout_2_files_get_the_job_tables() {
        let dir = std::env::temp_dir().join(format!("sfmap-store-v2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        let id = crate::schema::sfid::make("001", "0E", 1);
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(super::super::TABLES_SQL).unwrap();
            c.execute_batch(
                "CREATE INDEX records_by_object ON records(object_code, deleted);
                 CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 INSERT INTO objects (code, name) VALUES (1, 'Account');
                 PRAGMA user_version = 2;",
            )
            .unwrap();
            c.execute(
                "INSERT INTO records VALUES (1, ?1, 1, 0, '{\"Name\":\"Kept\"}')",
                params![id],
            )
            .unwrap();
        }
        let mut s = Store::open(Some(&path)).unwrap();
        assert_eq!(s.get(&id).unwrap().unwrap().fields["Name"], "Kept");
        s.save_job(1, "750A", "{}").unwrap();
        assert_eq!(s.load_jobs().unwrap().len(), 1);
        let layout: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(layout, 3);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

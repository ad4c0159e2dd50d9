//! Record storage in SQLite: one `records` row per record (fields as a JSON object keyed by the
//! fields' API names) and a `record_keys` index of external-id / unique values, so upserts and
//! duplicate checks are index lookups instead of scans.
//!
//! A record's row number (`seq`) is the number its generated Id carries (`sfid::make`), so an Id
//! is found by decoding it and comparing the Id stored in that row: no index on `id`. The few
//! records whose Id does not carry their row number (the admin User, Ids given by tests) are
//! listed in `record_aliases`. Objects are stored as small integer codes (`objects`), so the
//! `(object_code, deleted)` index compares integers. Both keep a Bulk row's insert to the table
//! and one small index.
//!
//! In memory by default; with `--state FILE` the same tables live in a file and survive restarts.
//! `allOrNone` and Bulk jobs use SQLite savepoints, so a rollback is a real rollback.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use crate::schema::sfid;

mod jobs;

pub use jobs::StoredJob;

/// A storage failure (I/O or SQLite).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("a record with Id {0} is already stored")]
    DuplicateId(String),
    #[error(
        "the state file's storage layout is version {0}, newer than this sfmap's ({LAYOUT}); \
         use a newer sfmap or another state file"
    )]
    NewerLayout(i64),
    #[error("stored record {id} is not valid JSON: {source}")]
    Corrupt {
        id: String,
        source: serde_json::Error,
    },
}

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub object: String,
    pub deleted: bool,
    pub fields: Map<String, Value>,
}

pub struct Store {
    conn: Connection,
    /// Backed by a `--state` file: Bulk jobs are kept in it too (in memory they would only
    /// duplicate what the job table in memory holds).
    persistent: bool,
    next_seq: u64,
    savepoints: u32,
    /// `objects`, both ways (reloaded after a rollback). Few entries: B-trees, no hashing.
    codes: BTreeMap<String, i64>,
    names: BTreeMap<i64, String>,
    /// `record_aliases`: Ids that do not carry their row number (reloaded after a rollback).
    aliases: BTreeMap<String, i64>,
    /// Fields whose JSON value has an index (created on first lookup).
    json_indexes: std::cell::RefCell<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("next_seq", &self.next_seq)
            .finish()
    }
}

/// The storage layout (`PRAGMA user_version`): 0 for files written before it was kept (the
/// layout with `records.object` as text and a unique index on `records.id`, migrated on open);
/// 2 before Bulk jobs were kept (its files get the job tables on open); 3 with them.
const LAYOUT: i64 = 3;

const TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS objects (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    object_code INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS record_aliases (id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
";

const SCHEMA_SQL: &str = "
CREATE INDEX IF NOT EXISTS records_by_object ON records(object_code, deleted);
CREATE TABLE IF NOT EXISTS record_keys (
    object TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_keys_lookup ON record_keys(object, field, value);
CREATE INDEX IF NOT EXISTS record_keys_by_id ON record_keys(id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    info TEXT NOT NULL,
    data BLOB
);
CREATE TABLE IF NOT EXISTS bulk_results (
    job_seq INTEGER NOT NULL,
    first_row INTEGER NOT NULL,
    results TEXT NOT NULL,
    PRIMARY KEY (job_seq, first_row)
);
";

impl Store {
    /// Opens the file (creating tables) or an in-memory database.
    pub fn open(path: Option<&Path>) -> Result<Store, StoreError> {
        let conn = match path {
            Some(p) => {
                let c = Connection::open(p)?;
                c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        // Larger pages: fewer B-tree splits when Bulk jobs append thousands of rows.
        conn.execute_batch("PRAGMA page_size=16384; PRAGMA cache_size=-65536;")?;
        let layout: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if layout > LAYOUT {
            return Err(StoreError::NewerLayout(layout));
        }
        let old_records = layout < LAYOUT
            && conn
                .prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'object'")?
                .exists([])?;
        if old_records {
            migrate_v1(&conn)?;
        }
        conn.execute_batch(TABLES_SQL)?;
        conn.execute_batch(SCHEMA_SQL)?;
        conn.execute_batch(&format!("PRAGMA user_version = {LAYOUT}"))?;
        let max: Option<i64> = conn.query_row("SELECT MAX(seq) FROM records", [], |r| r.get(0))?;
        let mut store = Store {
            conn,
            persistent: path.is_some(),
            next_seq: max.map(|m| m as u64 + 1).unwrap_or(1),
            savepoints: 0,
            codes: BTreeMap::new(),
            names: BTreeMap::new(),
            aliases: BTreeMap::new(),
            json_indexes: Default::default(),
        };
        store.reload()?;
        Ok(store)
    }

    /// Re-reads the object codes and Id aliases (after a rollback may have undone some).
    fn reload(&mut self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("SELECT code, name FROM objects")?;
        let objects = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare("SELECT id, seq FROM record_aliases")?;
        let aliases = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        drop(stmt);
        self.names = objects.iter().cloned().collect();
        self.codes = objects.into_iter().map(|(c, n)| (n, c)).collect();
        self.aliases = aliases;
        Ok(())
    }

    /// The code of an object, added on its first record.
    fn object_code(&mut self, object: &str) -> Result<i64, StoreError> {
        if let Some(&c) = self.codes.get(object) {
            return Ok(c);
        }
        self.conn
            .prepare_cached("INSERT INTO objects (name) VALUES (?1)")?
            .execute(params![object])?;
        let c = self.conn.last_insert_rowid();
        self.codes.insert(object.to_string(), c);
        self.names.insert(c, object.to_string());
        Ok(c)
    }

    /// The row a record with this Id would be in (the caller compares the stored Id).
    fn locate(&self, id: &str) -> Option<i64> {
        match self.aliases.get(id) {
            Some(&seq) => Some(seq),
            None => sfid::number(id).and_then(|n| i64::try_from(n).ok()),
        }
    }

    /// Whether a record with exactly this Id is stored.
    fn exists(&self, id: &str) -> Result<bool, StoreError> {
        let Some(seq) = self.locate(id) else {
            return Ok(false);
        };
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM records WHERE seq = ?1 AND id = ?2")?
            .exists(params![seq, id])?)
    }

    /// The next record number (used to build Ids).
    pub fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    pub fn insert(
        &mut self,
        seq: u64,
        rec: &StoredRecord,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        let data = fields_json(&rec.fields);
        self.insert_json(seq, &rec.id, &rec.object, &data, keys)
    }

    /// Inserts a record whose fields are already JSON text (an object keyed by API names).
    pub fn insert_json(
        &mut self,
        seq: u64,
        id: &str,
        object: &str,
        data: &str,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        let code = self.object_code(object)?;
        let carries_seq = sfid::number(id) == Some(seq);
        if !carries_seq || self.aliases.contains_key(id) {
            // Ids are unique: an alias must not name a record found by its number, nor the
            // reverse (an index on `id` used to say so).
            if self.aliases.contains_key(id) || self.exists(id)? {
                return Err(StoreError::DuplicateId(id.to_string()));
            }
        }
        self.conn
            // In the table's column order (seq, id, object_code, deleted, data); the statement
            // cache hashes the text on every row, so short.
            .prepare_cached("INSERT INTO records VALUES (?1, ?2, ?3, 0, ?4)")?
            .execute(params![seq as i64, id, code, data])?;
        if !carries_seq {
            self.conn
                .prepare_cached("INSERT INTO record_aliases (id, seq) VALUES (?1, ?2)")?
                .execute(params![id, seq as i64])?;
            self.aliases.insert(id.to_string(), seq as i64);
        }
        self.write_keys(object, id, keys)
    }

    /// Replaces a record's fields and key values.
    pub fn update(
        &mut self,
        rec: &StoredRecord,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        let data = fields_json(&rec.fields);
        self.conn
            .prepare_cached("UPDATE records SET data = ?3 WHERE seq = ?1 AND id = ?2")?
            .execute(params![self.locate(&rec.id), rec.id, data])?;
        self.conn
            .prepare_cached("DELETE FROM record_keys WHERE id = ?1")?
            .execute(params![rec.id])?;
        self.write_keys(&rec.object, &rec.id, keys)
    }

    fn write_keys(
        &mut self,
        object: &str,
        id: &str,
        keys: &[(String, String)],
    ) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO record_keys (object, field, value, id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (field, value) in keys {
            stmt.execute(params![object, field, value, id])?;
        }
        Ok(())
    }

    /// A record by its 18-character Id, deleted or not.
    pub fn get(&self, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        let Some(seq) = self.locate(id) else {
            return Ok(None);
        };
        let row = self
            .conn
            .prepare_cached(
                "SELECT object_code, deleted, data FROM records WHERE seq = ?1 AND id = ?2",
            )?
            .query_row(params![seq, id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        match row {
            None => Ok(None),
            Some((code, deleted, data)) => Ok(Some(StoredRecord {
                id: id.to_string(),
                object: self.names.get(&code).cloned().unwrap_or_default(),
                deleted: deleted != 0,
                fields: parse_fields(id, &data)?,
            })),
        }
    }

    /// Moves a record to the recycle bin: it stays queryable with `queryAll`, its unique values
    /// are freed.
    pub fn soft_delete(&mut self, id: &str, fields: &Map<String, Value>) -> Result<(), StoreError> {
        let data = fields_json(fields);
        self.conn
            .prepare_cached("UPDATE records SET deleted = 1, data = ?3 WHERE seq = ?1 AND id = ?2")?
            .execute(params![self.locate(id), id, data])?;
        self.conn
            .prepare_cached("DELETE FROM record_keys WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    /// Removes a record for good (Bulk `hardDelete`).
    pub fn hard_delete(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM records WHERE seq = ?1 AND id = ?2")?
            .execute(params![self.locate(id), id])?;
        if self.aliases.remove(id).is_some() {
            self.conn
                .prepare_cached("DELETE FROM record_aliases WHERE id = ?1")?
                .execute(params![id])?;
        }
        self.conn
            .prepare_cached("DELETE FROM record_keys WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    /// Ids of live records whose indexed `field` has the normalised `value`.
    pub fn find_by_key(
        &self,
        object: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM record_keys WHERE object = ?1 AND field = ?2 AND value = ?3",
        )?;
        let rows = stmt.query_map(params![object, field, value], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Live (or, with `include_deleted`, all) records of an object in creation order. With
    /// `text_in`, only records whose field equals one of the texts case-insensitively (ASCII
    /// folding; a pre-filter the SOQL evaluator re-checks). The first such query on a field
    /// creates an index on the field's JSON value, so later lookups (the runner's per-event
    /// `WHERE Email = …`) are index seeks rather than scans.
    pub fn scan(
        &self,
        object: &str,
        include_deleted: bool,
        text_in: Option<(&str, &[String])>,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let deleted_clause = if include_deleted {
            ""
        } else {
            "AND deleted = 0"
        };
        // An object without records has no code: -1 matches nothing.
        let code = self.codes.get(object).copied().unwrap_or(-1);
        let mut out = Vec::new();
        let mut push = |id: String, deleted: i64, data: String| -> Result<(), StoreError> {
            out.push(StoredRecord {
                fields: parse_fields(&id, &data)?,
                id,
                object: object.to_string(),
                deleted: deleted != 0,
            });
            Ok(())
        };
        let plain =
            |f: &str| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match text_in {
            Some((field, values)) if plain(field) && !values.is_empty() => {
                let expr = format!("json_extract(data, '$.{field}')");
                if self.json_indexes.borrow_mut().insert(field.to_string()) {
                    self.conn.execute_batch(&format!(
                        "CREATE INDEX IF NOT EXISTS records_json_{field} ON records(object_code, deleted, {expr} COLLATE NOCASE)"
                    ))?;
                }
                let sql = text_in_sql(field, values.len(), include_deleted);
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let mut args: Vec<&dyn rusqlite::ToSql> = vec![&code];
                args.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
                let mut rows = stmt.query(args.as_slice())?;
                while let Some(r) = rows.next()? {
                    push(r.get(0)?, r.get(1)?, r.get(2)?)?;
                }
            }
            _ => {
                let sql = format!(
                    "SELECT id, deleted, data FROM records WHERE object_code = ?1 {deleted_clause} ORDER BY seq"
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let mut rows = stmt.query(params![code])?;
                while let Some(r) = rows.next()? {
                    push(r.get(0)?, r.get(1)?, r.get(2)?)?;
                }
            }
        }
        Ok(out)
    }

    /// Starts a savepoint; pair with [`Store::release`] or [`Store::rollback`].
    pub fn savepoint(&mut self) -> Result<(), StoreError> {
        self.savepoints += 1;
        self.conn
            .execute_batch(&format!("SAVEPOINT sp{}", self.savepoints))?;
        Ok(())
    }

    pub fn release(&mut self) -> Result<(), StoreError> {
        let n = self.savepoints;
        self.savepoints = n.saturating_sub(1);
        self.conn.execute_batch(&format!("RELEASE sp{n}"))?;
        Ok(())
    }

    pub fn rollback(&mut self) -> Result<(), StoreError> {
        let n = self.savepoints;
        self.savepoints = n.saturating_sub(1);
        self.conn
            .execute_batch(&format!("ROLLBACK TO sp{n}; RELEASE sp{n}"))?;
        self.reload()
    }

    pub fn counter(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM counters WHERE name = ?1")?
            .query_row(params![name], |r| r.get(0))
            .optional()?)
    }

    pub fn set_counter(&mut self, name: &str, value: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = ?2")?
            .execute(params![name, value])?;
        Ok(())
    }
}

impl Store {
    /// A record's stored JSON text, as written.
    #[cfg(test)]
    pub fn raw_data(&self, id: &str) -> Option<String> {
        self.conn
            .query_row(
                "SELECT data FROM records WHERE seq = ?1 AND id = ?2",
                params![self.locate(id), id],
                |r| r.get(0),
            )
            .optional()
            .ok()
            .flatten()
    }
}

/// Moves a state file of the first layout (`records.object` as text, a unique index on
/// `records.id`) to the current one, in one transaction: the records keep their rows, Ids and
/// data; field indexes are made again on their first query.
fn migrate_v1(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN")?;
    let moved = (|| -> Result<(), StoreError> {
        conn.execute_batch(&format!(
            "ALTER TABLE records RENAME TO records_v1;
             DROP INDEX IF EXISTS records_by_object;
             {TABLES_SQL}
             INSERT INTO objects (name) SELECT DISTINCT object FROM records_v1 ORDER BY object;
             INSERT INTO records (seq, id, object_code, deleted, data)
                 SELECT r.seq, r.id, o.code, r.deleted, r.data
                 FROM records_v1 r JOIN objects o ON o.name = r.object;"
        ))?;
        let mut ids = conn.prepare("SELECT seq, id FROM records")?;
        let mut add = conn.prepare("INSERT INTO record_aliases (id, seq) VALUES (?1, ?2)")?;
        let mut rows = ids.query([])?;
        while let Some(r) = rows.next()? {
            let (seq, id): (i64, String) = (r.get(0)?, r.get(1)?);
            if sfid::number(&id) != u64::try_from(seq).ok() {
                add.execute(params![id, seq])?;
            }
        }
        conn.execute_batch("DROP TABLE records_v1")?;
        Ok(())
    })();
    match moved {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The stored JSON text of a record's fields (serialised in place, no copy of the map).
/// The index seek behind [`Store::scan`]'s `text_in`: live (or all) records of an object whose
/// `field` is one of `n` texts, case-insensitively. SQLite's planner prefers
/// `records_by_object` (a scan of the whole object) once the IN list is long, and cannot seek
/// past `deleted` unless it is constrained: so the index is named and `deleted` constrained
/// both ways.
fn text_in_sql(field: &str, n: usize, include_deleted: bool) -> String {
    let deleted = if include_deleted {
        "deleted IN (0, 1)"
    } else {
        "deleted = 0"
    };
    let marks = vec!["?"; n].join(", ");
    format!(
        "SELECT id, deleted, data FROM records INDEXED BY records_json_{field} \
         WHERE object_code = ? AND {deleted} \
         AND json_extract(data, '$.{field}') COLLATE NOCASE IN ({marks}) ORDER BY seq"
    )
}

fn fields_json(fields: &Map<String, Value>) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "{}".to_string())
}

fn parse_fields(id: &str, data: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Ok(Map::new()),
        Err(source) => Err(StoreError::Corrupt {
            id: id.to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, name: &str) -> StoredRecord {
        let mut fields = Map::new();
        fields.insert("Id".into(), Value::String(id.into()));
        fields.insert("Name".into(), Value::String(name.into()));
        StoredRecord {
            id: id.into(),
            object: "Account".into(),
            deleted: false,
            fields,
        }
    }

    #[test]
    fn long_in_lists_seek_the_field_index_deleted_or_not() {
        let mut s = Store::open(None).unwrap();
        for i in 0..3000 {
            let seq = s.take_seq();
            s.insert(seq, &rec(&format!("r{i}"), &format!("name{i}")), &[])
                .unwrap();
        }
        let wanted: Vec<String> = (0..700).map(|i| format!("NAME{}", i * 4)).collect();
        assert_eq!(
            s.scan("Account", false, Some(("Name", &wanted)))
                .unwrap()
                .len(),
            700
        );
        for include_deleted in [false, true] {
            let plan: Vec<String> = s
                .conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN {}",
                    super::text_in_sql("Name", wanted.len(), include_deleted)
                ))
                .unwrap()
                .query_map(
                    rusqlite::params_from_iter(
                        std::iter::once(s.codes["Account"].to_string())
                            .chain(wanted.iter().cloned()),
                    ),
                    |r| r.get(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan[0].contains("records_json_Name (object_code=? AND deleted=? AND <expr>=?)"),
                "{plan:?}"
            );
        }
    }

    #[test]
    fn first_layout_files_are_migrated_and_newer_ones_refused() {
        let dir = std::env::temp_dir().join(format!("sfmap-store-v1-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        let made = sfid::make("001", "0E", 3);
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE records (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                     object TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
                 CREATE INDEX records_by_object ON records(object, deleted);
                 CREATE INDEX records_json_Name ON records(object, deleted,
                     json_extract(data, '$.Name') COLLATE NOCASE);",
            )
            .unwrap();
            for (seq, id, deleted, name) in [(1, "a", 0, "One"), (3, made.as_str(), 1, "Three")] {
                c.execute(
                    "INSERT INTO records (seq, id, object, deleted, data) VALUES (?1, ?2, 'Account', ?3, ?4)",
                    params![seq, id, deleted, fields_json(&rec(id, name).fields)],
                )
                .unwrap();
            }
        }
        let mut s = Store::open(Some(&path)).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().fields["Name"], "One");
        let three = s.get(&made).unwrap().unwrap();
        assert!(three.deleted && three.object == "Account");
        assert_eq!(s.scan("Account", true, None).unwrap().len(), 2);
        let one = ["ONE".to_string()];
        assert_eq!(
            s.scan("Account", false, Some(("Name", &one[..])))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.take_seq(), 4);
        assert!(matches!(
            s.insert(9, &rec(&made, "Again"), &[]),
            Err(StoreError::DuplicateId(_))
        ));
        drop(s);
        Store::open(Some(&path)).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let err = Store::open(Some(&path)).unwrap_err();
        assert!(matches!(err, StoreError::NewerLayout(99)), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ids_are_found_by_their_number_and_stay_unique() {
        let mut s = Store::open(None).unwrap();
        let seq = s.take_seq();
        let id = sfid::make("001", "0E", seq);
        s.insert(seq, &rec(&id, "One"), &[]).unwrap();
        // An Id that does not carry its row number (as the admin User's) is an alias.
        let other = sfid::make("005", "0E", seq);
        let seq2 = s.take_seq();
        s.insert(seq2, &rec(&other, "Two"), &[]).unwrap();
        assert_eq!(s.get(&id).unwrap().unwrap().fields["Name"], "One");
        assert_eq!(s.get(&other).unwrap().unwrap().fields["Name"], "Two");
        assert!(s.get(&sfid::make("001", "0E", seq2)).unwrap().is_none());
        assert!(s.get(&id.to_lowercase()).unwrap().is_none());
        let seq3 = s.take_seq();
        for dup in [&id, &other] {
            assert!(matches!(
                s.insert(seq3, &rec(dup, "Dup"), &[]),
                Err(StoreError::DuplicateId(_))
            ));
        }
        s.savepoint().unwrap();
        s.insert(seq3, &rec("x", "Three"), &[]).unwrap();
        s.rollback().unwrap();
        assert!(s.get("x").unwrap().is_none());
        s.insert(seq3, &rec("x", "Three"), &[]).unwrap();
        s.hard_delete(&other).unwrap();
        assert!(s.get(&other).unwrap().is_none());
        assert_eq!(s.scan("Account", false, None).unwrap().len(), 2);
    }

    #[test]
    fn insert_get_update_and_rollback() {
        let mut s = Store::open(None).unwrap();
        let seq = s.take_seq();
        s.insert(seq, &rec("a", "One"), &[("ExtId__c".into(), "e1".into())])
            .unwrap();
        assert_eq!(s.find_by_key("Account", "ExtId__c", "e1").unwrap(), ["a"]);
        s.savepoint().unwrap();
        s.update(&rec("a", "Two"), &[]).unwrap();
        s.rollback().unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().fields["Name"], "One");
        let one = ["one".to_string()];
        assert_eq!(
            s.scan("Account", false, Some(("Name", &one[..])))
                .unwrap()
                .len(),
            1
        );
        s.soft_delete("a", &rec("a", "One").fields).unwrap();
        assert!(s.get("a").unwrap().unwrap().deleted);
        assert!(
            s.find_by_key("Account", "ExtId__c", "e1")
                .unwrap()
                .is_empty()
        );
    }
}

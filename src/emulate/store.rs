//! Record storage in SQLite: one `records` row per record (fields as a JSON object keyed by the
//! fields' API names) and a `record_keys` index of external-id / unique values, so upserts and
//! duplicate checks are index lookups instead of scans.
//!
//! In memory by default; with `--state FILE` the same tables live in a file and survive restarts.
//! `allOrNone` and Bulk jobs use SQLite savepoints, so a rollback is a real rollback.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

/// A storage failure (I/O or SQLite).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
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
    next_seq: u64,
    savepoints: u32,
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

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    object TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_object ON records(object, deleted);
CREATE TABLE IF NOT EXISTS record_keys (
    object TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_keys_lookup ON record_keys(object, field, value);
CREATE INDEX IF NOT EXISTS record_keys_by_id ON record_keys(id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
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
        conn.execute_batch(SCHEMA_SQL)?;
        let max: Option<i64> = conn.query_row("SELECT MAX(seq) FROM records", [], |r| r.get(0))?;
        Ok(Store {
            conn,
            next_seq: max.map(|m| m as u64 + 1).unwrap_or(1),
            savepoints: 0,
            json_indexes: Default::default(),
        })
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
        self.conn
            .prepare_cached(
                "INSERT INTO records (id, object, seq, deleted, data) VALUES (?1, ?2, ?3, 0, ?4)",
            )?
            .execute(params![id, object, seq as i64, data])?;
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
            .prepare_cached("UPDATE records SET data = ?2 WHERE id = ?1")?
            .execute(params![rec.id, data])?;
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
        let row = self
            .conn
            .prepare_cached("SELECT object, deleted, data FROM records WHERE id = ?1")?
            .query_row(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        match row {
            None => Ok(None),
            Some((object, deleted, data)) => Ok(Some(StoredRecord {
                id: id.to_string(),
                object,
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
            .prepare_cached("UPDATE records SET deleted = 1, data = ?2 WHERE id = ?1")?
            .execute(params![id, data])?;
        self.conn
            .prepare_cached("DELETE FROM record_keys WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    /// Removes a record for good (Bulk `hardDelete`).
    pub fn hard_delete(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM records WHERE id = ?1")?
            .execute(params![id])?;
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
                        "CREATE INDEX IF NOT EXISTS records_json_{field} ON records(object, deleted, {expr} COLLATE NOCASE)"
                    ))?;
                }
                let sql = text_in_sql(field, values.len(), include_deleted);
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let mut args: Vec<&dyn rusqlite::ToSql> = vec![&object];
                args.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
                let mut rows = stmt.query(args.as_slice())?;
                while let Some(r) = rows.next()? {
                    push(r.get(0)?, r.get(1)?, r.get(2)?)?;
                }
            }
            _ => {
                let sql = format!(
                    "SELECT id, deleted, data FROM records WHERE object = ?1 {deleted_clause} ORDER BY seq"
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let mut rows = stmt.query(params![object])?;
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
        Ok(())
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
            .query_row("SELECT data FROM records WHERE id = ?1", params![id], |r| {
                r.get(0)
            })
            .optional()
            .ok()
            .flatten()
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
         WHERE object = ? AND {deleted} \
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
                        std::iter::once("Account".to_string()).chain(wanted.iter().cloned()),
                    ),
                    |r| r.get(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan[0].contains("records_json_Name (object=? AND deleted=? AND <expr>=?)"),
                "{plan:?}"
            );
        }
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

//! Writes through sObject Collections (salesforce-api.md §2.7): up to 200 records per call,
//! `allOrNone=false`, one result per record in request order.
//!
//! Larger inputs are split. Records rejected with UNABLE_TO_LOCK_ROW were not written, so they
//! are sent again (alone) a few times with backoff. If a later chunk fails as a whole, the
//! results of the chunks already applied are returned inside `SfError::Incomplete`, so the
//! caller never loses track of what was written.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::RecordResult;
use super::client::{Client, Request, Safety};
use super::error::SfError;
use super::query::check_name;

#[derive(Clone, Copy)]
enum Op<'a> {
    Create(&'a str),
    Update(&'a str),
    Upsert(&'a str, &'a str),
    Delete,
}

#[derive(Clone, Copy)]
enum Item<'a> {
    Record(&'a Map<String, Value>),
    Id(&'a str),
}

impl Client {
    /// Inserts `records` of `object` (POST /composite/sobjects). Not retried once it may have
    /// reached Salesforce: a lost response is `SfError::OutcomeUnknown`.
    pub async fn create(
        &self,
        object: &str,
        records: &[Map<String, Value>],
    ) -> Result<Vec<RecordResult>, SfError> {
        check_name("object", object)?;
        for (i, r) in records.iter().enumerate() {
            if r.contains_key("Id") {
                return Err(SfError::InvalidInput(format!(
                    "record {i} of a create has an Id"
                )));
            }
        }
        self.apply(
            Op::Create(object),
            records.iter().map(Item::Record).collect(),
        )
        .await
    }

    /// Updates `records` of `object` by their `Id` (PATCH /composite/sobjects).
    pub async fn update(
        &self,
        object: &str,
        records: &[Map<String, Value>],
    ) -> Result<Vec<RecordResult>, SfError> {
        check_name("object", object)?;
        for (i, r) in records.iter().enumerate() {
            if !matches!(r.get("Id"), Some(Value::String(id)) if !id.is_empty()) {
                return Err(SfError::InvalidInput(format!(
                    "record {i} of an update has no Id"
                )));
            }
        }
        self.apply(
            Op::Update(object),
            records.iter().map(Item::Record).collect(),
        )
        .await
    }

    /// Upserts `records` of `object` by the external id field `ext_field`
    /// (PATCH /composite/sobjects/{object}/{ext_field}); `created` tells inserts from updates.
    pub async fn upsert(
        &self,
        object: &str,
        ext_field: &str,
        records: &[Map<String, Value>],
    ) -> Result<Vec<RecordResult>, SfError> {
        check_name("object", object)?;
        check_name("external id field", ext_field)?;
        for (i, r) in records.iter().enumerate() {
            if matches!(r.get(ext_field), None | Some(Value::Null)) {
                return Err(SfError::InvalidInput(format!(
                    "record {i} of an upsert has no {ext_field}"
                )));
            }
        }
        self.apply(
            Op::Upsert(object, ext_field),
            records.iter().map(Item::Record).collect(),
        )
        .await
    }

    /// Deletes records by Id (DELETE /composite/sobjects?ids=...&allOrNone=false).
    pub async fn delete(&self, ids: &[String]) -> Result<Vec<RecordResult>, SfError> {
        for id in ids {
            crate::schema::sfid::validate(id)
                .map_err(|e| SfError::InvalidInput(format!("cannot delete {id:?}: {e}")))?;
        }
        self.apply(
            Op::Delete,
            ids.iter().map(|s| Item::Id(s.as_str())).collect(),
        )
        .await
    }

    async fn apply(&self, op: Op<'_>, items: Vec<Item<'_>>) -> Result<Vec<RecordResult>, SfError> {
        let size = self.inner.options.collection_size.clamp(1, 200);
        let mut done: Vec<RecordResult> = Vec::with_capacity(items.len());
        for chunk in items.chunks(size) {
            match self.chunk_with_lock_retries(op, chunk).await {
                Ok(results) => done.extend(results),
                Err(error) if done.is_empty() => return Err(error),
                Err(error) => {
                    return Err(SfError::Incomplete {
                        done,
                        error: Box::new(error),
                    });
                }
            }
        }
        Ok(done)
    }

    async fn chunk_with_lock_retries(
        &self,
        op: Op<'_>,
        chunk: &[Item<'_>],
    ) -> Result<Vec<RecordResult>, SfError> {
        let mut results = self.send_chunk(op, chunk).await?;
        let policy = &self.inner.options.retry;
        for attempt in 1..=self.inner.options.lock_retries {
            let locked: Vec<usize> = results
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    !r.success
                        && r.errors
                            .iter()
                            .any(|e| e.status_code == "UNABLE_TO_LOCK_ROW")
                })
                .map(|(i, _)| i)
                .collect();
            if locked.is_empty() {
                break;
            }
            tokio::time::sleep(policy.delay(attempt)).await;
            let again: Vec<Item<'_>> = locked.iter().map(|&i| chunk[i]).collect();
            // A failure of the retry leaves the lock errors in place.
            if let Ok(retried) = self.send_chunk(op, &again).await {
                for (slot, r) in locked.into_iter().zip(retried) {
                    results[slot] = r;
                }
            }
        }
        Ok(results)
    }

    async fn send_chunk(
        &self,
        op: Op<'_>,
        chunk: &[Item<'_>],
    ) -> Result<Vec<RecordResult>, SfError> {
        let with_type = |object: &str| -> Value {
            let records: Vec<Value> = chunk
                .iter()
                .filter_map(|item| match item {
                    Item::Record(r) => {
                        let mut m = (*r).clone();
                        m.insert("attributes".into(), json!({ "type": object }));
                        Some(Value::Object(m))
                    }
                    Item::Id(_) => None,
                })
                .collect();
            json!({ "allOrNone": false, "records": records })
        };
        let request = match op {
            Op::Create(object) => Request::new(
                Method::POST,
                self.data_path("composite/sobjects"),
                Safety::Create,
            )
            .json(with_type(object)),
            Op::Update(object) => Request::new(
                Method::PATCH,
                self.data_path("composite/sobjects"),
                Safety::Repeatable,
            )
            .json(with_type(object)),
            Op::Upsert(object, ext) => Request::new(
                Method::PATCH,
                self.data_path(&format!("composite/sobjects/{object}/{ext}")),
                Safety::Repeatable,
            )
            .json(with_type(object)),
            Op::Delete => {
                let ids: Vec<&str> = chunk
                    .iter()
                    .filter_map(|i| match i {
                        Item::Id(id) => Some(*id),
                        Item::Record(_) => None,
                    })
                    .collect();
                Request::new(
                    Method::DELETE,
                    self.data_path("composite/sobjects"),
                    Safety::Repeatable,
                )
                .query("ids", ids.join(","))
                .query("allOrNone", "false")
            }
        };
        let results: Vec<RecordResult> = self.send(request).await?.json("collection results")?;
        if results.len() != chunk.len() {
            return Err(SfError::Protocol(format!(
                "{} results for {} records",
                results.len(),
                chunk.len()
            )));
        }
        Ok(results)
    }
}

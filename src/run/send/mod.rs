//! Sending a flush's writes to Salesforce: sObject Collections ([`rest`]) or Bulk API 2.0
//! ([`bulk`]), Salesforce's answers turned into each event's result ([`results`]), and the
//! look-before-create rule that keeps a retried create from making a duplicate ([`reconcile`]).

pub mod bulk;
pub mod reconcile;
pub mod rest;
pub mod results;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::executor::RunError;
use super::flush::{Write, Writes};
use super::ledger::Ledger;
use super::settlement::{WriteResult, Written};
use crate::outcome::{Outcome, WriteKind};
use crate::plan::Mapping;
use crate::salesforce::Client;

/// The records a write sends: its fields, plus `Id` for an update.
pub fn records_of(kind: WriteKind, writes: &[Write]) -> Vec<Map<String, Value>> {
    writes
        .iter()
        .map(|w| {
            let mut r = w.fields.clone();
            if let (WriteKind::Update, Some(id)) = (kind, &w.id) {
                r.insert("Id".into(), Value::String(id.clone()));
            }
            r
        })
        .collect()
}

/// How one flush goes out.
pub struct Route<'a> {
    pub client: &'a Client,
    pub mapping: &'a Mapping,
    /// Through Bulk API 2.0 rather than sObject Collections.
    pub bulk: bool,
    /// A Bulk API upload is split past this many bytes.
    pub bulk_max_bytes: usize,
    /// When the flush began (less a margin for clock skew): a record created since may be
    /// one of its creates.
    pub started: DateTime<Utc>,
}

impl Route<'_> {
    /// Sends the writes and sets the result of each event they carry. `resumed(event)` says
    /// whether a crashed run may already have sent that event's write; `rows` gives each
    /// write's events (key, line) for a Bulk API job's ledger entry.
    pub async fn send(
        &self,
        ledger: &mut Ledger,
        writes: Writes,
        resumed: impl Fn(u64) -> bool,
        rows: impl Fn(&Write) -> Vec<(String, usize)>,
        results: &mut [Option<WriteResult>],
    ) -> Result<(), RunError> {
        let hard = self.mapping.bulk.as_ref().is_some_and(|b| b.hard_delete);
        for (kind, mut list) in writes.by_kind(hard) {
            if kind == WriteKind::Create {
                list = self.skip_resumed_creates(list, &resumed, results).await;
            }
            if list.is_empty() {
                continue;
            }
            let answers = if self.bulk {
                bulk::send(
                    self.client,
                    ledger,
                    self.mapping,
                    kind,
                    &list,
                    &rows,
                    self.bulk_max_bytes,
                )
                .await?
            } else {
                rest::send(self.client, self.mapping, kind, &list, self.started).await?
            };
            for (w, r) in list.iter().zip(answers) {
                for (n, e) in w.events.iter().enumerate() {
                    results[*e as usize] = Some(results::for_event(&r, n));
                }
            }
        }
        Ok(())
    }

    /// Creates of events a crashed run may already have sent: a record found for one is its
    /// result (within the day before the flush); the rest still go out.
    async fn skip_resumed_creates(
        &self,
        creates: Vec<Write>,
        resumed: &impl Fn(u64) -> bool,
        results: &mut [Option<WriteResult>],
    ) -> Vec<Write> {
        let since = self.started - chrono::Duration::days(1);
        let mut still = Vec::with_capacity(creates.len());
        for w in creates {
            if w.events.iter().any(|e| resumed(*e)) {
                if let Some(id) =
                    reconcile::find_created(self.client, self.mapping, &w, since).await
                {
                    for e in &w.events {
                        results[*e as usize] =
                            Some(Ok(Written::new(Outcome::Created, Some(id.clone()))));
                    }
                    continue;
                }
            }
            still.push(w);
        }
        still
    }
}

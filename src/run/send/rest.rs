//! Writes through sObject Collections: 200 records a call, the create whose answer was lost
//! looked for before it is sent again.

use chrono::{DateTime, Utc};

use super::{reconcile, records_of, results};
use crate::outcome::{Failure, RunCode, WriteKind};
use crate::plan::Mapping;
use crate::run::executor::RunError;
use crate::run::flush::Write;
use crate::run::settlement::{WriteResult, Written};
use crate::salesforce::{Client, SfError};

/// sObject Collections take at most this many records a call.
pub const COLLECTION_SIZE: usize = 200;

/// Sends one kind of write, one Collections call per 200 records; one result per write.
pub async fn send(
    client: &Client,
    mapping: &Mapping,
    kind: WriteKind,
    writes: &[Write],
    started: DateTime<Utc>,
) -> Result<Vec<WriteResult>, RunError> {
    let object = &mapping.object;
    let records = records_of(kind, writes);
    let mut out = Vec::with_capacity(writes.len());
    for (chunk_writes, chunk) in writes
        .chunks(COLLECTION_SIZE)
        .zip(records.chunks(COLLECTION_SIZE))
    {
        let sent = match kind {
            WriteKind::Create => client.create(object, chunk).await,
            WriteKind::Update => client.update(object, chunk).await,
            WriteKind::Upsert => {
                client
                    .upsert(object, &mapping.matchers[0].field, chunk)
                    .await
            }
            WriteKind::Delete | WriteKind::HardDelete => {
                let ids: Vec<String> = chunk_writes.iter().filter_map(|w| w.id.clone()).collect();
                client.delete(&ids).await
            }
        };
        match sent {
            Ok(answers) => out.extend(answers.into_iter().map(|r| results::of_record(kind, r))),
            Err(e) if e.is_authentication() => return Err(e.into()),
            Err(SfError::OutcomeUnknown { .. }) if kind == WriteKind::Create => {
                for w in chunk_writes {
                    out.push(create_once(client, mapping, w, started).await?);
                }
            }
            Err(e) => out.extend(chunk_writes.iter().map(|_| Err(results::of_error(&e)))),
        }
    }
    Ok(out)
}

/// A create whose answer was lost: it may have happened, so look before sending it again.
async fn create_once(
    client: &Client,
    mapping: &Mapping,
    w: &Write,
    started: DateTime<Utc>,
) -> Result<WriteResult, RunError> {
    if let Some(id) = reconcile::find_created(client, mapping, w, started).await {
        return Ok(Ok(Written::new(crate::outcome::Outcome::Created, Some(id))));
    }
    Ok(
        match client
            .create(&mapping.object, std::slice::from_ref(&w.fields))
            .await
        {
            Ok(mut r) if !r.is_empty() => results::of_record(WriteKind::Create, r.remove(0)),
            Ok(_) => Err(Failure::new(RunCode::OutcomeUnknown, "no result returned")),
            Err(e) if e.is_authentication() => return Err(e.into()),
            Err(e) => Err(results::of_error(&e)),
        },
    )
}

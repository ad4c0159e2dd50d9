//! Writes through sObject Collections: 200 records a call, the create whose answer was lost
//! looked for before it is sent again.

use chrono::{DateTime, Utc};

use super::{reconcile, records_of, results};
use crate::outcome::{Failure, RunCode, WriteKind};
use crate::plan::Mapping;
use crate::run::executor::RunError;
use crate::run::flush::Write;
use crate::run::isolate;
use crate::run::settlement::{WriteResult, Written};
use crate::salesforce::{Client, RecordResult, SfError};

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
    let mut out = Vec::with_capacity(writes.len());
    for chunk in writes.chunks(COLLECTION_SIZE) {
        let clock = std::time::Instant::now();
        let answer = call(client, mapping, kind, chunk).await;
        tracing::debug!(
            object = %mapping.object,
            kind = %kind,
            records = chunk.len(),
            ok = answer.is_ok(),
            ms = clock.elapsed().as_millis() as u64,
            "collections call"
        );
        match answer {
            Ok(answers) => out.extend(answers.into_iter().map(|r| results::of_record(kind, r))),
            Err(e) if e.is_authentication() => return Err(e.into()),
            Err(SfError::OutcomeUnknown { .. }) if kind == WriteKind::Create => {
                for w in chunk {
                    out.push(create_once(client, mapping, w, started).await?);
                }
            }
            Err(e) if isolate::one_record_may_cause(&e) && chunk.len() > 1 => {
                out.extend(isolated(client, mapping, kind, chunk).await?);
            }
            Err(e) => out.extend(chunk.iter().map(|_| Err(results::of_error(&e)))),
        }
    }
    Ok(out)
}

/// One Collections call for `writes` (at most 200).
async fn call(
    client: &Client,
    mapping: &Mapping,
    kind: WriteKind,
    writes: &[Write],
) -> Result<Vec<RecordResult>, SfError> {
    let object = &mapping.object;
    let records = records_of(kind, writes);
    match kind {
        WriteKind::Create => client.create(object, &records).await,
        WriteKind::Update => client.update(object, &records).await,
        WriteKind::Upsert => {
            client
                .upsert(object, &mapping.matchers[0].field, &records)
                .await
        }
        WriteKind::Delete | WriteKind::HardDelete => {
            let ids: Vec<String> = writes.iter().filter_map(|w| w.id.clone()).collect();
            client.delete(&ids).await
        }
    }
}

/// A call Salesforce rejected whole (nothing was written): its halves go again, so a record
/// that makes the call fail fails alone.
async fn isolated(
    client: &Client,
    mapping: &Mapping,
    kind: WriteKind,
    chunk: &[Write],
) -> Result<Vec<WriteResult>, RunError> {
    let positions: Vec<usize> = (0..chunk.len()).collect();
    let got = isolate::isolate(positions, |set: Vec<usize>| async move {
        let writes: Vec<Write> = set.iter().map(|i| chunk[*i].clone()).collect();
        call(client, mapping, kind, &writes)
            .await
            .map(|answers| set.into_iter().zip(answers).collect::<Vec<_>>())
    })
    .await;
    let mut out: Vec<WriteResult> = vec![Err(results::no_result()); chunk.len()];
    for (i, answer) in got.answers.into_iter().flatten() {
        out[i] = results::of_record(kind, answer);
    }
    for (i, e) in got.failed {
        if e.is_authentication() {
            return Err(RunError::Authentication(isolate::owned(e)));
        }
        out[i] = Err(results::of_error(&e));
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

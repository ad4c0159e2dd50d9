//! Bulk API 2.0: per-row outcomes in input order, null vs absent, delete, resume.

use serde_json::json;
use sfmap::salesforce::{BulkJob, BulkOperation, BulkState, RowOutcome, csv_out};

use crate::common::*;

#[tokio::test]
async fn bulk_upsert_maps_every_row_back_to_its_input() {
    let emu = emulator().await;
    let client = client(&emu).await;
    // Two existing contacts, one with a Title and a Phone that the bulk must not blank.
    client
        .upsert(
            "Contact",
            "Segment_User_Id__c",
            &recs(json!([
                {"Segment_User_Id__c": "u1", "LastName": "A", "Title": "Keep", "Phone": "111"},
                {"Segment_User_Id__c": "u2", "LastName": "B", "Title": "Clear me"}
            ])),
        )
        .await
        .unwrap();
    let before = client.api_calls();
    let input = recs(json!([
        {"Segment_User_Id__c": "u3", "LastName": "New, \"quoted\""},
        {"Segment_User_Id__c": "u1", "Email": "a@x.com"},
        {"Segment_User_Id__c": "u4", "Email": "no-last-name@x.com"},
        {"Segment_User_Id__c": "u2", "Title": null}
    ]));
    let csv = csv_out::build(&input).unwrap();
    let outcome = client
        .bulk(BulkJob::upsert("Contact", "Segment_User_Id__c"), csv.bytes)
        .await
        .unwrap();
    assert_eq!(outcome.state, BulkState::JobComplete);
    assert_eq!(outcome.rows.len(), 4);
    for (i, row) in outcome.rows.iter().enumerate() {
        assert_eq!(row.index, Some(i));
    }
    assert!(matches!(
        &outcome.rows[0].outcome,
        RowOutcome::Success { created: true, .. }
    ));
    assert!(matches!(
        &outcome.rows[1].outcome,
        RowOutcome::Success { created: false, .. }
    ));
    match &outcome.rows[2].outcome {
        RowOutcome::Failed { errors, .. } => {
            assert_eq!(
                errors[0].status_code, "REQUIRED_FIELD_MISSING",
                "{errors:?}"
            )
        }
        other => panic!("row 2: {other:?}"),
    }
    assert!(matches!(
        &outcome.rows[3].outcome,
        RowOutcome::Success { created: false, .. }
    ));
    assert_eq!(outcome.records_failed, 1);

    let u1 = emu
        .query("SELECT Title, Phone, Email FROM Contact WHERE Segment_User_Id__c = 'u1'")
        .unwrap();
    assert_eq!(
        u1[0]["Title"],
        json!("Keep"),
        "an absent field is left unchanged"
    );
    assert_eq!(u1[0]["Phone"], json!("111"));
    assert_eq!(u1[0]["Email"], json!("a@x.com"));
    let u2 = emu
        .query("SELECT Title FROM Contact WHERE Segment_User_Id__c = 'u2'")
        .unwrap();
    assert_eq!(u2[0]["Title"], json!(null), "an explicit null clears");
    let u3 = emu
        .query("SELECT LastName FROM Contact WHERE Segment_User_Id__c = 'u3'")
        .unwrap();
    assert_eq!(u3[0]["LastName"], json!("New, \"quoted\""));

    // create, upload, close, ≥1 poll, three result files
    let calls = client.api_calls() - before;
    assert!((7..=12).contains(&calls), "{calls} calls");
    let log = api_log(&emu);
    assert!(
        log.iter()
            .any(|(m, p)| m == "PUT" && p.ends_with("/batches"))
    );
    assert!(log.iter().any(|(_, p)| p.ends_with("/failedResults")));
}

#[tokio::test]
async fn bulk_insert_and_delete() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let input: Vec<_> = (0..50)
        .map(|i| rec(json!({"LastName": format!("L{i}")})))
        .collect();
    let inserted = client
        .bulk(
            BulkJob::new("Contact", BulkOperation::Insert),
            csv_out::build(&input).unwrap().bytes,
        )
        .await
        .unwrap();
    let ids: Vec<String> = inserted
        .rows
        .iter()
        .map(|r| match &r.outcome {
            RowOutcome::Success { id, created } => {
                assert!(created);
                id.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 50);
    let deleted = client
        .bulk(
            BulkJob::new("Contact", BulkOperation::Delete),
            csv_out::ids(&ids[..10]).bytes,
        )
        .await
        .unwrap();
    assert_eq!(deleted.succeeded(), 10);
    assert_eq!(emu.query("SELECT Id FROM Contact").unwrap().len(), 40);
}

#[tokio::test]
async fn an_interrupted_job_is_resumed_not_uploaded_again() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let input = recs(json!([{"LastName": "R1"}, {"LastName": "R2"}]));
    let csv = csv_out::build(&input).unwrap().bytes;

    // The run persisted the job id, uploaded and closed, then died before polling.
    let job = client
        .bulk_create_job(&BulkJob::new("Contact", BulkOperation::Insert))
        .await
        .unwrap();
    client.bulk_upload(&job.id, csv.clone()).await.unwrap();
    client.bulk_close(&job.id).await.unwrap();

    let outcome = client.bulk_resume_with_input(&job.id, &csv).await.unwrap();
    assert_eq!(outcome.succeeded(), 2);
    assert_eq!(outcome.rows[1].index, Some(1));
    let unmapped = client.bulk_resume(&job.id).await.unwrap();
    assert!(unmapped.rows.iter().all(|r| r.index.is_none()));
    assert_eq!(emu.query("SELECT Id FROM Contact").unwrap().len(), 2);

    // A job that died before its upload completed is aborted: nothing of it is processed.
    let open = client
        .bulk_create_job(&BulkJob::new("Contact", BulkOperation::Insert))
        .await
        .unwrap();
    let aborted = client.bulk_resume(&open.id).await.unwrap();
    assert_eq!(aborted.state, BulkState::Aborted);
    assert_eq!(aborted.succeeded(), 0);
}

#[tokio::test]
async fn a_job_with_a_bad_column_fails_with_its_message() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let csv = csv_out::build(&recs(json!([{"LastName": "x", "Nope__c": "y"}])))
        .unwrap()
        .bytes;
    let outcome = client
        .bulk(BulkJob::new("Contact", BulkOperation::Insert), csv.clone())
        .await
        .unwrap();
    assert_eq!(outcome.state, BulkState::Failed);
    assert!(
        outcome
            .error_message
            .unwrap_or_default()
            .contains("Nope__c")
    );
    assert!(
        outcome
            .rows
            .iter()
            .all(|r| matches!(r.outcome, RowOutcome::Unprocessed | RowOutcome::NoResult))
    );
}

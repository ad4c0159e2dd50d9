//! sObject Collections writes: per-record results and errors, splitting, request counts.

use serde_json::json;
use sfmap::salesforce::SfError;

use crate::common::*;

#[tokio::test]
async fn create_reports_each_record() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let results = client
        .create(
            "Contact",
            &recs(json!([
                {"LastName": "One", "Email": "one@x.com"},
                {"Email": "nobody@x.com"},
                {"LastName": "Three", "Phone": null}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].success && results[0].id.is_some());
    assert!(!results[1].success);
    assert_eq!(results[1].errors[0].status_code, "REQUIRED_FIELD_MISSING");
    assert!(results[2].success);
    assert_eq!(client.api_calls(), 1);
    assert_eq!(
        api_log(&emu),
        vec![("POST".to_string(), "composite/sobjects".to_string())]
    );
    let stored = emu.query("SELECT LastName FROM Contact").unwrap();
    assert_eq!(stored.len(), 2);
}

#[tokio::test]
async fn update_upsert_and_delete() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let created = client
        .upsert(
            "Contact",
            "Segment_User_Id__c",
            &recs(json!([
                {"Segment_User_Id__c": "u1", "LastName": "A"},
                {"Segment_User_Id__c": "u2", "LastName": "B"}
            ])),
        )
        .await
        .unwrap();
    assert!(created.iter().all(|r| r.success && r.created == Some(true)));

    let again = client
        .upsert(
            "Contact",
            "Segment_User_Id__c",
            &recs(json!([
                {"Segment_User_Id__c": "u2", "Title": "CEO"},
                {"Segment_User_Id__c": "u3", "LastName": "C"},
                {"Segment_User_Id__c": "u4"}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(again[0].created, Some(false));
    assert_eq!(again[0].id, created[1].id);
    assert_eq!(again[1].created, Some(true));
    assert!(!again[2].success, "an insert without LastName fails");

    let id_a = created[0].id.clone().unwrap();
    let updated = client
        .update(
            "Contact",
            &recs(json!([
                {"Id": id_a, "Title": "CTO", "LastName": "A2"},
                {"Id": "003000000000099AAA", "Title": "x"}
            ])),
        )
        .await
        .unwrap();
    assert!(updated[0].success);
    assert!(!updated[1].success);
    let row = emu
        .query(&format!(
            "SELECT LastName, Title FROM Contact WHERE Id = '{id_a}'"
        ))
        .unwrap();
    assert_eq!(row[0]["Title"], json!("CTO"));

    let deleted = client
        .delete(&[id_a.clone(), "003000000000099AAA".to_string()])
        .await
        .unwrap();
    assert!(deleted[0].success);
    assert!(!deleted[1].success);
    assert!(!deleted[1].errors.is_empty());
    assert_eq!(client.api_calls(), 4);
    assert_eq!(client.api_calls(), emu.request_count());
    let methods: Vec<String> = api_log(&emu).into_iter().map(|(m, _)| m).collect();
    assert_eq!(methods, vec!["PATCH", "PATCH", "PATCH", "DELETE"]);
}

#[tokio::test]
async fn large_inputs_are_split_into_calls_of_200() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let records: Vec<_> = (0..450)
        .map(|i| rec(json!({"Segment_User_Id__c": format!("k{i}"), "LastName": "L"})))
        .collect();
    let results = client
        .upsert("Contact", "Segment_User_Id__c", &records)
        .await
        .unwrap();
    assert_eq!(results.len(), 450);
    assert!(results.iter().all(|r| r.success));
    assert_eq!(client.api_calls(), 3);
}

#[tokio::test]
async fn inputs_are_checked_before_sending() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let no_id = client
        .update("Contact", &recs(json!([{"Title": "x"}])))
        .await;
    assert!(matches!(no_id, Err(SfError::InvalidInput(_))));
    let bad_object = client
        .create("Contact/../x", &recs(json!([{"A": 1}])))
        .await;
    assert!(matches!(bad_object, Err(SfError::InvalidInput(_))));
    let no_key = client
        .upsert(
            "Contact",
            "Segment_User_Id__c",
            &recs(json!([{"LastName": "x"}])),
        )
        .await;
    assert!(matches!(no_key, Err(SfError::InvalidInput(_))));
    let bad_id = client.delete(&["x' OR 1=1".to_string()]).await;
    assert!(matches!(bad_id, Err(SfError::InvalidInput(_))));
    assert_eq!(client.api_calls(), 0);
}

#[tokio::test]
async fn a_failing_later_chunk_keeps_the_results_of_earlier_ones() {
    let mut config = config();
    config.faults = "drop@2".parse().unwrap();
    let emu = start(config).await;
    let client = client(&emu).await;
    let records: Vec<_> = (0..250)
        .map(|i| rec(json!({"LastName": format!("L{i}")})))
        .collect();
    match client.create("Contact", &records).await {
        Err(SfError::Incomplete { done, error }) => {
            assert_eq!(done.len(), 200);
            assert!(done.iter().all(|r| r.success));
            assert!(matches!(*error, SfError::OutcomeUnknown { .. }), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.api_calls(), 2);
}

#[tokio::test]
async fn records_rejected_with_a_lock_are_sent_again_alone() {
    let first = json!([
        {"id": "003000000000001AAA", "success": true, "errors": []},
        {"id": null, "success": false, "errors": [
            {"statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access", "fields": []}
        ]},
        {"id": null, "success": false, "errors": [
            {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no", "fields": []}
        ]}
    ]);
    let second = json!([{"id": "003000000000002AAA", "success": true, "errors": []}]);
    let (org, seen) =
        scripted_server(vec![(200, first.to_string()), (200, second.to_string())]).await;
    let conn = sfmap::salesforce::Connection {
        instance_url: org,
        api_version: "62.0".into(),
        auth: sfmap::salesforce::Auth::AccessToken("00Dx!token".into()),
        allow_loopback: true,
    };
    let client = sfmap::salesforce::Client::connect_with(conn, fast())
        .await
        .unwrap();
    let results = client
        .update(
            "Contact",
            &recs(json!([
                {"Id": "003000000000001AAA", "Title": "a"},
                {"Id": "003000000000002AAA", "Title": "b"},
                {"Id": "003000000000003AAA", "Title": "c"}
            ])),
        )
        .await
        .unwrap();
    assert!(results[0].success && results[1].success);
    assert_eq!(results[1].id.as_deref(), Some("003000000000002AAA"));
    assert_eq!(
        results[2].errors[0].status_code, "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "validation errors are not retried"
    );
    assert_eq!(client.api_calls(), 2);
    let requests = seen.lock().unwrap().clone();
    assert!(requests[1].contains("003000000000002AAA"));
    assert!(
        !requests[1].contains("003000000000001AAA") && !requests[1].contains("003000000000003AAA")
    );
}

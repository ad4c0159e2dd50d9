//! Retries, token renewal and unknown outcomes under injected faults.

use serde_json::json;
use sfmap::salesforce::SfError;

use crate::common::*;

fn faults(spec: &str) -> sfmap::emulate::EmulatorConfig {
    let mut c = config();
    c.faults = spec.parse().expect("fault spec");
    c
}

#[tokio::test]
async fn reads_are_retried_after_503_and_500() {
    let emu = start(faults("503@1,500@2")).await;
    let client = client(&emu).await;
    client.query("SELECT Id FROM Contact").await.unwrap();
    assert_eq!(client.api_calls(), 3);
}

#[tokio::test]
async fn reads_give_up_after_max_attempts() {
    let emu = start(faults("503@1+2+3+4+5")).await;
    let client = client(&emu).await;
    let err = client.query("SELECT Id FROM Contact").await.unwrap_err();
    assert!(matches!(err, SfError::Api { status: 503, .. }), "{err}");
    assert!(err.retryable());
    assert_eq!(client.api_calls(), 4);
}

#[tokio::test]
async fn a_create_whose_response_is_lost_is_not_retried() {
    let emu = start(faults("drop@1")).await;
    let client = client(&emu).await;
    let err = client
        .create("Contact", &recs(json!([{"LastName": "Once"}])))
        .await
        .unwrap_err();
    assert!(matches!(err, SfError::OutcomeUnknown { .. }), "{err}");
    assert!(!err.retryable());
    assert_eq!(client.api_calls(), 1, "never sent twice");
}

#[tokio::test]
async fn a_create_answered_500_is_an_unknown_outcome() {
    let emu = start(faults("500@1")).await;
    let client = client(&emu).await;
    let err = client
        .create("Contact", &recs(json!([{"LastName": "Once"}])))
        .await
        .unwrap_err();
    assert!(matches!(err, SfError::OutcomeUnknown { .. }), "{err}");
    assert_eq!(client.api_calls(), 1);
}

#[tokio::test]
async fn a_create_refused_with_503_or_a_lock_is_retried() {
    let emu = start(faults("503@1,lock@2")).await;
    let client = client(&emu).await;
    let results = client
        .create("Contact", &recs(json!([{"LastName": "Once"}])))
        .await
        .unwrap();
    assert!(results[0].success);
    assert_eq!(client.api_calls(), 3);
    assert_eq!(emu.query("SELECT Id FROM Contact").unwrap().len(), 1);
}

#[tokio::test]
async fn updates_are_retried_after_a_dropped_connection() {
    let emu = start(faults("drop@2")).await;
    let client = client(&emu).await;
    let created = client
        .create("Contact", &recs(json!([{"LastName": "A"}])))
        .await
        .unwrap();
    let id = created[0].id.clone().unwrap();
    let updated = client
        .update("Contact", &recs(json!([{"Id": id, "Title": "T"}])))
        .await
        .unwrap();
    assert!(updated[0].success);
    assert_eq!(client.api_calls(), 3);
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_for_all_concurrent_requests() {
    let emu = start(faults("expire@1")).await;
    let client = client(&emu).await;
    assert_eq!(client.token_calls(), 1);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.query("SELECT Id FROM Contact").await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("query after renewal");
    }
    assert_eq!(client.token_calls(), 2, "one shared refresh");
    let unauthorized = emu.requests().iter().filter(|r| r.status == 401).count();
    assert!(unauthorized >= 1);
}

#[tokio::test]
async fn sessions_expiring_repeatedly_are_renewed_each_time() {
    let emu = start(faults("expire/5")).await;
    let client = client(&emu).await;
    for _ in 0..12 {
        client.query("SELECT Id FROM Contact").await.unwrap();
    }
    assert!(client.token_calls() >= 3, "{}", client.token_calls());
}

#[tokio::test]
async fn request_limit_exceeded_waits_then_stops_cleanly() {
    let mut c = config();
    c.daily_api_limit = 2;
    let emu = start(c).await;
    let mut options = fast();
    options.retry.limit_retries = 2;
    let client =
        sfmap::salesforce::Client::connect_with(connection(&emu, password_auth(&emu)), options)
            .await
            .unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
    let err = client.query("SELECT Id FROM Contact").await.unwrap_err();
    assert!(matches!(err, SfError::LimitExceeded { .. }), "{err}");
    assert_eq!(err.code(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(client.api_calls(), 5, "2 ok + 1 refused + 2 waits");
    let (used, max) = client.limits().unwrap();
    assert_eq!(max, 2);
    assert!(used >= 2);
}

#[tokio::test]
async fn upserts_survive_a_noisy_org() {
    let mut c = config();
    c.faults = "503=5%,drop=1%,500=1%,expire/5,seed=11".parse().unwrap();
    let emu = start(c).await;
    let client = client(&emu).await;
    let records: Vec<_> = (0..1000)
        .map(|i| rec(json!({"Segment_User_Id__c": format!("n{i}"), "LastName": "N"})))
        .collect();
    // Twice: the second pass updates what the first created; both are safe to repeat.
    for pass in 0..2 {
        let mut tasks = Vec::new();
        for chunk in records.chunks(200) {
            let c = client.clone();
            let chunk = chunk.to_vec();
            tasks.push(tokio::spawn(async move {
                c.upsert("Contact", "Segment_User_Id__c", &chunk).await
            }));
        }
        for t in tasks {
            let results = t.await.unwrap().expect("retries absorb the faults");
            assert!(
                results
                    .iter()
                    .all(|r| r.success && r.created == Some(pass == 0))
            );
        }
        let q = client
            .query("SELECT Id FROM Contact WHERE LastName = 'N'")
            .await
            .unwrap();
        assert_eq!(q.len(), 1000, "no duplicate, none missing");
    }
    assert!(client.token_calls() >= 2, "sessions were renewed");
}

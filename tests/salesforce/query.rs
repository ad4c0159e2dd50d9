//! Queries: paging, escaping against injection, describe.

use serde_json::json;
use sfmap::salesforce::soql;

use crate::common::*;

#[tokio::test]
async fn query_follows_next_records_url() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let records: Vec<_> = (0..2300)
        .map(|i| rec(json!({"LastName": format!("L{i}"), "Email": format!("u{i}@x.com")})))
        .collect();
    let results = client.create("Contact", &records).await.unwrap();
    assert!(results.iter().all(|r| r.success));
    assert_eq!(client.api_calls(), 12, "2300 records in calls of 200");

    let before = client.api_calls();
    let rows = client.query("SELECT Id, Email FROM Contact").await.unwrap();
    assert_eq!(rows.len(), 2300);
    assert!(rows.iter().all(|r| !r.contains_key("attributes")));
    let pages = client.api_calls() - before;
    assert!(pages >= 2, "paged in {pages} calls");
    let log = api_log(&emu);
    assert!(
        log.iter()
            .any(|(m, p)| m == "GET" && p.starts_with("query/")),
        "{log:?}"
    );
}

#[tokio::test]
async fn injection_attempts_match_only_themselves() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let names = [
        r"a\' OR LastName != '",
        "O'Brien",
        r"trailing\",
        "two\nlines",
        "tab\there \"quoted\"",
        "ünïcødé ✓",
        "' OR Id != null OR LastName = '",
    ];
    let records: Vec<_> = names
        .iter()
        .map(|n| rec(json!({"LastName": n})))
        .chain([rec(json!({"LastName": "bystander"}))])
        .collect();
    client.create("Contact", &records).await.unwrap();
    for name in names {
        let q = format!(
            "SELECT Id, LastName FROM Contact WHERE LastName = {}",
            soql::quote(name)
        );
        let rows = client
            .query(&q)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(rows.len(), 1, "{q}");
        assert_eq!(rows[0]["LastName"], json!(name));
    }
    let values: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let clauses = soql::in_filters("LastName", &values, 60);
    assert!(clauses.len() > 1);
    let mut found = 0;
    for clause in clauses {
        found += client
            .query(&format!("SELECT Id FROM Contact WHERE {clause}"))
            .await
            .unwrap()
            .len();
    }
    assert_eq!(found, names.len());
}

#[tokio::test]
async fn describe_reads_the_schema_model() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let contact = client.describe("Contact").await.unwrap();
    assert_eq!(contact.name, "Contact");
    assert!(
        contact
            .field("Segment_User_Id__c")
            .is_some_and(|f| f.external_id)
    );
    let err = client.describe("Nope__c").await.unwrap_err();
    assert!(
        matches!(err, sfmap::salesforce::SfError::Api { status: 404, .. }),
        "{err}"
    );
    assert!(client.describe("../limits").await.is_err());
}

#[tokio::test]
async fn malformed_queries_are_not_retried() {
    let emu = emulator().await;
    let client = client(&emu).await;
    let err = client.query("SELECT FROM").await.unwrap_err();
    assert!(!err.retryable());
    assert_eq!(client.api_calls(), 1);
    assert!(client.limits().is_some());
}

#[tokio::test]
async fn limits_from_headers_and_the_limits_resource() {
    let mut c = config();
    c.daily_api_limit = 1000;
    let emu = start(c).await;
    let client = client(&emu).await;
    assert_eq!(client.limits(), None);
    let (used, max) = client.fetch_limits().await.unwrap();
    assert_eq!(max, 1000);
    assert!(used <= 1);
    client.query("SELECT Id FROM Contact").await.unwrap();
    let (used2, max2) = client.limits().unwrap();
    assert_eq!(max2, 1000);
    assert!(used2 >= used);
}

#[tokio::test]
async fn a_read_only_client_never_writes() {
    let emu = emulator().await;
    let mut options = fast();
    options.read_only = true;
    let client =
        sfmap::salesforce::Client::connect_with(connection(&emu, password_auth(&emu)), options)
            .await
            .unwrap();
    client.query("SELECT Id FROM Contact").await.unwrap();
    let err = client
        .create("Contact", &[rec(json!({"LastName": "x"}))])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert!(
        emu.requests()
            .iter()
            .filter(|r| r.api)
            .all(|r| r.method == "GET")
    );
    assert_eq!(client.api_calls(), 1);
}

/// Against an org that answers short pages with `done: false` (`--short-pages`), the client
/// follows `nextRecordsUrl` until `done`, not until a page is short.
#[tokio::test]
async fn query_follows_short_pages_to_done() {
    let emu = start(sfmap::emulate::EmulatorConfig {
        short_pages: Some(3),
        ..config()
    })
    .await;
    let client = client(&emu).await;
    let records: Vec<_> = (0..600)
        .map(|i| rec(json!({"LastName": format!("S{i:03}")})))
        .collect();
    assert!(
        client
            .create("Contact", &records)
            .await
            .unwrap()
            .iter()
            .all(|r| r.success)
    );
    let before = client.api_calls();
    let rows = client
        .query("SELECT LastName FROM Contact ORDER BY LastName")
        .await
        .unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["LastName"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..600).map(|i| format!("S{i:03}")).collect();
    assert_eq!(names, expected);
    assert!(client.api_calls() - before >= 2, "the first page was short");
}

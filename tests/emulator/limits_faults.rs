//! The daily API allocation, Sforce-Limit-Info, injected faults and the request log.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sfmap::emulate::EmulatorConfig;

use crate::common::{V, code, fixture, start_with};

#[tokio::test]
async fn limit_header_limits_resource_and_exhaustion() {
    let org = start_with(EmulatorConfig {
        daily_api_limit: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let resp = org
        .http
        .get(org.url(&format!("{V}/limits/")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["sforce-limit-info"], "api-usage=1/3");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["DailyApiRequests"], json!({"Max": 3, "Remaining": 2}));
    org.get("/limits").await;
    org.get("/limits").await;
    let (s, v) = org.get("/limits").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, "REQUEST_LIMIT_EXCEEDED")
    );
    assert_eq!(org.emu.request_count(), 3);
}

#[tokio::test]
async fn scheduled_faults_are_deterministic() {
    let org = start_with(EmulatorConfig {
        faults: "503@1,lock@2,500@3,drop@4,expire@5".parse().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let (s, v) = org.post("/sobjects/Account", json!({"Name": "A"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::SERVICE_UNAVAILABLE, "SERVER_UNAVAILABLE")
    );
    let (s, v) = org.post("/sobjects/Account", json!({"Name": "A"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "UNABLE_TO_LOCK_ROW")
    );
    let (s, v) = org.post("/sobjects/Account", json!({"Name": "A"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN_EXCEPTION")
    );
    let dropped = org
        .http
        .post(org.url(&format!("{V}/sobjects/Account")))
        .bearer_auth(&org.token)
        .json(&json!({"Name": "A"}))
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(r) => r.text().await.is_err(),
    };
    assert!(failed, "the connection was dropped");
    let (s, v) = org.get("/limits").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID")
    );
    // The forced expiry sticks to the token.
    let (s, _) = org.get("/limits").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Faulted writes wrote nothing.
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());
}

#[tokio::test]
async fn oauth_faults_and_request_log() {
    let log = std::env::temp_dir().join(format!("sfmap-emu-log-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let org = start_with(EmulatorConfig {
        faults: "oauth-invalid_grant@1".parse().unwrap(),
        log: Some(log.clone()),
        schema: Some(fixture("schema.json")),
        ..EmulatorConfig::default()
    })
    .await;
    let c = org.emu.credentials().clone();
    let form = [
        ("grant_type", "password"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("username", c.username.as_str()),
        ("password", c.password.as_str()),
    ];
    let r = org
        .http
        .post(org.url("/services/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = org
        .http
        .post(org.url("/services/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    org.post("/sobjects/Account", json!({"Name": "Logged"}))
        .await;
    org.get("/sobjects/Account/001000000000000AAA").await;

    let reqs = org.emu.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        (
            reqs[0].method.as_str(),
            reqs[0].path.as_str(),
            reqs[0].status
        ),
        ("POST", "/services/oauth2/token", 400)
    );
    assert_eq!(
        (reqs[2].method.as_str(), reqs[2].status, reqs[2].api),
        ("POST", 201, true)
    );
    assert_eq!(reqs[3].status, 404);
    assert_eq!(org.emu.request_count(), 2);
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[2]["path"], format!("{V}/sobjects/Account"));
    assert!(lines[2]["ms"].is_number());
    // No secrets in the log.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(&c.client_secret)
            && !text.contains(&c.password)
            && !text.contains(&org.token)
    );
    let _ = std::fs::remove_file(&log);
}

#[tokio::test]
async fn state_file_persists_records_and_seed_loads() {
    let dir = std::env::temp_dir().join(format!("sfmap-emu-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("org.sqlite");
    let _ = std::fs::remove_file(&state);
    let seed = dir.join("seed.jsonl");
    std::fs::write(&seed, "{\"attributes\":{\"type\":\"Account\"},\"Name\":\"Seeded\",\"ExtId__c\":\"S1\"}\n{\"type\":\"Lead\",\"LastName\":\"L\",\"Company\":\"C\"}\n").unwrap();
    let config = EmulatorConfig {
        state: Some(state.clone()),
        schema: Some(fixture("schema.json")),
        ..EmulatorConfig::default()
    };
    let org = start_with(EmulatorConfig {
        seed: Some(seed.clone()),
        ..config.clone()
    })
    .await;
    let id = org.create("Account", json!({"Name": "Kept"})).await;
    org.emu.shutdown().await;
    let org = start_with(config).await;
    let (s, v) = org.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!((s, v["Name"].as_str()), (StatusCode::OK, Some("Kept")));
    assert_eq!(
        org.emu
            .query("SELECT Name FROM Account WHERE ExtId__c = 'S1'")
            .unwrap()
            .len(),
        1
    );
    assert_eq!(org.emu.query("SELECT Id FROM Lead").unwrap().len(), 1);
    // New records do not reuse Ids.
    let next = org.create("Account", json!({"Name": "New"})).await;
    assert_ne!(next, id);
    org.emu.shutdown().await;
    std::fs::write(&seed, "{\"attributes\":{\"type\":\"Account\"}}\n").unwrap();
    let bad = sfmap::emulate::Emulator::start(EmulatorConfig {
        seed: Some(seed.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(matches!(
        bad,
        Err(sfmap::emulate::EmulateError::Seed { line: 1, .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn latency_is_added_to_api_calls_and_rates_are_seeded() {
    let org = start_with(EmulatorConfig {
        latency: Some("fixed:25ms".parse().unwrap()),
        faults: "503=50%,seed=3".parse().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(org.get("/limits").await.0.as_u16());
    }
    // The versions list is not an API call: no latency, no faults.
    let resp = org
        .http
        .get(org.url("/services/data"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let reqs = org.emu.requests();
    assert!(
        reqs[..20].iter().all(|r| r.ms >= 25.0),
        "latency applied to API calls"
    );
    let unavailable = statuses.iter().filter(|s| **s == 503).count();
    assert!(unavailable > 0 && unavailable < 20, "{statuses:?}");
    // The same seed gives the same sequence.
    let again = start_with(EmulatorConfig {
        faults: "503=50%,seed=3".parse().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let mut second = Vec::new();
    for _ in 0..20 {
        second.push(again.get("/limits").await.0.as_u16());
    }
    assert_eq!(statuses, second);
}

/// Whether a request's answer was lost (the connection closed before a complete response).
async fn answer_lost(rb: reqwest::RequestBuilder) -> bool {
    match rb.send().await {
        Err(_) => true,
        Ok(r) => r.text().await.is_err(),
    }
}

/// `commit-drop` carries the request out and then drops its answer: the record a create wrote
/// is there, though the client heard nothing. A closed Bulk job whose answer was dropped is
/// processed all the same. The log shows what was committed.
#[tokio::test]
async fn commit_drop_writes_and_then_loses_the_answer() {
    let org = start_with(EmulatorConfig {
        faults: "commit-drop@1+2+4".parse().unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let create = org
        .http
        .post(org.url(&format!("{V}/sobjects/Account")))
        .bearer_auth(&org.token)
        .json(&json!({"Name": "Lost answer"}));
    assert!(answer_lost(create).await, "the answer was dropped");
    let rows = org.emu.query("SELECT Id, Name FROM Account").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Name"], "Lost answer");
    let collections = org
        .http
        .post(org.url(&format!("{V}/composite/sobjects")))
        .bearer_auth(&org.token)
        .json(&json!({"records": [
            {"attributes": {"type": "Account"}, "Name": "C1"},
            {"attributes": {"type": "Account"}, "Name": "C2"}
        ]}));
    assert!(answer_lost(collections).await);
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 3);

    let (s, job) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "insert"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = job["id"].as_str().unwrap().to_string();
    let upload = org
        .http
        .put(org.url(&format!("{V}/jobs/ingest/{id}/batches")))
        .bearer_auth(&org.token)
        .header("Content-Type", "text/csv")
        .body("Name\nB1\nB2\n");
    assert!(answer_lost(upload).await, "request 4 is the upload");
    let (s, _) = org
        .patch(
            &format!("/jobs/ingest/{id}"),
            json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the upload was kept");
    for _ in 0..1000 {
        let (_, info) = org.get(&format!("/jobs/ingest/{id}")).await;
        if info["state"] == "JobComplete" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 5);
    let statuses: Vec<u16> = org
        .emu
        .requests()
        .iter()
        .map(|r| r.status)
        .take(4)
        .collect();
    assert_eq!(statuses, [201, 200, 200, 201]);
}

//! Bulk API 2.0 ingest: job lifecycle, CSV rules, results, limits and what real clients send.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Org, V, code, start};

async fn put_csv(org: &Org, job: &str, csv: &str) -> StatusCode {
    org.http
        .put(org.url(&format!("{V}/jobs/ingest/{job}/batches/")))
        .bearer_auth(&org.token)
        .header("Content-Type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

async fn results(org: &Org, job: &str, which: &str) -> Vec<Vec<String>> {
    let text = org
        .http
        .get(org.url(&format!("{V}/jobs/ingest/{job}/{which}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Runs a job to a terminal state (polling like the clients do) and returns its final info.
async fn run_job(org: &Org, create: Value, csv: &str) -> (String, Value) {
    let (s, job) = org.post("/jobs/ingest", create).await;
    assert_eq!(s, StatusCode::OK, "{job}");
    assert_eq!(job["state"], "Open");
    let id = job["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("750"));
    assert_eq!(put_csv(org, &id, csv).await, StatusCode::CREATED);
    let (s, v) = org
        .patch(
            &format!("/jobs/ingest/{id}"),
            json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "UploadComplete");
    for _ in 0..2000 {
        let (_, info) = org.get(&format!("/jobs/ingest/{id}")).await;
        let state = info["state"].as_str().unwrap().to_string();
        assert!(
            ["UploadComplete", "InProgress", "JobComplete", "Failed"].contains(&state.as_str())
        );
        if state == "JobComplete" || state == "Failed" {
            return (id, info);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn upsert_with_successes_failures_and_relationships() {
    let org = start().await;
    let existing = org
        .create(
            "Account",
            json!({"Name": "Old", "ExtId__c": "E2", "Phone": "555"}),
        )
        .await;
    // What jsforce sends: only object/operation/externalIdFieldName, an empty Id column, #N/A.
    let csv = "Id,ExtId__c,Name,Phone\n,E1,A1,#N/A\n,E2,\"A,2\"\"q\",\n,E3,,1\n,E4,Bad,\"x\"\n";
    let (id, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "ExtId__c"}),
        &csv.replace(",E4,Bad,\"x\"", &format!(",E4,{},x", "y".repeat(300))),
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 2);
    assert_eq!(info["contentType"], "CSV");
    assert_eq!(info["lineEnding"], "LF");
    assert_eq!(info["columnDelimiter"], "COMMA");

    let ok = results(&org, &id, "successfulResults").await;
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0][1], "true");
    assert_eq!(ok[0][3], "E1");
    assert_eq!(ok[1][0], existing);
    assert_eq!(ok[1][1], "false");
    assert_eq!(ok[1][4], "A,2\"q");
    let failed = results(&org, &id, "failedResults").await;
    assert_eq!(failed.len(), 2);
    assert!(
        failed[0][1].starts_with("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name"),
        "{}",
        failed[0][1]
    );
    assert!(failed[1][1].starts_with("STRING_TOO_LONG:"));
    assert_eq!(failed[0][3], "E3");
    assert!(results(&org, &id, "unprocessedrecords").await.is_empty());
    assert!(results(&org, &id, "unprocessedRecords").await.is_empty());

    // Empty cell = unchanged, #N/A = null.
    let rows = org
        .emu
        .query("SELECT Name, Phone FROM Account WHERE ExtId__c = 'E2'")
        .unwrap();
    assert_eq!(rows[0]["Name"], "A,2\"q");
    assert_eq!(rows[0]["Phone"], "555");
    let rows = org
        .emu
        .query("SELECT Phone FROM Account WHERE ExtId__c = 'E1'")
        .unwrap();
    assert_eq!(rows[0]["Phone"], Value::Null);

    // Relationship columns, CRLF and a pipe delimiter.
    let (_, info) = run_job(
        &org,
        json!({"object": "Contact", "operation": "insert", "lineEnding": "CRLF", "columnDelimiter": "PIPE", "contentType": "CSV"}),
        "LastName|Account.ExtId__c\r\nKid|E1\r\nLost|NOPE\r\n",
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    let rows = org
        .emu
        .query("SELECT LastName, Account.Name FROM Contact")
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Account"]["Name"], "A1");
}

#[tokio::test]
async fn update_delete_hard_delete_and_failed_jobs() {
    let org = start().await;
    let a = org.create("Account", json!({"Name": "A"})).await;
    let b = org.create("Account", json!({"Name": "B"})).await;
    let (_, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "update"}),
        &format!("Id,Name\n{a},A2\n001000000000000AAA,X\n"),
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 1);
    assert_eq!(
        org.emu
            .query("SELECT Name FROM Account ORDER BY Name")
            .unwrap()[0]["Name"],
        "A2"
    );
    let (_, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "delete"}),
        &format!("Id\n{a}\n"),
    )
    .await;
    assert_eq!(info["numberRecordsFailed"], 0);
    let (_, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "hardDelete"}),
        &format!("Id\n{b}\n"),
    )
    .await;
    assert_eq!(info["numberRecordsProcessed"], 1);
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());
    let (s, v) = org.get(&format!("/sobjects/Account/{a}")).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "ENTITY_IS_DELETED"));
    let (s, v) = org.get(&format!("/sobjects/Account/{b}")).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));

    // An unknown column fails the job; the rows are unprocessed.
    let (id, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "insert"}),
        "Name,Foo__c\nx,y\n",
    )
    .await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Field name not found : Foo__c"
    );
    assert_eq!(
        results(&org, &id, "unprocessedrecords").await,
        [vec!["x", "y"]]
    );
}

#[tokio::test]
async fn job_errors_states_and_listing() {
    let org = start().await;
    let (s, v) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Nope", "operation": "insert"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "INVALIDENTITY"));
    let (_, v) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "upsert"}),
        )
        .await;
    assert_eq!(code(&v), "INVALIDJOB");
    let (_, v) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "insert", "columnDelimiter": "SPACE"}),
        )
        .await;
    assert_eq!(code(&v), "INVALIDJOB");

    let (_, job) = org
        .post(
            "/jobs/ingest/",
            json!({"object": "Account", "operation": "insert"}),
        )
        .await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(put_csv(&org, &id, "Name\nA\n").await, StatusCode::CREATED);
    assert_eq!(
        put_csv(&org, &id, "Name\nB\n").await,
        StatusCode::BAD_REQUEST
    );
    let (s, v) = org.delete(&format!("/jobs/ingest/{id}")).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "INVALIDJOBSTATE"));
    let (s, v) = org
        .patch(&format!("/jobs/ingest/{id}"), json!({"state": "Aborted"}))
        .await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("Aborted")));
    let (s, _) = org
        .patch(
            &format!("/jobs/ingest/{id}"),
            json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(put_csv(&org, &id, "Name\nC\n").await, StatusCode::CONFLICT);
    let (s, list) = org.get("/jobs/ingest").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["done"], true);
    assert_eq!(list["records"][0]["id"], id.as_str());
    let (s, _) = org.delete(&format!("/jobs/ingest/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = org.get(&format!("/jobs/ingest/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());
}

#[tokio::test]
async fn uploads_over_150_mb_are_refused() {
    let org = start().await;
    let (_, job) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "insert"}),
        )
        .await;
    let id = job["id"].as_str().unwrap();
    let big = "x".repeat(150 * 1024 * 1024 + 10);
    let resp = org
        .http
        .put(org.url(&format!("{V}/jobs/ingest/{id}/batches")))
        .bearer_auth(&org.token)
        .header("Content-Type", "text/csv")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(code(&v), "EXCEEDED_MAX_SIZE");
}

#[tokio::test]
async fn plain_inserts_report_row_errors_and_order() {
    let org = start().await;
    // Row errors are reported per row, in input order, across internal 10,000-row batches.
    let mut csv = String::from("Name,NumberOfEmployees,Tier__c\n");
    for i in 0..25_000 {
        match i {
            7 => csv.push_str(",1,Gold\n"),
            12_345 => csv.push_str("Bad,many,Gold\n"),
            20_000 => csv.push_str("Ok,1,Bronze\n"),
            _ => csv.push_str(&format!("Row {i},{i},Silver\n")),
        }
    }
    let (id, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "insert"}),
        &csv,
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(info["numberRecordsProcessed"], 25_000);
    assert_eq!(info["numberRecordsFailed"], 3);
    let failed = results(&org, &id, "failedResults").await;
    let codes: Vec<&str> = failed
        .iter()
        .map(|r| r[1].split(':').next().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "REQUIRED_FIELD_MISSING",
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        ]
    );
    let ok = results(&org, &id, "successfulResults").await;
    assert_eq!(ok.len(), 24_997);
    assert_eq!(ok[0][2], "Row 0");
    let (_, v) = org.query("SELECT COUNT() FROM Account").await;
    assert_eq!(v["totalSize"], 24_997);
    let (_, v) = org
        .query("SELECT NumberOfEmployees FROM Account WHERE Name = 'Row 24999'")
        .await;
    assert_eq!(v["records"][0]["NumberOfEmployees"], 24_999);
}

/// With `--state`, ingest jobs survive a restart: a job created and uploaded before it is
/// closed and processed after it, a finished job keeps its results, a deleted job stays
/// deleted and its Id is not given again.
#[tokio::test]
async fn jobs_survive_a_restart_with_a_state_file() {
    let dir = std::env::temp_dir().join(format!("sfmap-emu-bulk-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = sfmap::emulate::EmulatorConfig {
        state: Some(dir.join("org.sqlite")),
        schema: Some(crate::common::fixture("schema.json")),
        ..sfmap::emulate::EmulatorConfig::default()
    };
    let insert = json!({"object": "Account", "operation": "insert", "lineEnding": "LF"});
    let org = crate::common::start_with(config.clone()).await;
    let (done, _) = run_job(&org, insert.clone(), "Name\nDone 1\nDone 2\n").await;
    let (_, open) = org.post("/jobs/ingest", insert.clone()).await;
    let open = open["id"].as_str().unwrap().to_string();
    assert_eq!(
        put_csv(
            &org,
            &open,
            "Name,NumberOfEmployees\nLater 1,1\nLater 2,many\nLater 3,3\n"
        )
        .await,
        StatusCode::CREATED
    );
    let (_, gone) = org.post("/jobs/ingest", insert.clone()).await;
    let gone = gone["id"].as_str().unwrap().to_string();
    let (s, _) = org
        .patch(&format!("/jobs/ingest/{gone}"), json!({"state": "Aborted"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = org.delete(&format!("/jobs/ingest/{gone}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    org.emu.shutdown().await;

    let org = crate::common::start_with(config).await;
    let (s, info) = org.get(&format!("/jobs/ingest/{open}")).await;
    assert_eq!((s, info["state"].as_str()), (StatusCode::OK, Some("Open")));
    let (s, _) = org
        .patch(
            &format!("/jobs/ingest/{open}"),
            json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut info = Value::Null;
    for _ in 0..2000 {
        (_, info) = org.get(&format!("/jobs/ingest/{open}")).await;
        if info["state"] == "JobComplete" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(
        (
            &info["numberRecordsProcessed"],
            &info["numberRecordsFailed"]
        ),
        (&json!(3), &json!(1))
    );
    let ok = results(&org, &open, "successfulResults").await;
    assert_eq!(
        ok.iter()
            .map(|r| (r[1].as_str(), r[2].as_str()))
            .collect::<Vec<_>>(),
        [("true", "Later 1"), ("true", "Later 3")]
    );
    let bad = results(&org, &open, "failedResults").await;
    assert_eq!((bad.len(), bad[0][2].as_str()), (1, "Later 2"));
    let ok = results(&org, &done, "successfulResults").await;
    assert_eq!(
        ok.iter().map(|r| r[2].as_str()).collect::<Vec<_>>(),
        ["Done 1", "Done 2"]
    );
    let names: Vec<String> = org
        .emu
        .query("SELECT Name FROM Account ORDER BY Name")
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Done 1", "Done 2", "Later 1", "Later 3"]);
    let (s, _) = org.get(&format!("/jobs/ingest/{gone}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = org.get("/jobs/ingest").await;
    let ids: Vec<&str> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [done.as_str(), open.as_str()]);
    let (_, next) = org.post("/jobs/ingest", insert).await;
    assert!(![done.as_str(), open.as_str(), gone.as_str()].contains(&next["id"].as_str().unwrap()));
    org.emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn raw_results(org: &Org, job: &str, which: &str) -> String {
    org.http
        .get(org.url(&format!("{V}/jobs/ingest/{job}/{which}")))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Result files quote every field, header and values, as Salesforce's do.
#[tokio::test]
async fn result_files_quote_every_field() {
    let org = start().await;
    let (id, _) = run_job(
        &org,
        json!({"object": "Account", "operation": "insert"}),
        "Name,NumberOfEmployees\nAcme,5\n\"Bad, Inc\",many\n",
    )
    .await;
    let ok = raw_results(&org, &id, "successfulResults").await;
    let acme = org.emu.query("SELECT Id FROM Account").unwrap()[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ok,
        format!(
            "\"sf__Id\",\"sf__Created\",\"Name\",\"NumberOfEmployees\"\n\"{acme}\",\"true\",\"Acme\",\"5\"\n"
        )
    );
    let bad = raw_results(&org, &id, "failedResults").await;
    assert!(
        bad.starts_with(
            "\"sf__Id\",\"sf__Error\",\"Name\",\"NumberOfEmployees\"\n\"\",\"INVALID_TYPE_ON_FIELD_IN_RECORD:"
        ),
        "{bad}"
    );
    assert!(bad.ends_with(" --\",\"Bad, Inc\",\"many\"\n"), "{bad}");
}

/// Line endings must match the job's `lineEnding` (LF by default), as in Salesforce: CRLF data
/// in an LF job (what Python's csv module writes) fails the job, as LF data in a CRLF job does.
/// Line breaks inside quoted values are data.
#[tokio::test]
async fn line_endings_must_match_the_job() {
    let org = start().await;
    for (create, csv, setting) in [
        (
            json!({"object": "Account", "operation": "insert"}),
            "Name\r\nOne\r\nTwo\r\n",
            "LF",
        ),
        (
            json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"}),
            "Name\nOne\nTwo\n",
            "CRLF",
        ),
    ] {
        let (id, info) = run_job(&org, create, csv).await;
        assert_eq!(info["state"], "Failed");
        assert_eq!(
            info["errorMessage"],
            format!(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {setting}"
            )
        );
        assert_eq!(info["numberRecordsProcessed"], 0);
        let rows = results(&org, &id, "unprocessedrecords").await;
        assert_eq!(rows, [vec!["One".to_string()], vec!["Two".to_string()]]);
    }
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());
    let (_, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "insert", "lineEnding": "CRLF"}),
        "Name,Description\r\nOne,\"two\nlines\"\r\n",
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    let (_, info) = run_job(
        &org,
        json!({"object": "Account", "operation": "insert"}),
        "Name,Description\nTwo,\"with\r\ncrlf\"\n",
    )
    .await;
    assert_eq!(info["state"], "JobComplete");
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 2);
}

/// Job data must be sent as `text/csv` (a charset parameter is fine, as simple_salesforce
/// sends); anything else is 415 UNSUPPORTED_MEDIA_TYPE and the job stays without data.
#[tokio::test]
async fn uploads_must_be_text_csv() {
    let org = start().await;
    let (_, job) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "insert"}),
        )
        .await;
    let id = job["id"].as_str().unwrap();
    let put = |content_type: Option<&'static str>| {
        let mut rb = org
            .http
            .put(org.url(&format!("{V}/jobs/ingest/{id}/batches")))
            .bearer_auth(&org.token)
            .body("Name\nA\n");
        if let Some(ct) = content_type {
            rb = rb.header("Content-Type", ct);
        }
        async move {
            let resp = rb.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for ct in [Some("application/json"), None] {
        let (s, v) = put(ct).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            "{ct:?}"
        );
    }
    let (s, _) = put(Some("text/csv; charset=UTF-8")).await;
    assert_eq!(s, StatusCode::CREATED);
}

/// An emulator stopped while a job is being processed stops it at a chunk boundary; started
/// again on the same state file, it takes the job up where it stopped: every row is written
/// once and has one result.
#[tokio::test]
async fn a_job_being_processed_resumes_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("sfmap-emu-bulk-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = sfmap::emulate::EmulatorConfig {
        state: Some(dir.join("org.sqlite")),
        schema: Some(crate::common::fixture("schema.json")),
        ..sfmap::emulate::EmulatorConfig::default()
    };
    let rows = 45_000;
    let mut csv = String::from("Name,ExtId__c\n");
    for i in 0..rows {
        csv.push_str(&format!("R{i},X{i}\n"));
    }
    let org = crate::common::start_with(config.clone()).await;
    let (_, job) = org
        .post(
            "/jobs/ingest",
            json!({"object": "Account", "operation": "upsert", "externalIdFieldName": "ExtId__c"}),
        )
        .await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(put_csv(&org, &id, &csv).await, StatusCode::CREATED);
    let (s, _) = org
        .patch(
            &format!("/jobs/ingest/{id}"),
            json!({"state": "UploadComplete"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Stop once the first 10,000-row chunk is in.
    for _ in 0..4000 {
        let (_, info) = org.get(&format!("/jobs/ingest/{id}")).await;
        if info["numberRecordsProcessed"].as_u64().unwrap_or(0) >= 10_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    org.emu.shutdown().await;

    let org = crate::common::start_with(config).await;
    let kept = org.emu.query("SELECT Id FROM Account").unwrap().len();
    assert!(
        kept % 10_000 == 0 && (10_000..rows).contains(&kept),
        "stopped mid-job at a chunk boundary: {kept}"
    );
    let mut info = Value::Null;
    for _ in 0..4000 {
        (_, info) = org.get(&format!("/jobs/ingest/{id}")).await;
        if info["state"] == "JobComplete" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], rows);
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), rows);
    let ok = results(&org, &id, "successfulResults").await;
    assert_eq!(ok.len(), rows);
    assert!(ok.iter().all(|r| r[1] == "true"), "every row created once");
    let names: std::collections::BTreeSet<&str> = ok.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(names.len(), rows);
    org.emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

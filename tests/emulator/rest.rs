//! REST record CRUD, upsert by external id, describe, versions and routing tolerance.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{V, code, start};

#[tokio::test]
async fn create_read_update_delete() {
    let org = start().await;
    let (s, v) = org
        .post(
            "/sobjects/Account",
            json!({"name": "Acme", "ExtId__c": "E1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["success"], true);
    assert_eq!(v["errors"], json!([]));
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("001"));
    sfmap::schema::sfid::validate(&id).unwrap();

    // 15-character and 18-character forms address the same record.
    let (s, rec) = org.get(&format!("/sobjects/Account/{}", &id[..15])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rec["Id"], id.as_str());
    assert_eq!(rec["Name"], "Acme");
    assert_eq!(rec["attributes"]["type"], "Account");
    assert_eq!(rec["OwnerId"], org.emu.user_id());

    let (s, v) = org
        .patch(
            &format!("/sobjects/Account/{id}"),
            json!({"Name": "Acme 2", "Industry": null}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, rec) = org
        .get(&format!("/sobjects/Account/{id}?fields=Name,ExtId__c"))
        .await;
    assert_eq!(rec["Name"], "Acme 2");
    assert_eq!(rec["ExtId__c"], "E1");
    assert!(rec.get("Industry").is_none());

    let (s, _) = org.delete(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = org.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(code(&v), "ENTITY_IS_DELETED");
    let (s, v) = org
        .patch(&format!("/sobjects/Account/{id}"), json!({"Name": "x"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "ENTITY_IS_DELETED"));

    let missing = sfmap::schema::sfid::make("001", "0E", 99_999);
    let (s, v) = org.get(&format!("/sobjects/Account/{missing}")).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(v[0]["message"], "The requested resource does not exist");

    // A Contact Id on the Account resource.
    let contact = org.create("Contact", json!({"LastName": "Doe"})).await;
    let (s, v) = org.get(&format!("/sobjects/Account/{contact}")).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "MALFORMED_ID"));
    assert_eq!(
        org.emu.query("SELECT Name FROM Contact").unwrap()[0]["Name"],
        "Doe"
    );
}

#[tokio::test]
async fn upsert_by_external_id_follows_the_spec() {
    let org = start().await;
    // New: 201 with created=true (v46+).
    let (s, v) = org
        .patch("/sobjects/Account/ExtId__c/E%201&x", json!({"Name": "New"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["created"], true);
    let id = v["id"].as_str().unwrap().to_string();
    // Existing (matched case-insensitively): 200 with created=false.
    let (s, v) = org
        .patch(
            "/sobjects/Account/ExtId__c/e%201&X",
            json!({"Name": "Updated"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"id": id, "success": true, "errors": [], "created": false})
    );
    let rows = org.emu.query("SELECT Name, ExtId__c FROM Account").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Name"], "Updated");
    assert_eq!(rows[0]["ExtId__c"], "E 1&x");

    // Before v46 an update answers 204 without a body.
    let resp = org
        .http
        .patch(org.url("/services/data/v45.0/sobjects/Account/ExtId__c/E 1&x"))
        .bearer_auth(&org.token)
        .json(&json!({"Name": "Old API"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // Several matches on a non-unique external id: 300 with the record URLs, nothing written.
    let a = org
        .create("Account", json!({"Name": "A", "Code__c": "dup"}))
        .await;
    let b = org
        .create("Account", json!({"Name": "B", "Code__c": "DUP"}))
        .await;
    let (s, v) = org
        .patch("/sobjects/Account/Code__c/dup", json!({"Name": "Z"}))
        .await;
    assert_eq!(s, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(
        v,
        json!([
            format!("{V}/sobjects/Account/{a}"),
            format!("{V}/sobjects/Account/{b}")
        ])
    );
    assert!(
        org.emu
            .query("SELECT Id FROM Account WHERE Name = 'Z'")
            .unwrap()
            .is_empty()
    );

    // A field that is not an external id, or does not exist: 404 NOT_FOUND.
    let (s, v) = org
        .patch("/sobjects/Account/Phone/123", json!({"Name": "Z"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    let (s, v) = org
        .patch("/sobjects/Account/Nope__c/1", json!({"Name": "Z"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));

    // GET by external id.
    let (s, v) = org.get("/sobjects/Account/ExtId__c/E%201&x").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["Id"], id.as_str());
}

#[tokio::test]
async fn versions_describe_and_routing() {
    let org = start().await;
    // The versions list needs no token and is not counted.
    let v: serde_json::Value = reqwest::get(org.url("/services/data"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions.first(), Some(&"31.0"));
    assert_eq!(versions.last(), Some(&"67.0"));
    assert_eq!(versions.len(), 37);
    assert_eq!(org.emu.request_count(), 0);
    let (s, _) = org.get("/").await;
    assert_eq!(s, StatusCode::OK);
    let resp = org
        .http
        .get(org.url("/services/data/v68.0/sobjects"))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let (s, g) = org.get("/sobjects/").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = g["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for n in [
        "Account",
        "Contact",
        "Lead",
        "Opportunity",
        "Case",
        "User",
        "Task",
        "Widget__c",
    ] {
        assert!(names.contains(&n), "{n} in global describe");
    }
    let widget = g["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Widget__c")
        .unwrap();
    assert_eq!(widget["keyPrefix"], "a00");
    assert_eq!(widget["custom"], true);

    let (s, d) = org.get("/sobjects/account/describe").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["name"], "Account");
    assert_eq!(d["keyPrefix"], "001");
    let ext = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ExtId__c")
        .unwrap();
    assert_eq!(ext["externalId"], true);
    assert_eq!(ext["type"], "string");
    // The same metadata the linter uses.
    let builtin = sfmap::schema::Schema::builtin();
    assert_eq!(
        d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["name"] == "Name")
            .count(),
        1
    );
    assert!(builtin.object("Account").unwrap().field("Name").is_some());

    let (s, v) = org.get("/sobjects/Nope__c/describe").await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    let (s, v) = org
        .call(
            Method::PUT,
            "/sobjects/Account/001000000000001AAA",
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")
    );
    let (s, v) = org.get("/nothing/here").await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND"));

    // The sf CLI reads Username from the user record.
    let (s, u) = org
        .get(&format!("/sobjects/User/{}", org.emu.user_id()))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["Username"], org.emu.credentials().username.as_str());
}

#[tokio::test]
async fn relationship_references_by_external_id() {
    let org = start().await;
    let acc = org
        .create("Account", json!({"Name": "Parent", "ExtId__c": "P1"}))
        .await;
    let c = org
        .create(
            "Contact",
            json!({"LastName": "Kid", "Account": {"ExtId__c": "P1"}}),
        )
        .await;
    let (_, rec) = org.get(&format!("/sobjects/Contact/{c}")).await;
    assert_eq!(rec["AccountId"], acc.as_str());
    let (s, v) = org
        .post(
            "/sobjects/Contact",
            json!({"LastName": "Orphan", "Account": {"ExtId__c": "nope"}}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "INVALID_FIELD"));
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("Foreign key external ID: nope not found")
    );
    let w = org
        .create(
            "Widget__c",
            json!({"Name": "W", "Account__r": {"ExtId__c": "P1"}}),
        )
        .await;
    assert!(w.starts_with("a00"));
    let rows = org
        .emu
        .query("SELECT Name, Account__r.ExtId__c FROM Widget__c")
        .unwrap();
    assert_eq!(rows[0]["Account__r"]["ExtId__c"], "P1");
}

/// Retired versions (7.0 to 30.0) are 410 GONE, not served as current ones; Bulk API 2.0 starts
/// at v41.0, sObject Collections at v42.0 and their upsert at v46.0.
#[tokio::test]
async fn retired_versions_are_gone_and_newer_resources_start_at_their_version() {
    let org = start().await;
    let at =
        |version: &str, method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
            let org = &org;
            let url = org.url(&format!("/services/data/v{version}{path}"));
            async move {
                let mut rb = org.http.request(method, url).bearer_auth(&org.token);
                if let Some(b) = body {
                    rb = rb.json(&b);
                }
                let resp = rb.send().await.unwrap();
                let status = resp.status();
                (
                    status,
                    resp.json::<serde_json::Value>().await.unwrap_or_default(),
                )
            }
        };
    for v in ["21.0", "30.0", "7.0"] {
        let (s, body) = at(v, reqwest::Method::GET, "/limits", None).await;
        assert_eq!(
            (s, body),
            (
                StatusCode::GONE,
                json!([{"message": format!("API version v{v} is retired and no longer available"), "errorCode": "GONE", "fields": []}])
            )
        );
    }
    let (s, _) = at("31.0", reqwest::Method::GET, "/limits", None).await;
    assert_eq!(s, StatusCode::OK);
    let job = json!({"object": "Account", "operation": "insert"});
    let (s, _) = at(
        "40.0",
        reqwest::Method::POST,
        "/jobs/ingest",
        Some(job.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = at("41.0", reqwest::Method::POST, "/jobs/ingest", Some(job)).await;
    assert_eq!(s, StatusCode::OK);
    let records =
        json!({"records": [{"attributes": {"type": "Account"}, "Name": "x", "ExtId__c": "V1"}]});
    let (s, _) = at(
        "41.0",
        reqwest::Method::POST,
        "/composite/sobjects",
        Some(records.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = at(
        "42.0",
        reqwest::Method::POST,
        "/composite/sobjects",
        Some(records.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let upsert = "/composite/sobjects/Account/ExtId__c";
    let (s, _) = at(
        "45.0",
        reqwest::Method::PATCH,
        upsert,
        Some(records.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = at("46.0", reqwest::Method::PATCH, upsert, Some(records)).await;
    assert_eq!((s, &v[0]["created"]), (StatusCode::OK, &json!(false)));
}

/// `?fields=` limits a GET by external id as it does a GET by Id.
#[tokio::test]
async fn get_by_external_id_honours_fields() {
    let org = start().await;
    let id = org
        .create(
            "Account",
            json!({"Name": "Acme", "ExtId__c": "E1", "NumberOfEmployees": 5}),
        )
        .await;
    let (s, by_ext) = org
        .get("/sobjects/Account/ExtId__c/E1?fields=Name,NumberOfEmployees")
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, by_id) = org
        .get(&format!(
            "/sobjects/Account/{id}?fields=Name,NumberOfEmployees"
        ))
        .await;
    assert_eq!(by_ext, by_id);
    assert_eq!(
        (
            &by_ext["Name"],
            &by_ext["NumberOfEmployees"],
            by_ext.get("ExtId__c")
        ),
        (&json!("Acme"), &json!(5), None)
    );
}

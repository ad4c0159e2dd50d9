//! Validation errors as Salesforce gives them: code, status and fields.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{code, start};

#[tokio::test]
async fn each_validation_error() {
    let org = start().await;
    let bad = |body: serde_json::Value| {
        let org = &org;
        async move { org.post("/sobjects/Account", body).await }
    };

    let (s, v) = bad(json!({"Industry": "Banking"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!([{"errorCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]", "fields": ["Name"]}])
    );
    let (s, v) = org
        .post("/sobjects/Opportunity", json!({"Name": "O"}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "REQUIRED_FIELD_MISSING")
    );
    assert_eq!(v[0]["fields"], json!(["StageName", "CloseDate"]));

    let (_, v) = bad(json!({"Name": "x", "Foo__c": 1})).await;
    assert_eq!(code(&v), "INVALID_FIELD");
    assert_eq!(
        v[0]["message"],
        "No such column 'Foo__c' on sobject of type Account"
    );

    let (_, v) = bad(json!({"Name": "x", "CreatedDate": "2024-01-01T00:00:00Z"})).await;
    assert_eq!(code(&v), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(v[0]["fields"], json!(["CreatedDate"]));

    let (_, v) = bad(json!({"Name": "x".repeat(256)})).await;
    assert_eq!(code(&v), "STRING_TOO_LONG");
    assert_eq!(v[0]["fields"], json!(["Name"]));
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("(max length=255)")
    );

    let (_, v) = bad(json!({"Name": "x", "NumberOfEmployees": "many"})).await;
    assert_eq!(code(&v), "JSON_PARSER_ERROR");
    let (_, v) = bad(json!({"Name": "x", "Since__c": "2024-02-30"})).await;
    assert_eq!(code(&v), "JSON_PARSER_ERROR");
    let (_, v) = bad(json!({"Name": "x", "Active__c": "yes"})).await;
    assert_eq!(code(&v), "JSON_PARSER_ERROR");
    let (_, v) = bad(json!({"Name": "x", "Score__c": 12345.5})).await;
    assert_eq!(code(&v), "NUMBER_OUTSIDE_VALID_RANGE");

    let (_, v) = bad(json!({"Name": "x", "Tier__c": "Bronze"})).await;
    assert_eq!(code(&v), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(v[0]["fields"], json!(["Tier__c"]));

    let (_, v) = bad(json!({"Name": "x", "ParentId": "not-an-id"})).await;
    assert_eq!(code(&v), "MALFORMED_ID");
    let contact_id = sfmap::schema::sfid::make("003", "0E", 5);
    let (_, v) = bad(json!({"Name": "x", "ParentId": contact_id})).await;
    assert_eq!(code(&v), "MALFORMED_ID");
    let missing = sfmap::schema::sfid::make("001", "0E", 77_777);
    let (_, v) = bad(json!({"Name": "x", "ParentId": missing})).await;
    assert_eq!(code(&v), "INVALID_CROSS_REFERENCE_KEY");

    let resp = org
        .http
        .post(org.url("/services/data/v60.0/sobjects/Account"))
        .bearer_auth(&org.token)
        .header("content-type", "application/json")
        .body("{\"Name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(code(&v), "JSON_PARSER_ERROR");

    // Typed values are coerced and stored as Salesforce returns them.
    let id = org
        .create(
            "Account",
            json!({"Name": "ok", "NumberOfEmployees": "42", "Active__c": "true", "Since__c": "2024-02-29", "Score__c": "12.5", "Tier__c": "Gold"}),
        )
        .await;
    let (_, rec) = org.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(rec["NumberOfEmployees"], 42);
    assert_eq!(rec["Active__c"], true);
    assert_eq!(rec["Since__c"], "2024-02-29");
    assert_eq!(rec["Score__c"], 12.5);
    // Nothing was written by the failed calls.
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 1);
}

#[tokio::test]
async fn duplicate_values_on_unique_external_ids() {
    let org = start().await;
    let first = org
        .create("Account", json!({"Name": "a", "ExtId__c": "K1"}))
        .await;
    let (s, v) = org
        .post("/sobjects/Account", json!({"Name": "b", "ExtId__c": "k1"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "DUPLICATE_VALUE"));
    assert!(v[0]["message"].as_str().unwrap().ends_with(&first));
    let second = org
        .create("Account", json!({"Name": "b", "ExtId__c": "K2"}))
        .await;
    let (_, v) = org
        .patch(
            &format!("/sobjects/Account/{second}"),
            json!({"ExtId__c": "K1"}),
        )
        .await;
    assert_eq!(code(&v), "DUPLICATE_VALUE");
    // Deleting frees the value.
    org.delete(&format!("/sobjects/Account/{first}")).await;
    let (s, _) = org
        .patch(
            &format!("/sobjects/Account/{second}"),
            json!({"ExtId__c": "K1"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Setting a required field to null on update.
    let (_, v) = org
        .patch(
            &format!("/sobjects/Account/{second}"),
            json!({"Name": null}),
        )
        .await;
    assert_eq!(code(&v), "REQUIRED_FIELD_MISSING");
}

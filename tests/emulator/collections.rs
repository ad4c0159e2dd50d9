//! sObject Collections: create, update, upsert, delete, retrieve; 200-record cap; allOrNone.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::start;

fn acc(name: &str) -> Value {
    json!({"attributes": {"type": "Account"}, "Name": name})
}

#[tokio::test]
async fn create_update_upsert_delete() {
    let org = start().await;
    let (s, v) = org
        .post("/composite/sobjects", json!({"allOrNone": false, "records": [acc("A"), {"attributes": {"type": "Account"}}, acc("C")]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["success"], true);
    assert_eq!(
        v[1],
        json!({"id": null, "success": false, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]", "fields": ["Name"]}]})
    );
    assert_eq!(v[2]["success"], true);
    let a = v[0]["id"].as_str().unwrap().to_string();
    let c = v[2]["id"].as_str().unwrap().to_string();

    let (s, v) = org
        .patch("/composite/sobjects", json!({"records": [{"attributes": {"type": "Account"}, "Id": a, "Name": "A2"}, {"attributes": {"type": "Account"}, "Name": "no id"}]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(v[1]["errors"][0]["statusCode"], "MISSING_ARGUMENT");

    let (s, v) = org
        .patch(
            "/composite/sobjects/Account/ExtId__c",
            json!({"allOrNone": false, "records": [
                {"attributes": {"type": "Account"}, "ExtId__c": "U1", "Name": "Up 1"},
                {"attributes": {"type": "Account"}, "ExtId__c": "U1", "Name": "Up 1 again"},
                {"attributes": {"type": "Account"}, "Name": "no key"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["created"], true);
    assert_eq!(v[1]["created"], false);
    assert_eq!(v[0]["id"], v[1]["id"]);
    assert_eq!(v[2]["success"], false);
    let rows = org
        .emu
        .query("SELECT Name FROM Account WHERE ExtId__c = 'U1'")
        .unwrap();
    assert_eq!(rows[0]["Name"], "Up 1 again");

    let (s, v) = org
        .call(
            Method::GET,
            &format!("/composite/sobjects/Account?ids={a},{c}&fields=Id,Name"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["Name"], "A2");

    let (s, v) = org
        .delete(&format!("/composite/sobjects?ids={a},{c}&allOrNone=false"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 1);
}

#[tokio::test]
async fn all_or_none_rolls_back_and_200_is_the_cap() {
    let org = start().await;
    let (s, v) = org
        .post(
            "/composite/sobjects",
            json!({"allOrNone": true, "records": [acc("A"), acc(&"x".repeat(300)), acc("C")]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(v[1]["errors"][0]["statusCode"], "STRING_TOO_LONG");
    assert_eq!(
        v[2]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());

    let records: Vec<Value> = (0..201).map(|i| acc(&format!("N{i}"))).collect();
    let (s, v) = org
        .post("/composite/sobjects", json!({"records": records}))
        .await;
    let too_many = json!([{
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT",
        "fields": []
    }]);
    assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &too_many));
    let ids = vec!["001000000000000AAA"; 201].join(",");
    let (s, v) = org.delete(&format!("/composite/sobjects?ids={ids}")).await;
    assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &too_many));
    let records: Vec<Value> = (0..200).map(|i| acc(&format!("N{i}"))).collect();
    let (s, v) = org
        .post("/composite/sobjects", json!({"records": records}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 200);
    assert_eq!(org.emu.query("SELECT Id FROM Account").unwrap().len(), 200);
}

/// jsforce's `sobject.update([...])` names the key `id`; field names are case-insensitive, so
/// `id` and `ID` are the record's Id as `Id` is (and refused on a create as `Id` is).
#[tokio::test]
async fn update_accepts_the_id_key_in_any_case() {
    let org = start().await;
    let a = org.create("Account", json!({"Name": "A"})).await;
    let b = org.create("Account", json!({"Name": "B"})).await;
    let (s, v) = org
        .patch(
            "/composite/sobjects",
            json!({"allOrNone": true, "records": [
                {"attributes": {"type": "Account"}, "id": a, "Name": "A2"},
                {"attributes": {"type": "Account"}, "ID": b, "Name": "B2"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!([
            {"id": a, "success": true, "errors": []},
            {"id": b, "success": true, "errors": []}
        ])
    );
    let rows = org
        .emu
        .query("SELECT Name FROM Account ORDER BY Name")
        .unwrap();
    assert_eq!(
        (&rows[0]["Name"], &rows[1]["Name"]),
        (&json!("A2"), &json!("B2"))
    );
    let (s, v) = org
        .post(
            "/composite/sobjects",
            json!({"records": [{"attributes": {"type": "Account"}, "id": a, "Name": "again"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!([{"id": null, "success": false, "errors": [{"statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "message": "cannot specify Id in an insert call", "fields": ["Id"]}]}])
    );
}

/// Retrieving through Collections needs `fields` (and `ids`): Salesforce documents both as
/// required and does not default to all fields.
#[tokio::test]
async fn retrieve_requires_fields() {
    let org = start().await;
    let a = org.create("Account", json!({"Name": "A"})).await;
    let missing = |what: &str| json!([{"message": format!("The {what} parameter is required"), "errorCode": "MISSING_ARGUMENT", "fields": []}]);
    for path in [
        format!("/composite/sobjects/Account?ids={a}"),
        format!("/composite/sobjects/Account?ids={a}&fields="),
    ] {
        let (s, v) = org.get(&path).await;
        assert_eq!(
            (s, v),
            (StatusCode::BAD_REQUEST, missing("fields")),
            "{path}"
        );
    }
    let (s, v) = org
        .post("/composite/sobjects/Account", json!({"ids": [a]}))
        .await;
    assert_eq!((s, v), (StatusCode::BAD_REQUEST, missing("fields")));
    let (s, v) = org.get("/composite/sobjects/Account?fields=Name").await;
    assert_eq!((s, v), (StatusCode::BAD_REQUEST, missing("ids")));
    let (s, v) = org
        .get(&format!("/composite/sobjects/Account?ids={a}&fields=Name"))
        .await;
    assert_eq!((s, v[0]["Name"].as_str()), (StatusCode::OK, Some("A")));
}

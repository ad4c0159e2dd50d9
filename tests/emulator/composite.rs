//! `/composite`: references between subrequests, allOrNone, the 25-subrequest cap.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{V, code, start};

#[tokio::test]
async fn references_between_subrequests() {
    let org = start().await;
    let before = org.emu.request_count();
    let (s, v) = org
        .post(
            "/composite",
            json!({"allOrNone": true, "compositeRequest": [
                {"method": "POST", "url": format!("{V}/sobjects/Account"), "referenceId": "refAccount", "body": {"Name": "Sample Account"}},
                {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "refContact", "body": {"LastName": "Sample Contact", "AccountId": "@{refAccount.id}"}},
                {"method": "GET", "url": format!("{V}/sobjects/Contact/@{{refContact.id}}?fields=AccountId"), "referenceId": "read"},
                {"method": "GET", "url": format!("{V}/query?q=SELECT+Id+FROM+Account"), "referenceId": "q"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = v["compositeResponse"].as_array().unwrap();
    assert_eq!(r[0]["httpStatusCode"], 201);
    assert_eq!(r[0]["referenceId"], "refAccount");
    let acc = r[0]["body"]["id"].as_str().unwrap();
    assert_eq!(
        r[0]["httpHeaders"]["Location"],
        format!("{V}/sobjects/Account/{acc}")
    );
    assert_eq!(r[1]["httpStatusCode"], 201);
    assert_eq!(r[2]["body"]["AccountId"], acc);
    assert_eq!(r[3]["body"]["totalSize"], 1);
    // The whole call counts as one API request.
    assert_eq!(org.emu.request_count(), before + 1);
}

#[tokio::test]
async fn all_or_none_rolls_back_everything() {
    let org = start().await;
    let (_, v) = org
        .post(
            "/composite",
            json!({"allOrNone": true, "compositeRequest": [
                {"method": "POST", "url": format!("{V}/sobjects/Account"), "referenceId": "a", "body": {"Name": "Kept?"}},
                {"method": "POST", "url": format!("{V}/sobjects/Contact"), "referenceId": "c", "body": {"FirstName": "no last name"}},
                {"method": "POST", "url": format!("{V}/sobjects/Account"), "referenceId": "b", "body": {"Name": "After"}}
            ]}),
        )
        .await;
    let r = v["compositeResponse"].as_array().unwrap();
    assert_eq!(r[0]["httpStatusCode"], 400);
    assert_eq!(r[0]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert_eq!(r[1]["httpStatusCode"], 400);
    assert_eq!(r[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(r[2]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert!(org.emu.query("SELECT Id FROM Account").unwrap().is_empty());

    // Without allOrNone, successes stay and a dependent of a failure is halted.
    let (_, v) = org
        .post(
            "/composite",
            json!({"compositeRequest": [
                {"method": "POST", "url": format!("{V}/sobjects/Account"), "referenceId": "ok", "body": {"Name": "Stays"}},
                {"method": "POST", "url": format!("{V}/sobjects/Account"), "referenceId": "bad", "body": {}},
                {"method": "PATCH", "url": format!("{V}/sobjects/Account/@{{bad.id}}"), "referenceId": "dep", "body": {"Name": "x"}}
            ]}),
        )
        .await;
    let r = v["compositeResponse"].as_array().unwrap();
    assert_eq!(r[0]["httpStatusCode"], 201);
    assert_eq!(r[1]["httpStatusCode"], 400);
    assert_eq!(r[2]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert_eq!(
        org.emu.query("SELECT Name FROM Account").unwrap()[0]["Name"],
        "Stays"
    );

    let subs: Vec<Value> = (0..26)
        .map(|i| json!({"method": "GET", "url": format!("{V}/limits"), "referenceId": format!("r{i}")}))
        .collect();
    let (s, v) = org
        .post("/composite", json!({"compositeRequest": subs}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(!code(&v).is_empty());
}

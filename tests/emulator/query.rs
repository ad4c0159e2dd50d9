//! SOQL through `/query` and `/queryAll`: operators, literals, relationships, paging, errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{V, code, start};

fn names(v: &Value, field: &str) -> Vec<String> {
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_str().unwrap_or("<null>").to_string())
        .collect()
}

#[tokio::test]
async fn operators_literals_and_ordering() {
    let org = start().await;
    let acme = org.create("Account", json!({"Name": "Acme", "NumberOfEmployees": 10, "Since__c": "2020-01-01", "Active__c": true})).await;
    org.create(
        "Account",
        json!({"Name": "O'Brien & Co", "NumberOfEmployees": 50, "Since__c": "2022-06-01"}),
    )
    .await;
    org.create("Account", json!({"Name": "Zeta_1", "NumberOfEmployees": 5}))
        .await;
    org.create("Account", json!({"Name": "back\\slash"})).await;
    org.create("Contact", json!({"LastName": "Smith", "AccountId": acme}))
        .await;
    org.create("Contact", json!({"LastName": "Smyth"})).await;

    let q = |s: &'static str| {
        let org = &org;
        async move {
            let (st, v) = org.query(s).await;
            assert_eq!(st, StatusCode::OK, "{s}: {v}");
            v
        }
    };
    let v = q("SELECT Name FROM Account WHERE Name = 'acme'").await;
    assert_eq!(names(&v, "Name"), ["Acme"]);
    let v = q("SELECT Name FROM Account WHERE Name = 'O\\'Brien & Co'").await;
    assert_eq!(names(&v, "Name"), ["O'Brien & Co"]);
    let v = q("SELECT Name FROM Account WHERE Name = 'back\\\\slash'").await;
    assert_eq!(names(&v, "Name"), ["back\\slash"]);
    let v =
        q("SELECT Name FROM Account WHERE NumberOfEmployees >= 10 ORDER BY NumberOfEmployees DESC")
            .await;
    assert_eq!(names(&v, "Name"), ["O'Brien & Co", "Acme"]);
    let v = q("SELECT Name FROM Account WHERE NumberOfEmployees != 10 ORDER BY Name").await;
    assert_eq!(names(&v, "Name"), ["back\\slash", "O'Brien & Co", "Zeta_1"]);
    let v = q("SELECT Name FROM Account WHERE Name IN ('Acme', 'Zeta_1') ORDER BY Name DESC").await;
    assert_eq!(names(&v, "Name"), ["Zeta_1", "Acme"]);
    let v = q("SELECT Name FROM Account WHERE Name NOT IN ('Acme') AND NumberOfEmployees < 100 ORDER BY Name").await;
    assert_eq!(names(&v, "Name"), ["O'Brien & Co", "Zeta_1"]);
    let v = q("SELECT Name FROM Account WHERE Name LIKE 'zeta\\_%'").await;
    assert_eq!(names(&v, "Name"), ["Zeta_1"]);
    let v = q("SELECT Name FROM Account WHERE Since__c > 2021-01-01").await;
    assert_eq!(names(&v, "Name"), ["O'Brien & Co"]);
    let v =
        q("SELECT Name FROM Account WHERE CreatedDate > 2000-01-01T00:00:00Z AND Active__c = true")
            .await;
    assert_eq!(names(&v, "Name"), ["Acme"]);
    let v = q("SELECT Name FROM Account WHERE (Name = 'Acme' OR Name = 'Zeta_1') AND NOT NumberOfEmployees = 5").await;
    assert_eq!(names(&v, "Name"), ["Acme"]);
    let v = q(
        "SELECT Name FROM Account WHERE Since__c = null ORDER BY Name NULLS LAST LIMIT 1 OFFSET 1",
    )
    .await;
    assert_eq!(names(&v, "Name"), ["Zeta_1"]);
    let v = q("SELECT COUNT() FROM Account").await;
    assert_eq!(v, json!({"totalSize": 4, "done": true, "records": []}));
    let v = q("SELECT LastName, Account.Name FROM Contact ORDER BY LastName").await;
    assert_eq!(v["records"][0]["Account"]["Name"], "Acme");
    assert_eq!(v["records"][0]["Account"]["attributes"]["type"], "Account");
    assert_eq!(v["records"][1]["Account"], Value::Null);
    let v = q("SELECT Id FROM Contact WHERE Account.Name = 'Acme'").await;
    assert_eq!(v["totalSize"], 1);
    let (_, v) = org
        .query(&format!(
            "SELECT Name FROM Account WHERE Id = '{}'",
            &acme[..15]
        ))
        .await;
    assert_eq!(names(&v, "Name"), ["Acme"]);
}

#[tokio::test]
async fn errors_have_salesforce_codes() {
    let org = start().await;
    let (s, v) = org.query("SELECT Id FORM Account").await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "MALFORMED_QUERY"));
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("unexpected token: 'FORM'")
    );
    let (_, v) = org.query("SELECT Foo FROM Account").await;
    assert_eq!(code(&v), "INVALID_FIELD");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("ERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'")
    );
    let (_, v) = org.query("SELECT Id FROM Nope__c").await;
    assert_eq!(code(&v), "INVALID_TYPE");
    let (_, v) = org.query("SELECT Id FROM ScratchOrgInfo limit 1").await;
    assert_eq!(code(&v), "INVALID_TYPE");
    let (_, v) = org
        .query("SELECT Id FROM Account WHERE Description = 'x'")
        .await;
    assert_eq!(code(&v), "INVALID_FIELD");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("can not be filtered")
    );
    let (_, v) = org.query("SELECT Id FROM Account WHERE Name = 5").await;
    assert_eq!(code(&v), "INVALID_FIELD");
    let (_, v) = org
        .query("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
        .await;
    assert_eq!(code(&v), "MALFORMED_QUERY");
    let (_, v) = org
        .query("SELECT Id FROM Account WHERE Name = 'bad \\q'")
        .await;
    assert_eq!(code(&v), "MALFORMED_QUERY");
    let (_, v) = org.query("SELECT Id FROM Account WHERE Id = 'abc'").await;
    assert_eq!(code(&v), "INVALID_QUERY_FILTER_OPERATOR");
    let (_, v) = org.query("SELECT Nope.Name FROM Contact").await;
    assert_eq!(code(&v), "INVALID_FIELD");
    let (s, v) = org.get("/query/01g0E0000000099AAA-2000").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "INVALID_QUERY_LOCATOR")
    );
}

#[tokio::test]
async fn paging_with_next_records_url_and_query_all() {
    let org = start().await;
    for i in 0..450 {
        org.create(
            "Lead",
            json!({"LastName": format!("L{i:04}"), "Company": "C"}),
        )
        .await;
    }
    let resp = org
        .http
        .get(org.url(&format!("{V}/query/")))
        .query(&[("q", "SELECT LastName FROM Lead ORDER BY LastName")])
        .header("Sforce-Query-Options", "batchSize=200")
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    let mut page: Value = resp.json().await.unwrap();
    let mut all = Vec::new();
    loop {
        assert_eq!(page["totalSize"], 450);
        all.extend(names(&page, "LastName"));
        if page["done"] == true {
            assert!(page.get("nextRecordsUrl").is_none());
            break;
        }
        let next = page["nextRecordsUrl"].as_str().unwrap().to_string();
        assert!(next.starts_with(&format!("{V}/query/01g")));
        let (s, p) = org.get(next.trim_start_matches(V)).await;
        assert_eq!(s, StatusCode::OK);
        page = p;
    }
    assert_eq!(all.len(), 450);
    assert_eq!(all[0], "L0000");
    assert_eq!(all[449], "L0449");

    // queryAll sees deleted records, query does not.
    let id = org
        .emu
        .query("SELECT Id FROM Lead WHERE LastName = 'L0000'")
        .unwrap()[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    org.delete(&format!("/sobjects/Lead/{id}")).await;
    let (_, v) = org.query("SELECT COUNT() FROM Lead").await;
    assert_eq!(v["totalSize"], 449);
    let resp = org
        .http
        .get(org.url(&format!("{V}/queryAll")))
        .query(&[(
            "q",
            "SELECT Id, IsDeleted FROM Lead WHERE LastName = 'L0000'",
        )])
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["records"][0]["IsDeleted"], true);

    // The sf CLI's columns=true extension.
    let resp = org
        .http
        .get(org.url(&format!("{V}/query")))
        .query(&[("q", "SELECT Id, LastName FROM Lead"), ("columns", "true")])
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["columnMetadata"][1]["columnName"], "LastName");
    assert_eq!(v["entityName"], "Lead");
}

/// A hostile filter nested 10,000 levels deep (parentheses, or chained `NOT`s) used to overflow
/// the parser's stack and kill the emulator. It is refused with MALFORMED_QUERY, pointing at the
/// 201st level, and the org keeps serving.
#[tokio::test]
async fn absurd_nesting_is_malformed_and_the_org_survives() {
    let org = start().await;
    org.create("Account", json!({"Name": "x"})).await;
    for (open, close) in [("(", ")"), ("NOT ", "")] {
        let soql = format!(
            "SELECT Id FROM Account WHERE {}Name = 'x'{}",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let (s, v) = org.query(&soql).await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{}",
            &v.to_string()[..200.min(v.to_string().len())]
        );
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        assert_eq!(code(&v), "MALFORMED_QUERY");
        let col = "SELECT Id FROM Account WHERE ".len() + 200 * open.len() + 1;
        let message = v[0]["message"].as_str().unwrap();
        assert!(
            message.ends_with(&format!(
                "^\nERROR at Row:1:Column:{col}\nconditions cannot be nested more than 200 levels deep"
            )),
            "{}",
            &message[message.len() - 120..]
        );
    }
    // 200 levels are still a query.
    let soql = format!(
        "SELECT Name FROM Account WHERE {}Name = 'x'{}",
        "(".repeat(200),
        ")".repeat(200)
    );
    let (s, v) = org.query(&soql).await;
    assert_eq!((s, v["totalSize"].as_u64()), (StatusCode::OK, Some(1)));
    let (s, v) = org.query("SELECT Name FROM Account").await;
    assert_eq!(
        (s, v["records"][0]["Name"].as_str()),
        (StatusCode::OK, Some("x"))
    );
}

async fn raw_query(org: &crate::common::Org, soql: &str, batch: Option<&str>) -> String {
    let mut rb = org
        .http
        .get(org.url(&format!("{V}/query")))
        .query(&[("q", soql)])
        .bearer_auth(&org.token);
    if let Some(b) = batch {
        rb = rb.header("Sforce-Query-Options", b);
    }
    rb.send().await.unwrap().text().await.unwrap()
}

/// Query answers keep Salesforce's key order (clients that take columns from record keys
/// depend on it): `totalSize, done, nextRecordsUrl, records`, each record's `attributes`
/// first, then its fields in SELECT order, related records the same way.
#[tokio::test]
async fn answers_keep_salesforce_key_order() {
    let org = start().await;
    let acme = org.create("Account", json!({"Name": "Acme"})).await;
    let smith = org
        .create("Contact", json!({"LastName": "Smith", "AccountId": acme}))
        .await;
    let text = raw_query(
        &org,
        "SELECT lastname, Id, Account.Name, Account.Id, Email FROM Contact",
        None,
    )
    .await;
    let attrs = |t: &str, id: &str| format!(r#"{{"type":"{t}","url":"{V}/sobjects/{t}/{id}"}}"#);
    assert_eq!(
        text,
        format!(
            r#"{{"totalSize":1,"done":true,"records":[{{"attributes":{},"LastName":"Smith","Id":"{smith}","Account":{{"attributes":{},"Name":"Acme","Id":"{acme}"}},"Email":null}}]}}"#,
            attrs("Contact", &smith),
            attrs("Account", &acme)
        )
    );
    assert_eq!(
        raw_query(&org, "SELECT COUNT() FROM Contact", None).await,
        r#"{"totalSize":1,"done":true,"records":[]}"#
    );
    for i in 0..200 {
        org.create("Account", json!({"Name": format!("N{i}")}))
            .await;
    }
    let text = raw_query(&org, "SELECT Name FROM Account", Some("batchSize=200")).await;
    assert!(
        text.starts_with(&format!(
            r#"{{"totalSize":201,"done":false,"nextRecordsUrl":"{V}/query/"#
        )),
        "{}",
        &text[..120]
    );
    let next: Value = serde_json::from_str(&text).unwrap();
    let (_, page2) = org
        .get(
            next["nextRecordsUrl"]
                .as_str()
                .unwrap()
                .trim_start_matches(V),
        )
        .await;
    assert_eq!(page2["records"].as_array().unwrap().len(), 1);
    let resp = org
        .http
        .get(org.url(next["nextRecordsUrl"].as_str().unwrap()))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "a used locator is gone"
    );
}

/// Every page's record count, following `nextRecordsUrl` to the end.
async fn page_lengths(org: &crate::common::Org, soql: &str) -> (Vec<usize>, Vec<String>) {
    let (s, mut v) = org.query(soql).await;
    assert_eq!(s, StatusCode::OK);
    let mut lens = Vec::new();
    let mut names = Vec::new();
    loop {
        assert_eq!(v["totalSize"], 500);
        let records = v["records"].as_array().unwrap();
        lens.push(records.len());
        names.extend(
            records
                .iter()
                .map(|r| r["Name"].as_str().unwrap().to_string()),
        );
        if v["done"] == true {
            assert!(v.get("nextRecordsUrl").is_none());
            return (lens, names);
        }
        let next = v["nextRecordsUrl"]
            .as_str()
            .unwrap()
            .trim_start_matches(V)
            .to_string();
        (_, v) = org.get(&next).await;
    }
}

/// `short_pages` (`--short-pages SEED`) answers some pages with fewer records than the batch
/// size and `done: false`, as Salesforce may, the same way for the same seed; off by default.
#[tokio::test]
async fn short_pages_are_seeded_and_off_by_default() {
    let mut runs = Vec::new();
    for short_pages in [None, Some(7), Some(7)] {
        let org = crate::common::start_with(sfmap::emulate::EmulatorConfig {
            short_pages,
            ..sfmap::emulate::EmulatorConfig::default()
        })
        .await;
        let records: Vec<Value> = (0..500)
            .map(|i| json!({"attributes": {"type": "Account"}, "Name": format!("A{i:03}")}))
            .collect();
        for chunk in records.chunks(200) {
            let (s, _) = org
                .post("/composite/sobjects", json!({"records": chunk}))
                .await;
            assert_eq!(s, StatusCode::OK);
        }
        let (lens, names) = page_lengths(&org, "SELECT Name FROM Account ORDER BY Name").await;
        let expected: Vec<String> = (0..500).map(|i| format!("A{i:03}")).collect();
        assert_eq!(names, expected, "every record once, in order");
        runs.push(lens);
    }
    assert_eq!(runs[0], [500]);
    assert!(runs[1].len() > 1 && runs[1][0] < 500, "{:?}", runs[1]);
    assert!(runs[1].iter().all(|&n| (1..=2000).contains(&n)));
    assert_eq!(runs[1], runs[2], "the same seed pages the same way");
}

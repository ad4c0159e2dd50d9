//! Classic behaviour (`classic-settings.md` §3) through `eval` of the migrated mappings.

use serde_json::json;
use sfmap::schema::Schema;

use crate::support::{eval, file, ops, org_schema, run_builtin, run_org};

const A_EVENTS: &str = r#"{"type":"identify","messageId":"m1","userId":"u1","integrations":{"Salesforce":true},"traits":{"email":"ada@example.com","name":"Ada King Lovelace","company":{"id":"c1","name":"Acme"},"plan":"pro","testProp":3,"age":36,"createdAt":"2024-01-01","address":{"city":"London","postalCode":"N1"},"tags":["a"],"nothing":null,"odd key":"x"}}
{"type":"identify","messageId":"m2","userId":"u2","traits":{"email":"bo@example.com","name":"Bo Ng"}}
{"type":"identify","messageId":"m3","userId":"u3","integrations":{"Salesforce":false},"traits":{"email":"cy@example.com"}}
{"type":"identify","messageId":"m4","integrations":{"Salesforce":true},"traits":{"email":"cher@example.com","name":"Cher"}}
{"type":"identify","messageId":"m5","integrations":{"Salesforce":true},"traits":{"email":"dee@example.com","firstName":"Dee","last_name":"Dee-Smith","name":"Ignored Name","company":"Globex","zip":"75001","city":"Paris","position":"CTO","status":"Open"}}
{"type":"group","messageId":"m6","groupId":"g1","integrations":{"Salesforce":true},"traits":{"name":"Acme","employees":250,"industry":"Tech","plan":"gold","address":{"street":"1 Main St","city":"Springfield","postal_code":"12345"}}}
{"type":"group","messageId":"m7","groupId":"g2","traits":{"name":"NoOptIn"}}
{"type":"track","messageId":"m8","event":"Signed Up","integrations":{"Salesforce":true},"properties":{}}
"#;

#[test]
fn lead_name_split_na_custom_traits_and_gate() {
    let m = run_builtin(&["a-public-api-default.json"]);
    let out = eval(
        file(&m, "salesforce-prod-leads.sfmap"),
        &Schema::builtin(),
        A_EVENTS,
    );

    // m1: name split at the first space, company object, custom traits as __c.
    let lead = ops(&out, 1, "lead");
    assert_eq!(lead.len(), 1);
    assert_eq!(lead[0]["operation"], "upsert");
    assert_eq!(lead[0]["match"], json!({"Email": "ada@example.com"}));
    let f = &lead[0]["fields"];
    assert_eq!(f["FirstName"], "Ada");
    assert_eq!(f["LastName"], "King Lovelace");
    assert_eq!(f["Company"], "Acme");
    assert_eq!(f["City"], "London");
    assert_eq!(f["PostalCode"], "N1");
    assert_eq!(f["plan__c"], "pro");
    assert_eq!(f["testProp__c"], 3);
    // Excluded Segment-spec traits, objects, arrays, nulls, invalid names and read keys.
    for absent in [
        "age__c",
        "createdAt__c",
        "tags__c",
        "nothing__c",
        "address__c",
        "company__c",
        "email__c",
        "name__c",
        "Name",
    ] {
        assert!(f.get(absent).is_none(), "{absent} should not be sent: {f}");
    }

    // m2 (no integrations) and m3 (Salesforce: false): the opt-in gate stops them.
    assert!(ops(&out, 2, "lead").is_empty());
    assert!(ops(&out, 3, "lead").is_empty());

    // m4: a one-word name is all first name; LastName and Company fall back to "n/a".
    let f = &ops(&out, 4, "lead")[0]["fields"];
    assert_eq!(f["FirstName"], "Cher");
    assert_eq!(f["LastName"], "n/a");
    assert_eq!(f["Company"], "n/a");

    // m5: camelCase and snake_case traits beat the name split; zip and flat address; position.
    let f = &ops(&out, 5, "lead")[0]["fields"];
    assert_eq!(f["FirstName"], "Dee");
    assert_eq!(f["LastName"], "Dee-Smith");
    assert_eq!(f["Company"], "Globex");
    assert_eq!(f["PostalCode"], "75001");
    assert_eq!(f["City"], "Paris");
    assert_eq!(f["Title"], "CTO");
    assert!(f.get("Status").is_none() && f.get("status__c").is_none());

    // m6: group -> Account by AccountNumber = groupId, billing (default true), custom traits.
    let acc = ops(&out, 6, "account");
    assert_eq!(acc[0]["match"], json!({"AccountNumber": "g1"}));
    let f = &acc[0]["fields"];
    assert_eq!(f["Name"], "Acme");
    assert_eq!(f["AccountNumber"], "g1");
    assert_eq!(f["NumberOfEmployees"], 250);
    assert_eq!(f["BillingStreet"], "1 Main St");
    assert_eq!(f["BillingCity"], "Springfield");
    assert_eq!(f["BillingPostalCode"], "12345");
    assert!(f.get("ShippingCity").is_none());
    assert_eq!(f["plan__c"], "gold");
    assert!(f.get("industry__c").is_none() && f.get("Industry").is_none());

    // m7: no opt-in; m8: Classic did nothing with track events.
    assert!(ops(&out, 7, "account").is_empty());
    assert!(
        out.iter()
            .all(|v| v["line"] != 8 || v.get("fields").is_none())
    );
}

#[test]
fn always_enabled_lookup_and_both_addresses() {
    let m = run_org(&["b-settings-only-lookup-sandbox.json"]);
    let events = r#"{"type":"identify","messageId":"b1","traits":{"email":"e@x.com","customerId":"C-1","lastName":"Lee","vip":true}}
{"type":"identify","messageId":"b2","integrations":{"All":false},"traits":{"email":"e@x.com","customerId":"C-1"}}
{"type":"identify","messageId":"b3","integrations":{"All":false,"Salesforce":true},"traits":{"email":"e@x.com","customerId":"C-1"}}
{"type":"identify","messageId":"b4","integrations":{"Salesforce":false},"traits":{"email":"e@x.com","customerId":"C-1"}}
{"type":"group","messageId":"b5","groupId":"g9","traits":{"name":"Umbrella","street":"2 High St","city":"Leeds","zip":"LS1"}}
"#;
    let out = eval(
        file(&m, "b-settings-only-lookup-sandbox.sfmap"),
        &org_schema(),
        events,
    );
    // No opt-in needed; both lookup fields, joined with AND; the lookup value is written.
    let lead = ops(&out, 1, "lead");
    assert_eq!(
        lead[0]["match"],
        json!({"customerId__c": "C-1", "Email": "e@x.com"})
    );
    assert_eq!(lead[0]["fields"]["customerId__c"], "C-1");
    assert_eq!(lead[0]["fields"]["LastName"], "Lee");
    assert_eq!(lead[0]["fields"]["vip__c"], true);
    // Segment's usual integrations filter.
    assert!(ops(&out, 2, "lead").is_empty());
    assert_eq!(ops(&out, 3, "lead").len(), 1);
    assert!(ops(&out, 4, "lead").is_empty());
    // Billing and shipping.
    let f = &ops(&out, 5, "account")[0]["fields"];
    for (k, v) in [
        ("BillingStreet", "2 High St"),
        ("ShippingStreet", "2 High St"),
        ("BillingCity", "Leeds"),
        ("ShippingCity", "Leeds"),
        ("BillingPostalCode", "LS1"),
        ("ShippingPostalCode", "LS1"),
    ] {
        assert_eq!(f[k], v, "{k}");
    }
    let text = file(&m, "b-settings-only-lookup-sandbox.sfmap");
    assert!(
        text.contains("upsert match customerId__c = traits.customerId and Email = traits.email")
    );
}

#[test]
fn custom_actions_with_gate() {
    let m = run_org(&["c-config-api-custom-actions.json"]);
    let events = r#"{"type":"track","messageId":"c1","event":"Subscription Cancelled","timestamp":"2024-05-01T10:00:00Z","integrations":{"Salesforce":true},"properties":{"subscriptionRecordId":"a015g00000AbCdEAAV","seatRecordId":"a025g00000AbCdEAAV","reason":"too expensive"}}
{"type":"track","messageId":"c2","event":"Issue Submitted","integrations":{"Salesforce":true},"properties":{"priority":"High","email":"x@y.com","productName":"Widget"}}
{"type":"track","messageId":"c3","event":"Issue Submitted","properties":{"priority":"High"}}
{"type":"identify","messageId":"c4","userId":"u-7","integrations":{"Salesforce":true},"traits":{"email":"z@y.com"}}
"#;
    let out = eval(file(&m, "web-prod-salesforce.sfmap"), &org_schema(), events);
    let upd = ops(&out, 1, "subscription_cancelled_subscription_update");
    assert_eq!(upd[0]["operation"], "update");
    assert_eq!(upd[0]["match"], json!({"Id": "a015g00000AbCdEAAV"}));
    assert_eq!(upd[0]["fields"]["Cancel_Reason__c"], "too expensive");
    let del = ops(&out, 1, "subscription_cancelled_seat_delete");
    assert_eq!(del[0]["operation"], "delete");
    assert_eq!(del[0]["match"], json!({"Id": "a025g00000AbCdEAAV"}));
    let case = ops(&out, 2, "issue_submitted_case_create");
    assert_eq!(case[0]["operation"], "create");
    assert_eq!(
        case[0]["fields"],
        json!({"SuppliedEmail": "x@y.com", "Priority": "High", "Product__c": "Widget"})
    );
    // The opt-in gate applies to custom actions too.
    assert!(ops(&out, 3, "issue_submitted_case_create").is_empty());
    // The ambiguous lookup key `userId` falls back to the event's userId.
    let lead = ops(&out, 4, "lead");
    assert_eq!(lead[0]["match"], json!({"Segment_User_Id__c": "u-7"}));
}

#[test]
fn custom_upsert_and_delete_from_aliases() {
    let m = run_builtin(&["custom-actions.json"]);
    let text = file(&m, "custom-actions.sfmap");
    // Upsert Rules joined with AND; the rule values are written as fields.
    assert!(
        text.contains("upsert match Name = properties.orderId and StageName = properties.stage")
    );
    // Two paths to one field: the first present wins.
    assert!(text.contains("Amount    = coalesce(properties.total, properties.revenue)"));
    let events = r#"{"type":"track","messageId":"d1","event":"Account Closed","integrations":{"Salesforce":true},"properties":{"accountRecordId":"0015g00000AbCdEAAV","reason":"gone"}}
{"type":"track","messageId":"d2","event":"Order Completed","integrations":{"Salesforce":true},"properties":{"orderId":"O-1","stage":"Closed Won","closeDate":"2024-05-01","revenue":10}}
"#;
    let out = eval(text, &Schema::builtin(), events);
    let del = ops(&out, 1, "account_closed_account_delete");
    assert_eq!(del[0]["match"], json!({"Id": "0015g00000AbCdEAAV"}));
    assert_eq!(del[0]["fields"], json!({}));
    let up = ops(&out, 2, "order_completed_opportunity_upsert");
    assert_eq!(
        up[0]["match"],
        json!({"Name": "O-1", "StageName": "Closed Won"})
    );
    assert_eq!(up[0]["fields"]["Name"], "O-1");
    assert_eq!(up[0]["fields"]["Amount"], 10);
}

/// An export's own catalog (`metadata.options[].defaultValue`) gives the defaults of the keys
/// its settings lack, instead of the documented ones; a given value still wins, credentials
/// and unknown keys take nothing from it, and a key the catalog has no default for keeps the
/// documented one.
#[test]
fn the_exports_catalog_defaults_fill_missing_settings() {
    let m = run_builtin(&["catalog-defaults.json"]);
    let text = file(&m, "salesforce-catalog-defaults.sfmap");
    // billing defaults to false and shipping to true in this catalog (documented: the reverse).
    assert!(!text.contains("use classic.account.billing"), "{text}");
    assert!(text.contains("use classic.account.shipping"), "{text}");
    // alwaysEnabled defaults to true here: no opt-in gate on the mappings.
    assert!(!text.contains("integrations.Salesforce == true"), "{text}");
    let toml = file(&m, "sfmap.toml");
    // sandbox is given as false, which beats the catalog's true.
    assert!(toml.contains("login.salesforce.com"), "{toml}");
    let report = &m.report.to_human();
    assert!(
        report.contains("shipping: true: `use classic.account.shipping`"),
        "{report}"
    );
    assert!(
        report
            .contains("billing: missing, the export's catalog default false: no Billing* fields."),
        "{report}"
    );
    // version has no default in the catalog: the documented "2", with its assumption.
    assert!(
        report.contains("version: missing, default \"2\"")
            && report.contains("missing-settings-defaults"),
        "{report}"
    );
    assert!(!report.contains("someFutureSetting"), "{report}");
}

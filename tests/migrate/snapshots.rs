//! Snapshots of the generated files and reports.

use sfmap::migrate::{IdentifyDefault, Options};

use crate::support::{dump, run, run_builtin, run_org};

#[test]
fn example_a_public_api_default() {
    let m = run_builtin(&["a-public-api-default.json"]);
    assert!(m.report.complete);
    insta::assert_snapshot!("a-public-api-default", dump(&m));
}

#[test]
fn example_b_settings_builtin_schema() {
    // The lookup field customerId__c is not in the built-in schema: the Lead mapping is written
    // as a comment and reported as failed.
    let m = run_builtin(&["b-settings-only-lookup-sandbox.json"]);
    assert!(!m.report.complete);
    insta::assert_snapshot!("b-settings-builtin", dump(&m));
}

#[test]
fn example_b_settings_org_schema() {
    let m = run_org(&["b-settings-only-lookup-sandbox.json"]);
    assert!(m.report.complete);
    insta::assert_snapshot!("b-settings-org", dump(&m));
}

#[test]
fn example_c_config_api_builtin_schema() {
    let m = run_builtin(&["c-config-api-custom-actions.json"]);
    assert!(!m.report.complete);
    insta::assert_snapshot!("c-config-api-builtin", dump(&m));
}

#[test]
fn example_c_config_api_org_schema() {
    let m = run_org(&["c-config-api-custom-actions.json"]);
    // The Contact upsert maps no LastName, which Salesforce requires on create: it is generated
    // with warning W0006 (its updates are delivered, its creates fail), not left out.
    assert!(m.report.complete);
    let warned: Vec<(&str, &str)> = m.report.destinations[0]
        .check
        .warnings
        .iter()
        .map(|w| (w.code, w.mapping.as_str()))
        .collect();
    assert!(
        warned.contains(&("W0006", "identify_contact_upsert")),
        "{warned:?}"
    );
    insta::assert_snapshot!("c-config-api-org", dump(&m));
}

#[test]
fn example_c_identify_default_drop() {
    let m = run(
        &["c-config-api-custom-actions.json"],
        &crate::support::org_schema(),
        &Options {
            identify_default: IdentifyDefault::Drop,
            ..Options::default()
        },
    );
    assert!(
        !m.report.destinations[0]
            .mappings
            .contains(&"lead".to_string())
    );
    let sfmap = crate::support::file(&m, "web-prod-salesforce.sfmap");
    assert!(!sfmap.contains("mapping lead"));
}

#[test]
fn custom_actions() {
    let m = run_builtin(&["custom-actions.json"]);
    assert!(
        !m.report.complete,
        "update without Id and a page action fail"
    );
    insta::assert_snapshot!("custom-actions", dump(&m));
}

#[test]
fn defaults_no_lookup_fields() {
    let m = run_builtin(&["defaults-no-lookup.json"]);
    insta::assert_snapshot!("defaults-no-lookup", dump(&m));
}

#[test]
fn version_1_shipping_only() {
    let m = run_builtin(&["shipping-only-v1.json"]);
    assert_eq!(m.report.destinations[0].mappings, ["lead"]);
    insta::assert_snapshot!("shipping-only-v1", dump(&m));
}

#[test]
fn shipping_with_default_billing() {
    let m = run_builtin(&["shipping-billing-default.json"]);
    insta::assert_snapshot!("shipping-billing-default", dump(&m));
}

#[test]
fn list_export_and_several_inputs() {
    let m = run_builtin(&["list-two-destinations.json", "a-public-api-default.json"]);
    let names: Vec<&str> = m.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "salesforce-eu.sfmap",
            "salesforce-us.sfmap",
            "salesforce-prod-leads.sfmap",
            "sfmap.toml",
            "migration-report.json"
        ]
    );
    insta::assert_snapshot!(
        "list-two-destinations-toml",
        crate::support::file(&m, "sfmap.toml")
    );
}

#[test]
fn destination_id_picks_one() {
    let m = run(
        &["list-two-destinations.json"],
        &sfmap::schema::Schema::builtin(),
        &Options {
            destination_id: Some("sf-us".into()),
            ..Options::default()
        },
    );
    assert_eq!(m.report.destinations.len(), 1);
    assert_eq!(m.report.destinations[0].id.as_deref(), Some("sf-us"));
}

#[test]
fn unknown_actions_shape_fails_that_setting_only() {
    let m = run_builtin(&["unknown-actions-shape.json"]);
    let d = &m.report.destinations[0];
    assert!(!d.complete);
    assert_eq!(d.mappings, ["lead", "account"]);
    let item = d.items.iter().find(|i| i.topic == "actions").unwrap();
    assert_eq!(item.status, sfmap::migrate::report::Status::Failed);
    assert!(item.detail.contains("`steps`"), "{}", item.detail);
    insta::assert_snapshot!("unknown-actions-shape", m.report.to_human());
}

//! Bad input: a clear error with its location, and nothing produced.

use sfmap::migrate::Options;
use sfmap::schema::Schema;

use crate::support::try_migrate;

fn error(name: &str) -> String {
    try_migrate(&[name], &Schema::builtin(), &Options::default())
        .expect_err("bad input is refused")
        .to_string()
}

#[test]
fn malformed_json_has_line_and_column() {
    let e = error("bad/malformed.json");
    assert!(
        e.starts_with("bad/malformed.json: line 3, column 3: invalid JSON"),
        "{e}"
    );
}

#[test]
fn bad_input_messages() {
    let mut all = String::new();
    for name in [
        "bad/malformed.json",
        "bad/unknown-shape.json",
        "bad/actions-export.json",
        "bad/actions-settings.json",
        "bad/missing-destination.json",
        "bad/wrong-type.json",
        "bad/catalog-wrong-type.json",
    ] {
        all.push_str(&format!("{name}\n  {}\n", error(name)));
    }
    insta::assert_snapshot!("bad-input", all);
}

#[test]
fn actions_export_is_refused() {
    let e = error("bad/actions-export.json");
    assert!(
        e.contains("Salesforce (Actions)") && e.contains("actions-salesforce"),
        "{e}"
    );
}

#[test]
fn shape_errors_name_the_json_path_and_never_the_value() {
    let e = error("bad/wrong-type.json");
    assert!(
        e.contains("$.data.destination.settings.alwaysEnabled"),
        "{e}"
    );
    assert!(!e.contains("sometimes"), "{e}");
}

#[test]
fn unknown_destination_id() {
    let e = try_migrate(
        &["list-two-destinations.json"],
        &Schema::builtin(),
        &Options {
            destination_id: Some("nope".into()),
            ..Options::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing destination"), "{e}");
}

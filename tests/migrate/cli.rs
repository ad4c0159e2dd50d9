//! The `sfmap migrate` binary: exit codes, atomic output, overwrite protection, and secrets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::fixture_dir;

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sfmap-migrate-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn sfmap(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(fixture_dir())
        .arg("migrate")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read_to_string(&p).unwrap_or_default(),
                )
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn secrets_never_appear_in_any_output() {
    let secrets = [
        "EXAMPLEexample0123456789",
        "example-password-not-real",
        "TOKENinClearText0123456789",
    ];
    for format in ["human", "json"] {
        let out = out_dir(&format!("secrets-{format}"));
        let o = sfmap(
            &[
                "b-settings-only-lookup-sandbox.json",
                "defaults-no-lookup.json",
                "--format",
                format,
            ],
            &out,
        );
        let written = files_in(&out);
        assert_eq!(written.len(), 4, "{written:?}");
        let mut everything = String::from_utf8_lossy(&o.stdout).to_string();
        everything.push_str(&String::from_utf8_lossy(&o.stderr));
        for (_, text) in &written {
            everything.push_str(text);
        }
        assert!(
            everything.contains("clear text"),
            "the report warns about clear-text secrets"
        );
        for s in secrets {
            assert!(!everything.contains(s), "secret {s} leaked ({format})");
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    // Errors never echo values either.
    let out = out_dir("secret-error");
    let o = sfmap(&["bad/wrong-type.json"], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("SECRETtoken000000000000001"));
}

#[test]
fn complete_migration_exits_0_and_writes_three_files() {
    let out = out_dir("complete");
    let o = sfmap(&["a-public-api-default.json"], &out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let names: Vec<String> = files_in(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "migration-report.json",
            "salesforce-prod-leads.sfmap",
            "sfmap.toml"
        ]
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("sfmap login --profile salesforce-prod-leads"));
    // `sfmap check` on the output folder: no errors.
    let check = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .arg("check")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A second run refuses to overwrite, and writes nothing.
    let before = files_in(&out);
    let o = sfmap(
        &[
            "b-settings-only-lookup-sandbox.json",
            "a-public-api-default.json",
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(files_in(&out), before);
    // With --force it overwrites (and the incomplete migration exits 1).
    let o = sfmap(
        &[
            "b-settings-only-lookup-sandbox.json",
            "a-public-api-default.json",
            "--force",
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(files_in(&out).len(), 4);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn json_report_on_stdout_equals_the_written_report() {
    let out = out_dir("json");
    let o = sfmap(
        &["c-config-api-custom-actions.json", "--format", "json"],
        &out,
    );
    assert_eq!(o.status.code(), Some(1));
    let written = std::fs::read_to_string(out.join("migration-report.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), written);
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v["complete"], false);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    for bad in [
        "bad/malformed.json",
        "bad/unknown-shape.json",
        "bad/actions-export.json",
        "bad/missing-destination.json",
    ] {
        let out = out_dir("bad");
        // A good input first: still nothing may be written.
        let o = sfmap(&["a-public-api-default.json", bad], &out);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(bad) && stderr.contains("nothing was written"),
            "{stderr}"
        );
        assert!(!out.exists(), "{bad}: output folder created");
    }
}

#[test]
fn schema_option_is_named_in_the_toml() {
    let out = out_dir("schema");
    let o = sfmap(
        &[
            "c-config-api-custom-actions.json",
            "--schema",
            "org-schema.json",
        ],
        &out,
    );
    // Complete: with the org's schema every mapping is generated (the Contact upsert without
    // LastName with warning W0006).
    assert_eq!(o.status.code(), Some(0));
    let toml = std::fs::read_to_string(out.join("sfmap.toml")).unwrap();
    assert!(toml.contains("schema = "), "{toml}");
    // `check` on the folder finds the schema through sfmap.toml: no errors.
    let check = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .arg("check")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _ = std::fs::remove_dir_all(&out);
}

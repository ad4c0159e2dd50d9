//! Every diagnostic code: a failing fixture, a snapshot of its rendering, and a docs page.

use std::collections::BTreeSet;

use sfmap::diag::Code;

use crate::support::{files, header, load_file, render, root};

#[test]
fn failing_fixtures_report_their_code() {
    let fixtures = files("tests/fixtures/check/fail", "sfmap");
    assert!(!fixtures.is_empty());
    for path in fixtures {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = header(&text, "expect").expect("fixture has `# expect: CODE`");
        let loaded = load_file(&path);
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{}: expected {expected}, got {codes:?}\n{}",
            path.display(),
            render(&loaded)
        );
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("diagnostic", render(&loaded));
        });
    }
}

#[test]
fn diagnostics_as_json_carry_code_and_span() {
    let path = root().join("tests/fixtures/check/fail/E0402-lead-without-company.sfmap");
    let loaded = load_file(&path);
    insta::assert_json_snapshot!("E0402_json", loaded.diagnostics);
}

#[test]
fn every_code_has_a_fixture_and_a_docs_page() {
    let covered: BTreeSet<String> = files("tests/fixtures/check/fail", "sfmap")
        .iter()
        .filter_map(|p| header(&std::fs::read_to_string(p).unwrap(), "expect"))
        .collect();
    for code in Code::ALL {
        let page = root().join(format!("docs/errors/{code}.md"));
        assert!(
            page.is_file(),
            "{code} has no docs page at {}",
            page.display()
        );
        let text = std::fs::read_to_string(&page).unwrap();
        assert!(
            text.contains(code.as_str()),
            "{code}: page does not name the code"
        );
        assert!(
            covered.contains(code.as_str()),
            "{code} has no failing fixture"
        );
    }
}

#[test]
fn valid_fixtures_and_examples_check_clean() {
    let mut all = files("tests/fixtures/check/ok", "sfmap");
    all.extend(files("examples", "sfmap"));
    for path in all {
        let loaded = load_file(&path);
        assert!(
            loaded.diagnostics.is_empty(),
            "{} is not clean:\n{}",
            path.display(),
            render(&loaded)
        );
    }
}

#[test]
fn plans_of_examples() {
    for path in files("examples", "sfmap") {
        let loaded = load_file(&path);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!("plan", loaded.compiled.plan);
        });
    }
}

#[test]
fn a_mapping_without_clauses_says_which_are_missing() {
    let schema = sfmap::schema::Schema::builtin();
    let loaded = sfmap::load::load_text("t.sfmap", "mapping m {}\n".to_string(), &schema);
    let messages: Vec<(&str, &str, Option<&str>)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                "E0106",
                "mapping `m` has no `on` trigger",
                Some("add an `on` trigger, e.g. `on identify`")
            ),
            (
                "E0106",
                "mapping `m` has no `object` clause",
                Some("add an `object` clause, e.g. `object Lead`")
            ),
            (
                "E0106",
                "mapping `m` has no operation",
                Some("add an operation: `create`, `add`, `update`, `upsert` or `delete`")
            ),
        ]
    );
}

/// A diagnostic far into a long line: `check` and `fmt --check` report it (miette alone
/// panics past 65,535 columns) with the line and column of the original, showing the part of
/// the line around it.
#[test]
fn a_diagnostic_past_column_65535_is_reported_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("sfmap-long-line-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.sfmap");
    let line = format!("mapping m {{{}@", " ".repeat(70_000));
    assert_eq!(line.len(), 70_012);
    std::fs::write(&file, format!("{line}\n}}\n")).unwrap();
    for args in [&["check"][..], &["fmt", "--check"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sfmap"))
            .args(args)
            .arg(&file)
            .env("COLUMNS", "100")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
        assert!(
            text.contains("× expected a clause or `}`, found `@`"),
            "{args:?}: {text}"
        );
        assert!(text.contains("long.sfmap:1:70012]"), "{args:?}: {text}");
        // The line is shown cut: the `@` and a few columns before it, not 70,000 spaces.
        let shown = text.lines().find(|l| l.contains("│ …")).unwrap();
        assert_eq!(shown.trim_end(), format!(" 1 │ …{}@", " ".repeat(40)));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// W0007 exactly when the records a `create` or `add` inserts get no field at all: no field,
/// preset or spread, and (for `add`) no matcher value copied into the insert.
#[test]
fn a_create_that_writes_no_field_is_warned() {
    let schema = sfmap::schema::Schema::builtin();
    let cases = [
        ("create", "", true),
        ("create", "fields { }", true),
        ("create", "fields { Subject = properties.subject }", false),
        ("create", "fields { ...properties suffix \"__c\" }", false),
        ("add match SuppliedEmail = properties.email", "", false),
        (
            "add match SuppliedEmail = properties.email and Subject = properties.subject",
            "",
            false,
        ),
        (
            "add match SuppliedEmail = properties.email or Subject = properties.subject",
            "",
            true,
        ),
        (
            "upsert match SuppliedEmail = properties.email or Subject = properties.subject",
            "",
            false,
        ),
        ("update match Subject = properties.subject", "", false),
    ];
    for (op, fields, warned) in cases {
        let src = format!(
            "mapping m {{\n  on page where properties.email exists and properties.subject exists\n  object Case\n  {op}\n  {fields}\n}}\n"
        );
        let loaded = sfmap::load::load_text("t.sfmap", src.clone(), &schema);
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.as_str()).collect();
        let expected: &[&str] = if warned { &["W0007"] } else { &[] };
        assert_eq!(codes, expected, "{src}");
    }
    // The message says what is inserted.
    let src = "mapping m { on page object Case create }".to_string();
    let loaded = sfmap::load::load_text("t.sfmap", src, &schema);
    assert_eq!(
        loaded.diagnostics[0].message,
        "create writes no field: every `Case` it inserts is blank"
    );
}

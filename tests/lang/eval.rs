//! `eval`: each case under tests/fixtures/eval/<case>/ has mapping.sfmap and events.jsonl; the
//! JSONL output (with --explain) is snapshotted.

use sfmap::cli::eval::eval_stream;

use crate::support::{load_file, render, root};

#[test]
fn eval_cases() {
    let dir = root().join("tests/fixtures/eval");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let loaded = load_file(&case.join("mapping.sfmap"));
        assert!(
            !loaded
                .diagnostics
                .iter()
                .any(sfmap::diag::Diagnostic::is_error),
            "{}",
            render(&loaded)
        );
        let events = std::fs::read(case.join("events.jsonl")).unwrap();
        let mut out = Vec::new();
        eval_stream(&loaded.compiled.plan, &events[..], &mut out, true).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("eval", String::from_utf8(out).unwrap());
        });
    }
}

//! The ledger belongs to one org: a run against another org delivers everything again, and
//! `run` says where it delivers before the first write.

use std::process::Command;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_local(dir: &std::path::Path, ledger: &std::path::Path) -> (String, Vec<serde_json::Value>) {
    let report = dir.join("report.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--events",
            root().join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args(["--org", "local", "--ledger", ledger.to_str().unwrap()])
        .args(["--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let lines = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (stderr, lines)
}

fn org_of(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("delivering to http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no destination line:\n{stderr}"));
    let org = line
        .split(" · org ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(org.starts_with("00D") && org.len() == 18, "{line}");
    assert!(line.ends_with(" · --org local"), "{line}");
    org.to_string()
}

#[test]
fn a_second_org_gets_every_event_again() {
    let dir = std::env::temp_dir().join(format!("sfmap-org-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let (first_err, first) = run_local(&dir, &ledger);
    // Each `--org local` is a new org, with an Id of its own.
    let (second_err, second) = run_local(&dir, &ledger);
    assert_ne!(org_of(&first_err), org_of(&second_err));
    let created =
        |lines: &[serde_json::Value]| lines.iter().filter(|l| l["outcome"] == "created").count();
    assert!(created(&first) > 0, "{first:?}");
    assert_eq!(created(&second), created(&first), "{second:?}");
    assert!(
        !second
            .iter()
            .any(|l| l["error_message"] == "already delivered"),
        "{second:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn each_emulated_org_has_its_own_id_kept_in_its_state_file() {
    use sfmap::emulate::{Emulator, EmulatorConfig};
    let dir = std::env::temp_dir().join(format!("sfmap-org-ids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let start = |state: &str| {
        let path = dir.join(state);
        async move {
            Emulator::start(EmulatorConfig {
                state: Some(path),
                ..EmulatorConfig::default()
            })
            .await
            .unwrap()
        }
    };
    for f in ["a.sqlite", "b.sqlite"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let a = start("a.sqlite").await;
    let a_id = a.org_id().to_string();
    a.shutdown().await;
    let b = start("b.sqlite").await;
    assert_ne!(b.org_id(), a_id, "two state files are two orgs");
    b.shutdown().await;
    let again = start("a.sqlite").await;
    assert_eq!(again.org_id(), a_id, "a state file keeps its org");
    again.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}

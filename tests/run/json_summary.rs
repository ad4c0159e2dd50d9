//! `run --format json`: one JSON object on stdout, its shape stable (docs/cli.md).

use std::process::Command;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_json_summary_has_the_documented_shape() {
    let dir = std::env::temp_dir().join(format!("sfmap-json-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--events",
            root().join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args(["--org", "local", "--format", "json"])
        .args(["--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "one line on stdout: {stdout}\n{stderr}"
    );
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // In the text, the keys come in the documented order.
    let mut keys: Vec<(usize, &str)> = j
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (stdout.find(&format!("\"{k}\":")).unwrap(), k.as_str()))
        .collect();
    keys.sort();
    let keys: Vec<&str> = keys.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        keys,
        [
            "status",
            "exit_code",
            "dry_run",
            "events",
            "outcomes",
            "already_delivered",
            "api_calls",
            "api_calls_per_1000_events",
            "daily_limit",
            "org",
            "duration_ms",
            "files",
            "message",
            "resume"
        ]
    );
    assert_eq!(j["status"], "ok", "{stderr}");
    assert_eq!(j["exit_code"], 0);
    assert_eq!(out.status.code(), Some(0));
    let outcomes = j["outcomes"].as_object().unwrap();
    assert_eq!(
        outcomes.keys().map(String::as_str).collect::<Vec<_>>(),
        sfmap::outcome::Outcome::ALL
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
    );
    let reported = std::fs::read_to_string(&report).unwrap().lines().count() as u64;
    let counted: u64 = outcomes.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(counted, reported);
    assert_eq!(j["events"].as_u64(), Some(reported));
    assert!(j["org"]["id"].as_str().unwrap().starts_with("00D"));
    assert_eq!(j["org"]["source"], "--org local");
    assert!(j["daily_limit"]["left"].as_u64().unwrap() > 0);
    assert_eq!(j["files"]["report"], report.to_str().unwrap());
    assert!(j["message"].is_null() && j["resume"].is_null());
    std::fs::remove_dir_all(&dir).ok();
}

/// A run the API budget stops still reports what it did, and how to resume.
#[test]
fn a_budget_stop_reports_its_counts_and_the_resume_command() {
    let dir = std::env::temp_dir().join(format!("sfmap-json-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--events",
            root().join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args(["--org", "local", "--format", "json", "--flush-size", "2"])
        .args(["--max-api-calls", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["status"], "stopped", "{j}");
    assert!(j["events"].as_u64().unwrap() > 0, "{j}");
    assert!(j["api_calls"].as_u64().unwrap() >= 1, "{j}");
    assert!(j["message"].as_str().unwrap().contains("API budget"), "{j}");
    assert!(
        j["resume"].as_str().unwrap().contains("--max-api-calls 1"),
        "{j}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

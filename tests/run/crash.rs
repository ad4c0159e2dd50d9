//! Crash and resume: `sfmap run` killed with SIGKILL at random points, then run again with the
//! same ledger, delivers every event exactly once.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use sfmap::emulate::EmulatorConfig;

use crate::support::{identify, org, records};

const MAPPING: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = coalesce(traits.last_name, "Unknown")
    Company  = "C"
  }
}

mapping note {
  on track("Noted")
  object Task
  create
  fields {
    Subject = properties.subject
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_resume_without_loss_or_duplicates() {
    let dir = std::env::temp_dir().join(format!("sfmap-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = dir.join("m.sfmap");
    std::fs::write(&mapping, MAPPING).unwrap();
    // A fixed pseudo-random sequence of kill points, so failures reproduce.
    let mut seed: u64 = 0x5f3c_9d2a_77e1_4b05;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for trial in 0..20 {
        let emu = org(EmulatorConfig {
            latency: Some("2ms".parse().unwrap()),
            ..EmulatorConfig::default()
        })
        .await;
        let events = dir.join(format!("events-{trial}.jsonl"));
        let mut text = String::new();
        for i in 0..300 {
            let e = if i % 3 == 2 {
                json!({"type": "track", "event": "Noted", "messageId": format!("t{i}"),
                       "properties": {"subject": format!("note {i}")}})
            } else {
                identify(
                    i,
                    &format!("c{}@x.com", i % 250),
                    json!({"last_name": format!("L{i}")}),
                )
            };
            text.push_str(&e.to_string());
            text.push('\n');
        }
        std::fs::write(&events, text).unwrap();
        let ledger = dir.join(format!("ledger-{trial}.sqlite"));
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_sfmap"))
                .args([
                    "run",
                    mapping.to_str().unwrap(),
                    "--events",
                    events.to_str().unwrap(),
                ])
                .args(["--ledger", ledger.to_str().unwrap(), "--flush-size", "40"])
                .env("SFMAP_INSTANCE_URL", emu.base_url())
                .env("SFMAP_EMULATOR", "1")
                .env("SFMAP_ACCESS_TOKEN", &emu.credentials().access_token)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let mut child = run();
        let wait_ms = 30 + next() % 400;
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let out = run().wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "trial {trial}: resumed run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let leads = records(&emu, "Lead", &["Email"], "Email");
        let mut emails: Vec<&str> = leads.iter().map(|r| r["Email"].as_str().unwrap()).collect();
        emails.dedup();
        assert_eq!(emails.len(), leads.len(), "trial {trial}: duplicate Leads");
        let expected = (0..300)
            .filter(|i| i % 3 != 2)
            .map(|i| i % 250)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert_eq!(leads.len(), expected, "trial {trial}: Leads missing");
        let tasks = records(&emu, "Task", &["Subject"], "Subject");
        let mut subjects: Vec<&str> = tasks
            .iter()
            .map(|r| r["Subject"].as_str().unwrap())
            .collect();
        subjects.dedup();
        assert_eq!(
            subjects.len(),
            tasks.len(),
            "trial {trial}: duplicate Tasks (killed after {wait_ms} ms)"
        );
        assert_eq!(tasks.len(), 100, "trial {trial}: Tasks missing");
        emu.shutdown().await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run killed while its Bulk API job is in flight: the job id is in the ledger, so the next
/// run polls that job and records its rows instead of uploading them again (an insert job
/// uploaded twice would duplicate every record).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_during_a_bulk_job_resumes_the_job() {
    let dir = std::env::temp_dir().join(format!("sfmap-crash-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = dir.join("m.sfmap");
    std::fs::write(
        &mapping,
        r#"
mapping note {
  on track("Noted")
  object Task
  create
  fields { Subject = properties.subject }
  bulk { batch_size = 10000 }
}
"#,
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let text: String = (0..500)
        .map(|i| {
            format!(
                "{}\n",
                json!({"type": "track", "event": "Noted", "messageId": format!("t{i}"),
                       "properties": {"subject": format!("note {i}")}})
            )
        })
        .collect();
    std::fs::write(&events, text).unwrap();
    let emu = org(EmulatorConfig {
        latency: Some("40ms".parse().unwrap()),
        ..EmulatorConfig::default()
    })
    .await;
    let ledger = dir.join("ledger.sqlite");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_sfmap"))
            .args([
                "run",
                mapping.to_str().unwrap(),
                "--events",
                events.to_str().unwrap(),
            ])
            .args(["--ledger", ledger.to_str().unwrap()])
            .env("SFMAP_INSTANCE_URL", emu.base_url())
            .env("SFMAP_EMULATOR", "1")
            .env("SFMAP_ACCESS_TOKEN", &emu.credentials().access_token)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let is_close =
        |r: &sfmap::emulate::LoggedRequest| r.method == "PATCH" && r.path.contains("/jobs/ingest/");
    let mut child = run();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !emu.requests().iter().any(is_close) {
        assert!(
            std::time::Instant::now() < deadline,
            "the job was never closed"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = child.kill(); // SIGKILL, while the client polls the job
    let _ = child.wait();
    let results_before = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/successfulResults"))
        .count();
    assert_eq!(results_before, 0, "killed before the results were read");

    let out = run().wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "resumed run failed: {stderr}");
    assert!(
        stderr.contains("500 already delivered by an earlier run"),
        "{stderr}"
    );
    let jobs_created = emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.trim_end_matches('/').ends_with("/jobs/ingest"))
        .count();
    assert_eq!(jobs_created, 1, "the resumed run uploads nothing again");
    let tasks = records(&emu, "Task", &["Subject"], "Subject");
    assert_eq!(tasks.len(), 500, "every row once");
    emu.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The events file as users hand it over: a byte order mark at its start, numbers beyond a
//! double's range in parts no mapping reads. Neither loses an event; a number the plan reads
//! and cannot hold fails that event alone.

use std::process::Command;

use serde_json::Value;
use sfmap::emulate::EmulatorConfig;
use sfmap::outcome::Outcome;
use sfmap::run::executor::{Executor, Options, Summary};
use sfmap::run::ledger::Ledger;
use sfmap::run::stream;

use crate::support::{client, org, plan, records};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const LEADS: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName  = coalesce(traits.last_name, "Unknown")
    Company   = "Acme"
    Rating__c = traits.rating
  }
}
"#;

/// Runs a whole events file, as `sfmap run` reads it; returns the summary and the report.
async fn run_file(emu: &sfmap::emulate::Emulator, src: &str, file: &[u8]) -> (Summary, Vec<Value>) {
    let p = plan(src);
    let mut report = Vec::new();
    let summary = {
        let ledger = Ledger::open(None).unwrap();
        let mut exec = Executor::new(&p, client(emu).await, ledger, Options::default())
            .with_report(&mut report);
        let (mut lines, reader) = stream::read_lines(std::io::Cursor::new(file.to_vec()));
        stream::deliver(&mut exec, &mut lines, std::future::pending(), |_, _| {})
            .await
            .unwrap();
        reader.join().unwrap().unwrap();
        exec.finish().await.unwrap()
    };
    let lines = String::from_utf8(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (summary, lines)
}

/// Each line's outcome, in line order.
fn outcomes(report: &[Value]) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = report
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

const TWO_LEADS: &str = concat!(
    r#"{"type":"identify","messageId":"m1","traits":{"email":"a@x.com","last_name":"A"}}"#,
    "\n",
    r#"{"type":"identify","messageId":"m2","traits":{"email":"b@x.com","last_name":"B"}}"#,
    "\n"
);

#[tokio::test]
async fn a_bom_at_the_start_of_the_events_file_is_skipped() {
    let emu = org(EmulatorConfig::default()).await;
    let file = [&b"\xef\xbb\xbf"[..], TWO_LEADS.as_bytes()].concat();
    let (summary, report) = run_file(&emu, LEADS, &file).await;
    assert_eq!(
        outcomes(&report),
        [(1, "created".into()), (2, "created".into())],
        "{report:?}"
    );
    assert_eq!(summary.count(Outcome::Created), 2);
    let leads = records(&emu, "Lead", &["Email"], "Email");
    assert_eq!(
        serde_json::to_value(&leads).unwrap(),
        serde_json::json!([{"Email": "a@x.com"}, {"Email": "b@x.com"}])
    );
}

#[test]
fn the_binary_skips_a_bom_at_the_start_of_the_events_file() {
    let dir = std::env::temp_dir().join(format!("sfmap-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        [&b"\xef\xbb\xbf"[..], TWO_LEADS.as_bytes()].concat(),
    )
    .unwrap();
    let report = dir.join("report.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", root().join("examples/lead.sfmap").to_str().unwrap()])
        .args(["--org", "local", "--events", events.to_str().unwrap()])
        .args(["--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 events: 2 created"), "{stderr}");
    let lines: Vec<Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        outcomes(&lines),
        [(1, "created".into()), (2, "created".into())]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_number_beyond_a_double_fails_only_where_it_is_read() {
    let emu = org(EmulatorConfig::default()).await;
    let file = concat!(
        // Out of range where no mapping reads: delivered.
        r#"{"type":"identify","messageId":"m1","traits":{"email":"a@x.com","score":1e400},"context":{"big":[-1e999,1E+400]}}"#,
        "\n",
        // Out of range where the mapping reads it: this event alone fails.
        r#"{"type":"identify","messageId":"m2","traits":{"email":"b@x.com","rating":1e400}}"#,
        "\n",
        r#"{"type":"identify","messageId":"m3","traits":{"email":"c@x.com","rating":4.5}}"#,
        "\n"
    );
    let (summary, report) = run_file(&emu, LEADS, file.as_bytes()).await;
    assert_eq!(
        outcomes(&report),
        [
            (1, "created".into()),
            (2, "failed".into()),
            (3, "created".into())
        ],
        "{report:?}"
    );
    let failed = report.iter().find(|r| r["line"] == 2).unwrap();
    assert_eq!(failed["error_code"], "NUMBER_OUT_OF_RANGE", "{report:?}");
    assert_eq!(
        failed["error_message"],
        "number out of range for a 64-bit float (at byte 73)"
    );
    assert_eq!(summary.count(Outcome::Created), 2);
    assert_eq!(summary.count(Outcome::Failed), 1);
    let leads = records(&emu, "Lead", &["Email", "Rating__c"], "Email");
    assert_eq!(
        serde_json::to_value(&leads).unwrap(),
        serde_json::json!([
            {"Email": "a@x.com", "Rating__c": null},
            {"Email": "c@x.com", "Rating__c": 4.5}
        ])
    );
}

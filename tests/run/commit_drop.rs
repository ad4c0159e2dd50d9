//! Writes that commit but whose answer is lost (the emulator's `commit-drop` fault): the case
//! that turns a blindly retried create into a duplicate. Through REST and through Bulk API 2.0,
//! every event ends delivered or failed with a reason, and no record exists twice.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;
use sfmap::salesforce::ClientOptions;

use crate::support::{identify, org, plan, records, run_with};

const REST: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = "L"
    Company  = "C"
  }
}
"#;

const BULK: &str = r#"
mapping lead {
  on identify
  object Lead
  upsert match Segment_User_Id__c = userId
  fields {
    LastName = "L"
    Company  = "C"
  }
  bulk { batch_size = 20 }
}
"#;

/// What a run left.
struct Delivered {
    /// The Leads' `key` values, sorted.
    keys: Vec<String>,
    failed: usize,
    events: usize,
    /// API requests served, and Bulk jobs created among them.
    requests: usize,
    jobs: usize,
}

/// Runs `events` through `src` against an org with `faults`.
async fn deliver(src: &str, key: &str, faults: &str, events: usize) -> Delivered {
    let emu = org(EmulatorConfig {
        faults: faults.parse().expect("fault spec"),
        ..EmulatorConfig::default()
    })
    .await;
    let events: Vec<_> = (0..events)
        .map(|i| identify(i, &format!("d{i}@x.com"), json!({})))
        .collect();
    let mut options = ClientOptions::default();
    options.retry.base_delay = std::time::Duration::from_millis(5);
    let client = crate::support::client_with(&emu, options).await;
    let opts = Options {
        flush_size: 10,
        ..Options::default()
    };
    let (summary, report) = run_with(
        client,
        &plan(src),
        &events,
        opts,
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(report.len(), events.len(), "every event has an outcome");
    let failed = summary.count(sfmap::outcome::Outcome::Failed) as usize;
    for r in &report {
        if r["outcome"] == "failed" {
            assert!(r["error_code"].is_string(), "a failure has a reason: {r}");
        }
    }
    let keys: Vec<String> = records(&emu, "Lead", &[key], key)
        .iter()
        .map(|r| r[key].as_str().unwrap().to_string())
        .collect();
    let log = emu.requests();
    Delivered {
        keys,
        failed,
        events: report.len(),
        requests: log.iter().filter(|r| r.api).count(),
        jobs: log
            .iter()
            .filter(|r| r.method == "POST" && r.path.trim_end_matches('/').ends_with("jobs/ingest"))
            .count(),
    }
}

/// No record twice, and every event delivered has its record. An event may end failed (with a
/// reason, checked in [`deliver`]) when the answer its batch waited for was lost.
fn assert_once_each(d: &Delivered) {
    let mut unique = d.keys.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        d.keys.len(),
        "no duplicate records: {:?}",
        d.keys
    );
    assert!(
        d.keys.len() >= d.events - d.failed,
        "{} records for {} delivered events",
        d.keys.len(),
        d.events - d.failed
    );
}

#[tokio::test]
async fn lost_answers_of_rest_writes_make_no_duplicates() {
    // API call 2 is the first Collections create: it commits and loses its answer. The run
    // finds the records it wrote instead of creating them again.
    let d = deliver(REST, "Email", "commit-drop@2+6", 60).await;
    assert_once_each(&d);
    assert_eq!(d.failed, 0, "a lost create is recovered");
    assert!(
        d.requests >= 6,
        "{} requests: both faults fired",
        d.requests
    );
    assert_eq!(d.jobs, 0);
}

#[tokio::test]
async fn lost_answers_of_bulk_calls_make_no_duplicates() {
    // API calls 2 and 13 are an upload and a close: they commit and lose their answer. The
    // lost upload's job is aborted before it began, so its rows go out again in a new job;
    // the lost close's job ran, and its rows' results are read from it.
    let d = deliver(BULK, "Segment_User_Id__c", "commit-drop@2+13", 60).await;
    assert_once_each(&d);
    assert_eq!(d.failed, 0, "lost bulk answers are recovered");
    assert!(d.jobs >= 3, "{} jobs", d.jobs);
    assert!(
        d.requests >= 13,
        "{} requests: both faults fired",
        d.requests
    );
}

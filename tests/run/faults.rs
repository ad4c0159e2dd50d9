//! Under injected faults every event ends delivered or failed with a reason: none lost, none
//! duplicated.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{identify, org, plan, records, run};

#[tokio::test]
async fn faults_lose_and_duplicate_nothing() {
    let faults = "503=5%,drop=1%,expire/500".parse().expect("fault spec");
    let emu = org(EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    })
    .await;
    let p = plan(
        r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = "L"
    Company  = "C"
  }
}
"#,
    );
    let events: Vec<_> = (0..2000)
        .map(|i| identify(i, &format!("f{i}@x.com"), json!({})))
        .collect();
    let opts = Options {
        flush_size: 200,
        ..Options::default()
    };
    let (summary, report) = run(&emu, &p, &events, opts, Ledger::open(None).unwrap()).await;
    assert_eq!(report.len(), 2000, "every event has an outcome");
    let created = summary.outcomes.get("created").copied().unwrap_or(0);
    let failed = summary.outcomes.get("failed").copied().unwrap_or(0);
    assert_eq!(created + failed, 2000, "{:?}", summary.outcomes);
    for r in &report {
        if r["outcome"] == "failed" {
            assert!(r["error_code"].is_string(), "a failure has a reason: {r}");
        }
    }
    let leads = records(&emu, "Lead", &["Email"], "Email");
    let mut emails: Vec<&str> = leads.iter().map(|r| r["Email"].as_str().unwrap()).collect();
    let before = emails.len();
    emails.dedup();
    assert_eq!(before, emails.len(), "no duplicate records");
    assert_eq!(
        emails.len() as u64,
        created,
        "every created event has its record"
    );
}

//! One bad event never fails another: a batched lookup Salesforce rejects because of one
//! event's value is split until that event fails alone.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::outcome::Outcome;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use super::support::{identify, org, plan, records, run};

const LEAD_BY_EMAIL: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  update match Email = traits.email else skip
  fields { Title = traits.title }
}
"#;

#[tokio::test]
async fn one_poisoned_lookup_value_among_1000_fails_alone() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD_BY_EMAIL);
    // A value no query can carry (a WHERE string over 4,000 characters): the lookup of a
    // flush that holds it is rejected.
    let poison = format!("{}@x.com", "p".repeat(5_000));
    let events: Vec<_> = (0..1000)
        .map(|n| {
            let email = if n == 617 {
                poison.clone()
            } else {
                format!("u{n}@acme.example")
            };
            identify(n, &email, json!({"title": "CTO"}))
        })
        .collect();
    let (summary, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    let failed: Vec<_> = report.iter().filter(|l| l["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["key"], "m617");
    assert_eq!(
        summary.outcomes.get(&Outcome::Skipped),
        Some(&999),
        "{:?}",
        summary.outcomes
    );
    assert!(records(&emu, "Lead", &["Email"], "Email").is_empty());
    emu.shutdown().await;
}

/// A Bulk API job Salesforce fails as a whole because of one row (a spread column only that
/// event has, which the object lacks) is split until that row fails alone.
#[tokio::test]
async fn one_row_that_fails_a_whole_bulk_job_fails_alone() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(
        r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Segment_User_Id__c = userId
  fields {
    LastName = "Smith"
    Company = "Acme"
    Email = traits.email
    ...traits suffix "__c" except [email]
  }
  bulk { batch_size = 1000 }
}
"#,
    );
    let events: Vec<_> = (0..1000)
        .map(|n| {
            let extra = if n == 400 {
                json!({"Nope": "x"})
            } else {
                json!({"Plan": "pro"})
            };
            identify(n, &format!("u{n}@acme.example"), extra)
        })
        .collect();
    let (summary, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    let failed: Vec<_> = report.iter().filter(|l| l["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["key"], "m400");
    assert!(
        failed[0]["error_message"]
            .as_str()
            .unwrap()
            .contains("Nope__c"),
        "{failed:?}"
    );
    assert_eq!(summary.outcomes.get(&Outcome::Created), Some(&999));
    assert_eq!(records(&emu, "Lead", &["Email"], "Email").len(), 999);
    emu.shutdown().await;
}

//! `--dry-run`: read-only lookups, each event's would-be outcome with the fields it would
//! change, nothing written to the org or the ledger.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{identify, org, plan, records, run};

const SEED: &str = r#"{"attributes": {"type": "Lead"}, "Email": "a@x.com", "LastName": "Old", "Company": "Acme", "Title": "CEO", "Segment_User_Id__c": "u1"}"#;

fn seeded_org() -> EmulatorConfig {
    crate::support::seeded(&[serde_json::from_str(SEED).unwrap()])
}

fn mapping(matcher: &str) -> String {
    format!(
        r#"
mapping lead {{
  on identify
  object Lead
  upsert match {matcher}
  fields {{
    LastName = coalesce(traits.last_name, "Unknown")
    Company  = coalesce(traits.company, "Unknown")
    Title    = traits.title
    Email    = traits.email
  }}
}}
"#
    )
}

#[tokio::test]
async fn a_dry_run_reports_changes_and_writes_nothing() {
    let events = [
        identify(
            1,
            "a@x.com",
            json!({"last_name": "Old", "company": "Acme", "title": "CTO"}),
        ),
        identify(2, "b@x.com", json!({"last_name": "Bee"})),
    ];
    for matcher in ["Email = traits.email", "Segment_User_Id__c = userId"] {
        let emu = org(seeded_org()).await;
        let p = plan(&mapping(matcher));
        let dir = std::env::temp_dir().join(format!("sfmap-dry-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ledger_file = dir.join(format!("{}.sqlite", matcher.len()));
        let before = emu.requests().len();
        let opts = Options {
            dry_run: true,
            ..Options::default()
        };
        let (summary, report) = run(
            &emu,
            &p,
            &events,
            opts,
            Ledger::open(Some(&ledger_file)).unwrap(),
        )
        .await;
        let methods: Vec<String> = emu.requests()[before..]
            .iter()
            .filter(|r| r.api)
            .map(|r| r.method.clone())
            .collect();
        assert_eq!(methods, ["GET"], "{matcher}: one read-only lookup");
        assert_eq!(report[0]["outcome"], "would_update", "{matcher}");
        assert_eq!(
            report[0]["changes"],
            json!({"Title": {"from": "CEO", "to": "CTO"}}),
            "{matcher}: only what differs"
        );
        assert_eq!(report[1]["outcome"], "would_create", "{matcher}");
        assert_eq!(
            report[1]["changes"]["LastName"],
            json!({"from": null, "to": "Bee"})
        );
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::WouldUpdate),
            Some(&1)
        );
        let leads = records(&emu, "Lead", &["Email", "Title"], "Email");
        assert_eq!(
            serde_json::to_value(leads).unwrap(),
            json!([{"Email": "a@x.com", "Title": "CEO"}]),
            "nothing written"
        );

        // The ledger kept nothing: a real run with it delivers both events.
        let (summary, _) = run(
            &emu,
            &p,
            &events,
            Options::default(),
            Ledger::open(Some(&ledger_file)).unwrap(),
        )
        .await;
        assert_eq!(summary.already_done, 0, "{matcher}");
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::Updated),
            Some(&1),
            "{matcher}"
        );
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::Created),
            Some(&1),
            "{matcher}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Events apply in input order across mappings: a parent written by an earlier event exists
//! when a later event's child is written, whatever the order of the mappings in the file.

use serde_json::{Value, json};
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use super::support::{org, plan, records, run};

const ACCOUNT: &str = r#"
mapping account {
  on group where groupId exists
  object Account
  upsert match External_Id__c = groupId
  fields { Name = traits.name }
}
"#;

const CONTACT: &str = r#"
mapping contact {
  on identify where traits.email exists
  object Contact
  upsert match Email = traits.email
  fields {
    LastName  = traits.last_name
    AccountId = lookup(Account.External_Id__c, context.groupId)
  }
}
"#;

fn events() -> Vec<Value> {
    vec![
        json!({"type": "group", "messageId": "g1", "groupId": "acct-42",
               "traits": {"name": "Acme"}}),
        json!({"type": "identify", "messageId": "i1", "userId": "u1",
               "traits": {"email": "ana@acme.example", "last_name": "Smith"},
               "context": {"groupId": "acct-42"}}),
        json!({"type": "group", "messageId": "g2", "groupId": "acct-43",
               "traits": {"name": "Globex"}}),
        json!({"type": "identify", "messageId": "i2", "userId": "u2",
               "traits": {"email": "bo@globex.example", "last_name": "Ng"},
               "context": {"groupId": "acct-43"}}),
    ]
}

/// The org's Contacts with their Account's external id, and the report as a sorted set of
/// (key, mapping, outcome, error code).
async fn deliver(src: &str, opts: Options) -> (Vec<Value>, Vec<String>) {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(src);
    let (_, report) = run(&emu, &p, &events(), opts, Ledger::open(None).unwrap()).await;
    let contacts = records(
        &emu,
        "Contact",
        &["Email", "Account.External_Id__c"],
        "Email",
    )
    .into_iter()
    .map(Value::Object)
    .collect();
    let mut lines: Vec<String> = report
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {}",
                l["key"], l["mapping"], l["outcome"], l["error_code"]
            )
        })
        .collect();
    lines.sort();
    emu.shutdown().await;
    (contacts, lines)
}

#[tokio::test]
async fn parents_are_written_before_children_whatever_the_mapping_order() {
    let child_first = format!("{CONTACT}\n{ACCOUNT}");
    let parent_first = format!("{ACCOUNT}\n{CONTACT}");
    let (contacts, report) = deliver(&child_first, Options::default()).await;
    assert_eq!(
        contacts,
        [
            json!({"Email": "ana@acme.example", "Account": {"External_Id__c": "acct-42"}}),
            json!({"Email": "bo@globex.example", "Account": {"External_Id__c": "acct-43"}}),
        ],
        "{report:?}"
    );
    assert!(
        report.iter().all(|l| l.contains("\"created\"")),
        "{report:?}"
    );
    assert_eq!(
        deliver(&parent_first, Options::default()).await,
        (contacts, report)
    );
}

#[tokio::test]
async fn a_dry_run_predicts_the_same_for_both_orders() {
    let dry = || Options {
        dry_run: true,
        ..Options::default()
    };
    let (_, child_first) = deliver(&format!("{CONTACT}\n{ACCOUNT}"), dry()).await;
    let (_, parent_first) = deliver(&format!("{ACCOUNT}\n{CONTACT}"), dry()).await;
    assert_eq!(child_first, parent_first);
    assert!(
        child_first.iter().all(|l| l.contains("would_")),
        "{child_first:?}"
    );
}

/// The report is in input order, one line per event and mapping, whatever order the flushes
/// go out in; an event no mapping fires on has no `mapping`.
#[tokio::test]
async fn the_report_is_in_input_order() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(&format!("{CONTACT}\n{ACCOUNT}"));
    let mut events = events();
    events.insert(
        2,
        json!({"type": "page", "messageId": "p1", "name": "Home"}),
    );
    let opts = Options {
        flush_size: 2,
        ..Options::default()
    };
    let (_, report) = run(&emu, &p, &events, opts, Ledger::open(None).unwrap()).await;
    let order: Vec<(u64, &str)> = report
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["key"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [(1, "g1"), (2, "i1"), (3, "p1"), (4, "g2"), (5, "i2")],
        "{report:?}"
    );
    assert!(report[2].get("mapping").is_none(), "{:?}", report[2]);
    emu.shutdown().await;
}

/// A rerun reports the events an earlier run delivered as skipped, with the record Id and the
/// outcome the ledger holds (`delivered_before`), so every report names every record.
#[tokio::test]
async fn a_rerun_reports_earlier_deliveries_with_their_record_ids() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(ACCOUNT);
    let dir = std::env::temp_dir().join(format!("sfmap-rerun-ids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let open = || Ledger::open(Some(&ledger)).unwrap();
    let (_, first) = run(&emu, &p, &events(), Options::default(), open()).await;
    let (summary, second) = run(&emu, &p, &events(), Options::default(), open()).await;
    assert_eq!(summary.already_done, 2);
    let delivered: Vec<_> = second
        .iter()
        .filter(|l| l.get("delivered_before").is_some())
        .collect();
    assert_eq!(delivered.len(), 2, "{second:?}");
    for l in delivered {
        let earlier = first.iter().find(|f| f["key"] == l["key"]).unwrap();
        assert_eq!(l["outcome"], "skipped");
        assert_eq!(l["error_message"], "already delivered");
        assert_eq!(l["delivered_before"], "created");
        assert_eq!(l["record_id"], earlier["record_id"], "{l:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

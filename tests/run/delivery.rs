//! Delivery semantics: in-order results, REST = Bulk, API calls, injection, resume.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{identify, org, plan, records, run};

const LEAD_BY_EMAIL: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = coalesce(traits.last_name, "Unknown")
    Company  = coalesce(traits.company, "Unknown")
    Phone    = traits.phone
    Title    = traits.title
  }
}
"#;

#[tokio::test]
async fn events_apply_in_order_within_a_flush() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD_BY_EMAIL);
    let events = [
        identify(
            1,
            "a@x.com",
            json!({"last_name": "A", "company": "Acme", "phone": "1"}),
        ),
        identify(
            2,
            "A@X.COM",
            json!({"last_name": "A", "company": "Acme", "phone": "2"}),
        ),
        identify(
            3,
            "b@x.com",
            json!({"last_name": "B", "company": "Bee", "title": "CTO"}),
        ),
        identify(
            4,
            "a@x.com",
            json!({"last_name": "A", "company": "Acme", "title": "CEO"}),
        ),
    ];
    let (summary, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Failed),
        None,
        "{report:?}"
    );
    let leads = records(
        &emu,
        "Lead",
        &["Email", "LastName", "Phone", "Title"],
        "Email",
    );
    assert_eq!(
        serde_json::to_value(&leads).unwrap(),
        json!([
            {"Email": "a@x.com", "LastName": "A", "Phone": "2", "Title": "CEO"},
            {"Email": "b@x.com", "LastName": "B", "Phone": null, "Title": "CTO"}
        ]),
        "one record per email, the last value per field wins, absent fields untouched"
    );
    let outcomes: Vec<&str> = report
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["created", "updated", "created", "updated"]);

    // A second run finds the records made by the first: no duplicates, updates only.
    let again = [identify(
        5,
        "a@x.com",
        json!({"last_name": "A", "company": "Acme", "phone": "5"}),
    )];
    let (_, report) = run(
        &emu,
        &p,
        &again,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(report[0]["outcome"], "updated");
    assert_eq!(records(&emu, "Lead", &["Email"], "Email").len(), 2);
}

#[tokio::test]
async fn upserting_1000_events_spends_few_api_calls() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD_BY_EMAIL);
    let events: Vec<_> = (0..1000)
        .map(|i| {
            identify(
                i,
                &format!("user{i}@example.com"),
                json!({"last_name": "L", "company": "C"}),
            )
        })
        .collect();
    let (summary, _) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&1000)
    );
    // Lookups in chunks of IN (...) plus Collections writes of 200: Segment spends 2,000.
    assert!(
        summary.api_calls <= 15,
        "{} calls for 1,000 events",
        summary.api_calls
    );
    assert_eq!(records(&emu, "Lead", &["Id"], "Email").len(), 1000);
}

#[tokio::test]
async fn rest_and_bulk_leave_the_same_records() {
    let rest = r#"
mapping lead {
  on identify
  object Lead
  upsert match Segment_User_Id__c = userId
  fields {
    LastName = coalesce(traits.last_name, "Unknown")
    Company  = coalesce(traits.company, "Unknown")
    Phone    = traits.phone
    Title    = coalesce(traits.title, null)
  }
}
"#;
    let bulk = rest.replace("  }\n}\n", "  }\n  bulk { batch_size = 50 }\n}\n");
    let events: Vec<_> = (0..120)
        .map(|i| {
            let mut t = json!({"last_name": format!("L{i}"), "company": "C"});
            if i % 3 == 0 {
                t["phone"] = json!(format!("+1 {i}"));
            }
            if i % 4 == 0 {
                t["title"] = json!("Boss, \"the\" one");
            }
            // Events for one user share the userId (the upsert key), each with its own messageId.
            let mut e = identify(i, &format!("u{i}@x.com"), t);
            e["userId"] = json!(format!("u{}", i % 100));
            e
        })
        .collect();
    let mut finals = Vec::new();
    // The third run splits every job whose CSV passes 1,000 bytes (100 MB in real runs).
    for (src, max_bytes) in [
        (rest, None),
        (bulk.as_str(), None),
        (bulk.as_str(), Some(1000)),
    ] {
        let emu = org(EmulatorConfig::default()).await;
        let p = plan(src);
        let mut opts = Options::default();
        if let Some(b) = max_bytes {
            opts.bulk_max_bytes = b;
        }
        let (summary, report) = run(&emu, &p, &events, opts, Ledger::open(None).unwrap()).await;
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::Failed),
            None,
            "{report:?}"
        );
        let jobs = emu
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.trim_end_matches('/').ends_with("jobs/ingest"))
            .count();
        match (src == rest, max_bytes) {
            (true, _) => assert_eq!(jobs, 0),
            // A bulk mapping flushes a job (batch_size = 50 events) at a time: 120 events, 3 jobs.
            (false, None) => assert_eq!(jobs, 3),
            (false, Some(_)) => assert!(jobs > 3, "{jobs} jobs: the uploads were not split"),
        }
        finals.push(records(
            &emu,
            "Lead",
            &[
                "Segment_User_Id__c",
                "LastName",
                "Company",
                "Phone",
                "Title",
            ],
            "Segment_User_Id__c",
        ));
    }
    assert_eq!(finals[0].len(), 100);
    assert_eq!(
        finals[0], finals[1],
        "REST and Bulk must leave identical records"
    );
    assert_eq!(finals[1], finals[2], "split uploads change nothing");
}

#[tokio::test]
async fn matcher_values_cannot_inject_soql() {
    let emu = org(EmulatorConfig::default()).await;
    // A text field with no format of its own, so every odd value reaches SOQL as it is.
    let p = plan(
        r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Plan__c = traits.email
  fields {
    LastName = "N"
    Company  = "C"
  }
}
"#,
    );
    let nasty = [
        "a\\' OR Name != '",
        "trailing\\@x.com\\",
        "quote'@x.com",
        "new\nline@x.com",
        "percent%_@x.com",
    ];
    let events: Vec<_> = nasty
        .iter()
        .enumerate()
        .map(|(i, e)| identify(i, e, json!({"last_name": "N", "company": "C"})))
        .collect();
    let (summary, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&5),
        "{report:?}"
    );
    // Run again: every lookup must find exactly its own record.
    let (summary, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Updated),
        Some(&5),
        "{report:?}"
    );
    let emails: Vec<String> = records(&emu, "Lead", &["Plan__c"], "Plan__c")
        .into_iter()
        .map(|r| r["Plan__c"].as_str().unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = nasty.iter().map(|s| s.to_string()).collect();
    expected.sort();
    let mut got = emails.clone();
    got.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_second_run_with_the_ledger_delivers_only_the_rest() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD_BY_EMAIL);
    let dir = std::env::temp_dir().join(format!("sfmap-run-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let events: Vec<_> = (0..50)
        .map(|i| {
            identify(
                i,
                &format!("r{i}@x.com"),
                json!({"last_name": "R", "company": "C"}),
            )
        })
        .collect();
    let (first, _) = run(
        &emu,
        &p,
        &events[..20],
        Options::default(),
        Ledger::open(Some(&ledger)).unwrap(),
    )
    .await;
    assert_eq!(
        first.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&20)
    );
    let (second, _) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(Some(&ledger)).unwrap(),
    )
    .await;
    assert_eq!(second.already_done, 20);
    assert_eq!(
        second.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&30)
    );
    assert_eq!(records(&emu, "Lead", &["Id"], "Email").len(), 50);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn update_and_delete_without_a_match_follow_else() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(
        r#"
mapping upd {
  on identify
  object Lead
  update match Email = traits.email else skip
  fields { Title = traits.title }
}
mapping del {
  on track("Deleted")
  object Lead
  delete match Email = properties.email
}
"#,
    );
    let events = [
        identify(1, "nobody@x.com", json!({"title": "X"})),
        json!({"type": "track", "event": "Deleted", "messageId": "d1", "properties": {"email": "nobody@x.com"}}),
    ];
    let (_, report) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(report[0]["outcome"], "skipped");
    assert_eq!(report[1]["outcome"], "failed");
    assert_eq!(report[1]["error_code"], "NOT_FOUND");
}

#[tokio::test]
async fn failed_events_are_retried_once_the_mapping_is_fixed() {
    let emu = org(EmulatorConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("sfmap-retry-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let broken = plan(
        "mapping lead { on identify object Lead create \
         fields { LastName = \"L\" Company = traits.company Email = traits.email } }",
    );
    let events = [
        identify(1, "x@x.com", json!({})),
        identify(2, "y@x.com", json!({"company": "Y"})),
    ];
    let (first, report) = run(
        &emu,
        &broken,
        &events,
        Options::default(),
        Ledger::open(Some(&ledger)).unwrap(),
    )
    .await;
    assert_eq!(
        first.outcomes.get(&sfmap::outcome::Outcome::Failed),
        Some(&1),
        "{report:?}"
    );
    assert_eq!(report[0]["error_code"], "MISSING_REQUIRED");
    let fixed = plan(
        "mapping lead { on identify object Lead create \
         fields { LastName = \"L\" Company = coalesce(traits.company, \"n/a\") Email = traits.email } }",
    );
    let (second, report) = run(
        &emu,
        &fixed,
        &events,
        Options::default(),
        Ledger::open(Some(&ledger)).unwrap(),
    )
    .await;
    assert_eq!(
        second.already_done, 1,
        "the delivered event is not sent again"
    );
    assert_eq!(
        second.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&1),
        "{report:?}"
    );
    assert_eq!(records(&emu, "Lead", &["Email"], "Email").len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn on_create_defaults_never_overwrite_existing_values() {
    for matcher in ["Email = traits.email", "Segment_User_Id__c = traits.email"] {
        let emu = org(EmulatorConfig::default()).await;
        let p = plan(&format!(
            r#"
mapping lead {{
  on identify where traits.email exists
  object Lead
  upsert match {matcher}
  fields {{
    Email    = traits.email
    LastName = coalesce(traits.last_name, on_create("Unknown"))
    Company  = coalesce(traits.company, on_create("n/a"))
  }}
}}
"#
        ));
        let first = [identify(
            1,
            "k@x.com",
            json!({"last_name": "Kay", "company": "Acme"}),
        )];
        run(
            &emu,
            &p,
            &first,
            Options::default(),
            Ledger::open(None).unwrap(),
        )
        .await;
        // Later events without the traits: the existing values stay; a new record gets defaults.
        let later = [
            identify(2, "k@x.com", json!({})),
            identify(3, "new@x.com", json!({})),
        ];
        let (summary, report) = run(
            &emu,
            &p,
            &later,
            Options::default(),
            Ledger::open(None).unwrap(),
        )
        .await;
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::Failed),
            None,
            "{matcher}: {report:?}"
        );
        let leads = records(&emu, "Lead", &["Email", "LastName", "Company"], "Email");
        assert_eq!(
            serde_json::to_value(&leads).unwrap(),
            json!([
                {"Email": "k@x.com", "LastName": "Kay", "Company": "Acme"},
                {"Email": "new@x.com", "LastName": "Unknown", "Company": "n/a"}
            ]),
            "{matcher}"
        );
    }
}

#[tokio::test]
async fn a_repeated_message_id_is_delivered_once() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD_BY_EMAIL);
    let first = identify(
        1,
        "dup@x.com",
        json!({"last_name": "D", "company": "C", "title": "A"}),
    );
    let mut again = first.clone();
    again["traits"]["title"] = json!("B");
    let opts = Options {
        flush_size: 1,
        ..Options::default()
    };
    // Once across flushes (the ledger) and once within a flush.
    for opts in [opts, Options::default()] {
        let (summary, report) = run(
            &emu,
            &p,
            &[first.clone(), again.clone()],
            opts,
            Ledger::open(None).unwrap(),
        )
        .await;
        assert_eq!(
            summary.outcomes.get(&sfmap::outcome::Outcome::Failed),
            None,
            "{report:?}"
        );
        let outcomes: Vec<&str> = report
            .iter()
            .map(|r| r["outcome"].as_str().unwrap())
            .collect();
        assert!(outcomes.contains(&"skipped"), "{report:?}");
    }
    let leads = records(&emu, "Lead", &["Title"], "Email");
    assert_eq!(
        serde_json::to_value(&leads).unwrap(),
        json!([{"Title": "A"}])
    );
}

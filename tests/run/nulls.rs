//! An explicit null from the event (issue 12 §5): by default it leaves the field as it is, like
//! an absent value; `keep_null(...)` and a spread's `keep_null` make it clear the field, the
//! same through REST (JSON null) and Bulk (`#N/A`).

use serde_json::{Value, json};
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{org, plan, records, run, seeded};

fn mapping(bulk: bool) -> String {
    format!(
        r#"
mapping lead {{
  on identify where traits.email exists
  object Lead
  update match Email = traits.email else skip
  fields {{
    Title = keep_null(traits.title)
    Phone = traits.phone
    ...traits suffix "__c" except [email, title, phone] keep_null
  }}{}
}}
"#,
        if bulk { "\n  bulk" } else { "" }
    )
}

fn lead(email: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "Email": email, "LastName": "L", "Company": "C",
           "Title": "Intern", "Phone": "555-0100", "Plan__c": "pro"})
}

fn identify(n: usize, traits: Value) -> Value {
    json!({"type": "identify", "messageId": format!("m{n}"), "traits": traits})
}

#[tokio::test]
async fn an_explicit_null_clears_through_rest_and_bulk_and_absent_leaves() {
    let events = [
        // Null title, phone and plan: Title and Plan__c cleared (keep_null), Phone kept.
        identify(
            1,
            json!({"email": "a@x.com", "title": null, "phone": null, "Plan": null}),
        ),
        // Nothing: everything kept.
        identify(2, json!({"email": "b@x.com"})),
        // Values: set.
        identify(
            3,
            json!({"email": "c@x.com", "title": "CTO", "phone": "555-0199", "Plan": "team"}),
        ),
    ];
    let expected = json!([
        {"Email": "a@x.com", "Title": null, "Phone": "555-0100", "Plan__c": null},
        {"Email": "b@x.com", "Title": "Intern", "Phone": "555-0100", "Plan__c": "pro"},
        {"Email": "c@x.com", "Title": "CTO", "Phone": "555-0199", "Plan__c": "team"},
    ]);
    for bulk in [false, true] {
        let emu = org(seeded(&[lead("a@x.com"), lead("b@x.com"), lead("c@x.com")])).await;
        let (_, report) = run(
            &emu,
            &plan(&mapping(bulk)),
            &events,
            Options::default(),
            Ledger::open(None).unwrap(),
        )
        .await;
        let outcomes: Vec<&str> = report
            .iter()
            .map(|l| l["outcome"].as_str().unwrap())
            .collect();
        // The event with nothing to write is skipped; the others update.
        assert_eq!(
            outcomes,
            ["updated", "skipped", "updated"],
            "bulk {bulk}: {report:?}"
        );
        let jobs = emu
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.trim_end_matches('/').ends_with("jobs/ingest"))
            .count();
        assert_eq!(jobs, usize::from(bulk), "bulk {bulk}");
        let leads = records(
            &emu,
            "Lead",
            &["Email", "Title", "Phone", "Plan__c"],
            "Email",
        );
        assert_eq!(
            serde_json::to_value(leads).unwrap(),
            expected,
            "bulk {bulk}"
        );
    }
}

/// Without `keep_null`, today's default holds: a null in the event is absent, nothing is
/// cleared (the event has nothing to write and is skipped).
#[tokio::test]
async fn without_keep_null_an_events_null_leaves_the_field() {
    let src = mapping(false)
        .replace("keep_null(traits.title)", "traits.title")
        .replace(" keep_null\n", "\n");
    assert!(!src.contains("keep_null"), "{src}");
    let emu = org(seeded(&[lead("a@x.com")])).await;
    let (_, report) = run(
        &emu,
        &plan(&src),
        &[identify(
            1,
            json!({"email": "a@x.com", "title": null, "Plan": null}),
        )],
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(report[0]["outcome"], "skipped", "{report:?}");
    let leads = records(&emu, "Lead", &["Title", "Plan__c"], "Email");
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Title": "Intern", "Plan__c": "pro"}])
    );
}

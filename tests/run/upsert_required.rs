//! An `upsert` that does not map a field required to create (issue 12 §6): `check` warns
//! (W0006) instead of refusing the file, and at run time only the events that would create a
//! record fail, with MISSING_REQUIRED before anything reaches Salesforce; the updates are
//! delivered. `create` and `add` keep the error E0402.

use serde_json::{Value, json};
use sfmap::emulate::Emulator;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{org, plan, records, run, schema_path, seeded};

/// An upsert of Leads without `Company`, found by `matcher`.
fn without_company(matcher: &str, bulk: bool) -> String {
    format!(
        r#"
mapping lead {{
  on identify where traits.email exists and userId exists
  object Lead
  upsert match {matcher}
  fields {{
    LastName = coalesce(traits.last_name, "Unknown")
    Email    = traits.email
    Title    = traits.title
  }}{}
}}
"#,
        if bulk { "\n  bulk" } else { "" }
    )
}

fn diagnostics(src: &str) -> Vec<(&'static str, String)> {
    let schema = sfmap::schema::Schema::builtin_with_file(&schema_path()).unwrap();
    let loaded = sfmap::load::load_text("t.sfmap", src.to_string(), &schema);
    loaded
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.clone()))
        .collect()
}

fn identify(n: usize, user: &str, email: &str, title: &str) -> Value {
    json!({"type": "identify", "messageId": format!("m{n}"), "userId": user,
           "traits": {"email": email, "title": title}})
}

/// The seeded org: one Lead, known by email and by Segment user id.
async fn one_lead() -> Emulator {
    org(seeded(&[json!({
        "attributes": {"type": "Lead"}, "Email": "old@x.com", "Segment_User_Id__c": "u-old",
        "LastName": "Old", "Company": "Acme", "Title": "Intern"
    })]))
    .await
}

fn outcomes(report: &[Value]) -> Vec<(String, String)> {
    report
        .iter()
        .map(|l| {
            (
                l["outcome"].as_str().unwrap_or("").to_string(),
                l["error_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn an_upsert_without_a_required_field_is_a_warning_naming_it() {
    for matcher in ["Email = traits.email", "Segment_User_Id__c = userId"] {
        assert_eq!(
            diagnostics(&without_company(matcher, false)),
            [(
                "W0006",
                "upsert may create `Lead` records without `Company`, which Salesforce requires: \
                 events that find no record fail"
                    .to_string()
            )],
            "{matcher}"
        );
    }
    // Two missing fields are named in one warning.
    let src = without_company("Email = traits.email", false)
        .replace("LastName = coalesce(traits.last_name, \"Unknown\")", "");
    assert_eq!(
        diagnostics(&src),
        [(
            "W0006",
            "upsert may create `Lead` records without `LastName` and `Company`, which \
             Salesforce requires: events that find no record fail"
                .to_string()
        )]
    );
}

/// The help gives a text default only for a text field.
#[test]
fn the_warnings_help_fits_the_fields_type() {
    let schema = sfmap::schema::Schema::builtin_with_file(&schema_path()).unwrap();
    let w0006 = |src: &str| {
        let loaded = sfmap::load::load_text("t.sfmap", src.to_string(), &schema);
        let d = loaded
            .diagnostics
            .iter()
            .find(|d| d.code.as_str() == "W0006")
            .cloned()
            .unwrap();
        (d.message, d.help.unwrap())
    };
    assert_eq!(
        w0006(&without_company("Email = traits.email", false)).1,
        "to create records too, map it with a default for new records only, e.g. \
         `Company = coalesce(traits.x, on_create(\"Unknown\"))`; to never create, use `update`"
    );
    let opportunity = "mapping o { on track(\"Deal\") where properties.name exists \
                       object Opportunity upsert match Name = properties.name \
                       fields { Description = properties.note } }";
    assert_eq!(
        w0006(opportunity),
        (
            "upsert may create `Opportunity` records without `StageName` and `CloseDate`, \
             which Salesforce requires: events that find no record fail"
                .to_string(),
            "to create records too, map them with a default for new records only \
             (`on_create(...)`); to never create, use `update`"
                .to_string()
        )
    );
}

#[test]
fn create_and_add_without_a_required_field_are_still_errors() {
    for op in ["create", "add match Email = traits.email"] {
        let src = without_company("Email = traits.email", false)
            .replace("upsert match Email = traits.email", op);
        let codes: Vec<&str> = diagnostics(&src).into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, ["E0402"], "{op}");
    }
}

/// The existing Lead is updated; the new one fails MISSING_REQUIRED without a write.
#[tokio::test]
async fn an_upsert_without_company_updates_and_fails_only_creates() {
    for (matcher, bulk) in [
        ("Email = traits.email", false),
        ("Segment_User_Id__c = userId", false),
        ("Segment_User_Id__c = userId", true),
    ] {
        let emu = one_lead().await;
        let p = plan(&without_company(matcher, bulk));
        let events = [
            identify(1, "u-old", "old@x.com", "CEO"),
            identify(2, "u-new", "new@x.com", "CTO"),
            identify(3, "u-old", "old@x.com", "CFO"),
        ];
        let (_, report) = run(
            &emu,
            &p,
            &events,
            Options::default(),
            Ledger::open(None).unwrap(),
        )
        .await;
        let case = format!("{matcher}, bulk {bulk}");
        assert_eq!(
            outcomes(&report),
            [
                ("updated".to_string(), String::new()),
                ("failed".to_string(), "MISSING_REQUIRED".to_string()),
                ("updated".to_string(), String::new()),
            ],
            "{case}: {report:?}"
        );
        assert_eq!(
            report[1]["error_message"].as_str(),
            Some("creating the record needs Company, which this event lacks"),
            "{case}: {report:?}"
        );
        let leads = records(&emu, "Lead", &["Email", "Company", "Title"], "Email");
        assert_eq!(
            serde_json::to_value(leads).unwrap(),
            json!([{"Email": "old@x.com", "Company": "Acme", "Title": "CFO"}]),
            "{case}"
        );
        // Nothing was sent for the event that would create: no Salesforce error, no record.
        let inserts = emu
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("composite/sobjects"))
            .count();
        assert_eq!(inserts, 0, "{case}");
    }
}

#[test]
fn eval_shows_the_missing_field_of_an_upsert() {
    let p = plan(&without_company("Email = traits.email", false));
    let eval = sfmap::eval::Evaluator::new(&p);
    let line = identify(1, "u", "a@x.com", "CEO").to_string();
    let mut scratch = sfmap::eval::Scratch::default();
    let mut result = sfmap::eval::EventResult::default();
    eval.eval_json(&line, &mut scratch, false, &mut result)
        .unwrap();
    let json = serde_json::to_value(&result.outcomes).unwrap();
    assert_eq!(json[0]["missing_on_create"], json!(["Company"]), "{json}");
}

/// A lone query matcher is copied into the record an upsert or add creates (as an external-id
/// key is), so it provides its required field: no diagnostic, and the insert has it.
#[tokio::test]
async fn a_lone_query_matcher_provides_its_required_field() {
    for op in ["upsert", "add"] {
        let src = format!(
            r#"
mapping lead {{
  on identify where traits.company exists
  object Lead
  {op} match Company = traits.company
  fields {{
    LastName = coalesce(traits.last_name, "Unknown")
  }}
}}
"#
        );
        assert_eq!(diagnostics(&src), [], "{op}");
        let emu = one_lead().await;
        let events = [json!({"type": "identify", "messageId": "m1",
                             "traits": {"company": "Initech", "last_name": "Lumbergh"}})];
        let (_, report) = run(
            &emu,
            &plan(&src),
            &events,
            Options::default(),
            Ledger::open(None).unwrap(),
        )
        .await;
        assert_eq!(report[0]["outcome"], "created", "{op}: {report:?}");
        let leads = records(&emu, "Lead", &["Company", "LastName"], "Company");
        assert_eq!(
            serde_json::to_value(leads).unwrap(),
            json!([{"Company": "Acme", "LastName": "Old"}, {"Company": "Initech", "LastName": "Lumbergh"}]),
            "{op}"
        );
    }
}

/// Matchers joined with `or` are copied into the insert only when the event has one of them
/// (run::flush): an event with both values that would create without Company fails
/// MISSING_REQUIRED before anything is sent; one with the company alone creates the Lead.
#[tokio::test]
async fn or_matchers_provide_a_required_field_only_when_copied() {
    let src = r#"
mapping lead {
  on identify
  object Lead
  upsert match Company = traits.company or Email = traits.email
  fields {
    LastName = coalesce(traits.last_name, "Unknown")
  }
}
"#;
    let emu = one_lead().await;
    let events = [
        json!({"type": "identify", "messageId": "m1",
               "traits": {"company": "Initech", "email": "peter@initech.com"}}),
        json!({"type": "identify", "messageId": "m2", "traits": {"company": "Globex"}}),
    ];
    let (_, report) = run(
        &emu,
        &plan(src),
        &events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        outcomes(&report),
        [
            ("failed".to_string(), "MISSING_REQUIRED".to_string()),
            ("created".to_string(), String::new()),
        ],
        "{report:?}"
    );
    let leads = records(&emu, "Lead", &["Company"], "Company");
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Company": "Acme"}, {"Company": "Globex"}])
    );
}

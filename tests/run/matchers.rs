//! Matchers at run time: values coerced to the matcher field's type (one bad value fails its
//! own event, never the flush's lookup), ORed matchers that find a record if any of them
//! does (an `Id` among them too), in one query per chunk.

use serde_json::{Value, json};
use sfmap::emulate::{Emulator, EmulatorConfig};
use sfmap::outcome::Outcome;
use sfmap::run::executor::{Options, Summary};
use sfmap::run::ledger::Ledger;

use crate::support::{identify, org, plan, records, run, seeded};

async fn deliver(emu: &Emulator, src: &str, events: &[Value]) -> (Summary, Vec<Value>) {
    let (summary, mut report) = run(
        emu,
        &plan(src),
        events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    report.sort_by_key(|r| r["line"].as_u64());
    (summary, report)
}

/// `(outcome, error_code)` of each report line, in line order.
fn outcomes(report: &[Value]) -> Vec<(&str, &str)> {
    report
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap_or(""),
                r["error_code"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// The queries the emulator answered since request `from`.
fn queries(emu: &Emulator, from: usize) -> Vec<String> {
    emu.requests()[from..]
        .iter()
        .filter(|r| r.path.contains("/query"))
        .map(|r| r.path.clone())
        .collect()
}

const LEAD_BY_EMAIL: &str = r#"
mapping lead {
  on identify
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = "L"
    Company  = "C"
  }
}
"#;

#[tokio::test]
async fn the_emulator_rejects_a_number_for_a_text_field_in_a_query() {
    let emu = org(EmulatorConfig::default()).await;
    let e = emu
        .query("SELECT Id FROM Lead WHERE Email IN ('a@x.com', 42)")
        .unwrap_err();
    assert!(
        e.to_string().contains("must be of type string"),
        "as Salesforce does: {e}"
    );
}

#[tokio::test]
async fn a_number_for_a_text_matcher_is_text_and_fails_no_other_event() {
    let emu = org(EmulatorConfig::default()).await;
    let events: Vec<Value> = (0..1000)
        .map(|i| {
            let mut e = identify(i, &format!("user{i}@example.com"), json!({}));
            if i == 500 {
                e["traits"]["email"] = json!(42);
            }
            e
        })
        .collect();
    let (summary, report) = deliver(&emu, LEAD_BY_EMAIL, &events).await;
    assert_eq!(
        summary.count(Outcome::Created),
        999,
        "{:?}",
        outcomes(&report[..3])
    );
    assert_eq!(summary.count(Outcome::Failed), 1);
    // Looked up and written as the text "42", which is no email address: Salesforce rejects
    // that one record.
    assert_eq!(
        outcomes(&report[500..501]),
        [("failed", "INVALID_EMAIL_ADDRESS")]
    );
    assert!(
        report[500]["error_message"]
            .as_str()
            .unwrap()
            .contains("invalid email address: 42"),
        "{}",
        report[500]
    );
    assert_eq!(records(&emu, "Lead", &["Id"], "Email").len(), 999);
}

#[tokio::test]
async fn matcher_values_take_the_field_type_or_fail_alone() {
    let emu = org(seeded(&[
        json!({"attributes": {"type": "Contact"}, "LastName": "Phone", "Phone": "42"}),
        json!({"attributes": {"type": "Account"}, "Name": "Five", "NumberOfEmployees": 5}),
        json!({"attributes": {"type": "Account"}, "Name": "Seven", "NumberOfEmployees": 7}),
    ]))
    .await;
    let by_phone = r#"
mapping contact {
  on identify
  object Contact
  update match Phone = traits.phone
  fields { Title = traits.title }
}
"#;
    let (_, report) = deliver(
        &emu,
        by_phone,
        &[identify(
            1,
            "x@x.com",
            json!({"phone": 42, "title": "By number"}),
        )],
    )
    .await;
    assert_eq!(outcomes(&report), [("updated", "")], "{report:?}");
    let contacts = records(&emu, "Contact", &["Phone", "Title"], "Phone");
    assert_eq!(
        serde_json::to_value(&contacts).unwrap(),
        json!([{"Phone": "42", "Title": "By number"}])
    );
    let by_size = r#"
mapping account {
  on identify
  object Account
  update match NumberOfEmployees = traits.size
  fields { Description = traits.title }
}
"#;
    let events = [
        identify(1, "a@x.com", json!({"size": 5, "title": "five"})),
        identify(2, "b@x.com", json!({"size": "many", "title": "many"})),
        identify(3, "c@x.com", json!({"size": "7", "title": "seven"})),
        identify(4, "d@x.com", json!({"size": true, "title": "true"})),
    ];
    let (_, report) = deliver(&emu, by_size, &events).await;
    assert_eq!(
        outcomes(&report),
        [
            ("updated", ""),
            ("failed", "TYPE_MISMATCH"),
            ("updated", ""),
            ("failed", "TYPE_MISMATCH")
        ],
        "{report:?}"
    );
    assert_eq!(
        report[1]["error_message"],
        "NumberOfEmployees is an int field; got a string"
    );
    let accounts = records(&emu, "Account", &["Name", "Description"], "Name");
    assert_eq!(
        serde_json::to_value(&accounts).unwrap(),
        json!([
            {"Name": "Five", "Description": "five"},
            {"Name": "Seven", "Description": "seven"}
        ])
    );
}

const CONTACT_BY_ID_OR_EMAIL: &str = r#"
mapping contact {
  on identify
  object Contact
  update match Id = traits.sfid or Email = traits.email
  fields { Title = traits.title }
}
"#;

fn contact(last: &str, email: &str) -> Value {
    json!({"attributes": {"type": "Contact"}, "LastName": last, "Email": email})
}

#[tokio::test]
async fn an_or_of_matchers_finds_the_record_if_any_matcher_does() {
    let emu = org(seeded(&[contact("A", "a@x.com"), contact("B", "b@x.com")])).await;
    let ids = records(&emu, "Contact", &["Id"], "LastName");
    let (a, b) = (
        ids[0]["Id"].as_str().unwrap(),
        ids[1]["Id"].as_str().unwrap(),
    );
    let event = |n: usize, sfid: Option<&str>, email: &str, title: &str| {
        let mut e = identify(n, email, json!({"title": title}));
        if let Some(id) = sfid {
            e["traits"]["sfid"] = json!(id);
        }
        e
    };
    let events = [
        // Found by its Id, though the email differs.
        event(1, Some(a), "new@x.com", "by id"),
        // Found by email, no Id given; the Id in its 15-character form finds it too.
        event(2, None, "B@X.COM", "by email"),
        event(3, Some(&b[..15]), "other@x.com", "by id15"),
        // The Id finds one record, the email another: the match is not unique.
        event(4, Some(a), "b@x.com", "two"),
        // No record has this Id or this email.
        event(5, Some("0030000000zzzzz"), "none@x.com", "none"),
        event(6, Some("123"), "a@x.com", "bad id"),
    ];
    let from = emu.requests().len();
    let (_, report) = deliver(&emu, CONTACT_BY_ID_OR_EMAIL, &events).await;
    assert_eq!(
        outcomes(&report),
        [
            ("updated", ""),
            ("updated", ""),
            ("updated", ""),
            ("failed", "MULTIPLE_MATCHES"),
            ("failed", "NOT_FOUND"),
            ("failed", "MALFORMED_ID"),
        ],
        "{report:?}"
    );
    assert_eq!(report[0]["record_id"], a);
    assert_eq!(report[1]["record_id"], b);
    assert_eq!(report[2]["record_id"], b);
    let contacts = records(&emu, "Contact", &["Email", "Title"], "LastName");
    assert_eq!(
        serde_json::to_value(&contacts).unwrap(),
        json!([
            {"Email": "a@x.com", "Title": "by id"},
            {"Email": "b@x.com", "Title": "by id15"}
        ])
    );
    // The Ids and the emails are looked up together: one query for the flush.
    assert_eq!(queries(&emu, from).len(), 1, "{:?}", queries(&emu, from));
}

#[tokio::test]
async fn an_or_of_two_matchers_costs_one_query_per_flush() {
    let emu = org(seeded(&[
        json!({"attributes": {"type": "Lead"}, "LastName": "E", "Company": "C", "Email": "user1@example.com"}),
        json!({"attributes": {"type": "Lead"}, "LastName": "P", "Company": "C", "Phone": "+1 2"}),
    ]))
    .await;
    let by_email_or_phone = r#"
mapping lead {
  on identify
  object Lead
  upsert match Email = traits.email or Phone = traits.phone
  fields {
    LastName = "L"
    Company  = "C"
    Title    = traits.title
  }
}
"#;
    let events: Vec<Value> = (0..300)
        .map(|i| {
            identify(
                i,
                &format!("user{i}@example.com"),
                json!({"phone": format!("+1 {i}"), "title": format!("t{i}")}),
            )
        })
        .collect();
    let from = emu.requests().len();
    let (summary, report) = deliver(&emu, by_email_or_phone, &events).await;
    assert_eq!(summary.count(Outcome::Failed), 0, "{:?}", outcomes(&report));
    // user1 is found by its email, "+1 2" by its phone; the other 298 are created.
    assert_eq!(summary.count(Outcome::Updated), 2);
    assert_eq!(summary.count(Outcome::Created), 298);
    let calls: Vec<String> = emu.requests()[from..]
        .iter()
        .filter(|r| r.api)
        .map(|r| {
            let path = r.path.split('?').next().unwrap();
            format!(
                "{} {}",
                r.method,
                path.trim_start_matches("/services/data/v62.0/")
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "GET query",
            "POST composite/sobjects",
            "POST composite/sobjects",
            "PATCH composite/sobjects"
        ],
        "one lookup for both matchers, then the writes"
    );
    assert_eq!(records(&emu, "Lead", &["Id"], "Email").len(), 300);
}

#[tokio::test]
async fn a_date_matcher_is_a_date_literal_and_a_non_date_fails_alone() {
    let emu = org(seeded(&[json!({
        "attributes": {"type": "Contact"}, "LastName": "Born", "Birthdate": "1990-05-01"
    })]))
    .await;
    let by_birthdate = r#"
mapping contact {
  on identify
  object Contact
  update match Birthdate = traits.born
  fields { Title = traits.title }
}
"#;
    let events = [
        identify(
            1,
            "a@x.com",
            json!({"born": "1990-05-01", "title": "by date"}),
        ),
        identify(2, "b@x.com", json!({"born": "May 1st", "title": "no date"})),
        identify(3, "c@x.com", json!({"born": 1990, "title": "a number"})),
    ];
    let (_, report) = deliver(&emu, by_birthdate, &events).await;
    assert_eq!(
        outcomes(&report),
        [
            ("updated", ""),
            ("failed", "INVALID_DATE"),
            ("failed", "TYPE_MISMATCH")
        ],
        "{report:?}"
    );
    let contacts = records(&emu, "Contact", &["Birthdate", "Title"], "LastName");
    assert_eq!(
        serde_json::to_value(&contacts).unwrap(),
        json!([{"Birthdate": "1990-05-01", "Title": "by date"}])
    );
}

#[tokio::test]
async fn a_lookup_field_matcher_that_is_no_record_id_fails_alone() {
    let emu = org(seeded(&[contact("C", "c@x.com")])).await;
    let owner = records(&emu, "Contact", &["OwnerId"], "LastName")[0]["OwnerId"]
        .as_str()
        .unwrap()
        .to_string();
    let by_owner = r#"
mapping contact {
  on identify
  object Contact
  update match OwnerId = traits.owner
  fields { Title = traits.title }
}
"#;
    let events = [
        identify(1, "a@x.com", json!({"owner": owner, "title": "found"})),
        identify(2, "b@x.com", json!({"owner": "user-42", "title": "no id"})),
    ];
    let (_, report) = deliver(&emu, by_owner, &events).await;
    assert_eq!(
        outcomes(&report),
        [("updated", ""), ("failed", "MALFORMED_ID")],
        "{report:?}"
    );
    let contacts = records(&emu, "Contact", &["Title"], "LastName");
    assert_eq!(
        serde_json::to_value(&contacts).unwrap(),
        json!([{"Title": "found"}])
    );
}

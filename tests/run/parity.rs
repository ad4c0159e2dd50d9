//! One test per row of `segment-behaviour.md` §5 (request sequences) and §7 (errors and retry
//! semantics): what Segment does, what sfmap does instead, asserted on the outcome, the error
//! code, the API requests the emulator saw and the records left in the org.
//!
//! Where sfmap deliberately differs (a lookup batched per flush instead of one per event, a
//! native upsert, an error found by `check` before any event is sent), the test says so.

use serde_json::{Value, json};
use sfmap::emulate::{Emulator, EmulatorConfig};
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use crate::support::{org, plan, records, run};

/// An org seeded with `seed` (records with `attributes.type`), optionally with faults.
async fn seeded(seed: &[Value], faults: &str) -> Emulator {
    org(EmulatorConfig {
        faults: faults.parse().unwrap(),
        ..crate::support::seeded(seed)
    })
    .await
}

/// Runs `events` through `mapping`; returns the report and the API requests sent during the
/// run, as `METHOD path` with the version prefix cut (`GET query`, `POST composite/sobjects`).
async fn deliver(emu: &Emulator, mapping: &str, events: &[Value]) -> (Vec<Value>, Vec<String>) {
    let p = plan(mapping);
    let before = emu.requests().len();
    let (_, report) = run(
        emu,
        &p,
        events,
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    let calls = emu.requests()[before..]
        .iter()
        .filter(|r| r.api)
        .map(|r| {
            let path = r.path.split('?').next().unwrap();
            let path = path
                .strip_prefix("/services/data/v62.0/")
                .unwrap_or(path)
                .trim_end_matches('/');
            format!("{} {path}", r.method)
        })
        .collect();
    (report, calls)
}

fn lead(email: &str, last: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "Email": email, "LastName": last, "Company": "Seeded"})
}

fn identify(n: usize, traits: Value) -> Value {
    json!({"type": "identify", "messageId": format!("m{n}"), "userId": format!("u{n}"), "traits": traits})
}

/// The one field of a report line, or null.
fn field<'a>(line: &'a Value, name: &str) -> &'a Value {
    line.get(name).unwrap_or(&Value::Null)
}

fn outcome(line: &Value) -> (&str, &str) {
    (
        field(line, "outcome").as_str().unwrap_or(""),
        field(line, "error_code").as_str().unwrap_or(""),
    )
}

fn mapping(op: &str, fields: &str) -> String {
    format!(
        r#"
mapping m {{
  on identify
  object Lead
  {op}
  fields {{
    {fields}
  }}
}}
"#
    )
}

const LEAD_FIELDS: &str = "LastName = coalesce(traits.last_name, \"Unknown\")\n    Company = coalesce(traits.company, \"Unknown\")\n    Title = traits.title";

// §5 row "create / add": Segment sends one POST per event.

#[tokio::test]
async fn s5_create_is_one_insert() {
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping(
            "create",
            &format!("{LEAD_FIELDS}\n    Email = traits.email"),
        ),
        &[identify(1, json!({"email": "a@x.com", "last_name": "New"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("created", ""));
    assert_eq!(field(&report[0], "record_id").as_str().unwrap().len(), 18);
    assert_eq!(calls, ["POST composite/sobjects"], "no lookup for create");
    // create never matches: the seeded Lead with the same email stays, a second one is made.
    assert_eq!(records(&emu, "Lead", &["LastName"], "LastName").len(), 2);
}

#[tokio::test]
async fn s5_add_inserts_only_when_nothing_matches() {
    // Segment's code does a blind create for `add`; the documented sync mode skips a match.
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping(
            "add match Email = traits.email",
            &format!("{LEAD_FIELDS}\n    Email = traits.email"),
        ),
        &[
            identify(1, json!({"email": "A@x.com", "last_name": "New"})),
            identify(2, json!({"email": "b@x.com", "last_name": "Bee"})),
        ],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("skipped", ""));
    assert_eq!(outcome(&report[1]), ("created", ""));
    assert_eq!(calls, ["GET query", "POST composite/sobjects"]);
    let leads = records(&emu, "Lead", &["Email", "LastName"], "Email");
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Email": "a@x.com", "LastName": "Old"}, {"Email": "b@x.com", "LastName": "Bee"}])
    );
}

// §5 row "update": by Id with no query; else query then PATCH; 0 hits 404, >1 300.

#[tokio::test]
async fn s5_update_by_id_sends_no_query() {
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let id = emu.query("SELECT Id FROM Lead").unwrap()[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Id = traits.Id", "Title = traits.title"),
        &[identify(1, json!({"Id": id, "title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(field(&report[0], "record_id"), &json!(id));
    assert_eq!(calls, ["PATCH composite/sobjects"]);
    assert_eq!(
        emu.query("SELECT Title FROM Lead").unwrap()[0]["Title"],
        "CEO"
    );
}

#[tokio::test]
async fn s5_update_by_query_then_write_one_hit() {
    let emu = seeded(&[lead("a@x.com", "Old"), lead("b@x.com", "Bee")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[
            identify(1, json!({"email": "A@X.com", "title": "CEO"})),
            identify(2, json!({"email": "b@x.com", "title": "CTO"})),
        ],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(outcome(&report[1]), ("updated", ""));
    // Two events, still one query and one write: the lookup and the write are batched.
    assert_eq!(calls, ["GET query", "PATCH composite/sobjects"]);
    let leads = records(&emu, "Lead", &["Email", "Title"], "Email");
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Email": "a@x.com", "Title": "CEO"}, {"Email": "b@x.com", "Title": "CTO"}])
    );
}

#[tokio::test]
async fn s5_update_with_no_match_is_not_found_and_writes_nothing() {
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(
            1,
            json!({"email": "nobody@x.com", "title": "CEO"}),
        )],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "NOT_FOUND"));
    assert_eq!(calls, ["GET query"]);
}

#[tokio::test]
async fn s5_update_with_several_matches_is_multiple_matches() {
    let emu = seeded(&[lead("a@x.com", "One"), lead("a@x.com", "Two")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"email": "a@x.com", "title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "MULTIPLE_MATCHES"));
    assert_eq!(calls, ["GET query"], "never written, never retried");
    let titles = records(&emu, "Lead", &["Title"], "LastName");
    assert!(titles.iter().all(|r| r["Title"].is_null()));
}

#[tokio::test]
async fn s5_update_sends_nothing_when_no_field_has_a_value() {
    // Segment PATCHes `{}`, spending a call and touching the record; sfmap sends nothing and
    // reports the event skipped, with the record the matcher found.
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"email": "a@x.com"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("skipped", ""));
    let id = &emu.query("SELECT Id FROM Lead").unwrap()[0]["Id"];
    assert_eq!(field(&report[0], "record_id"), id);
    assert_eq!(calls, ["GET query"]);
}

// §5 row "upsert": Segment always queries, then PATCH (1 hit) or POST (0 hits), 300 on >1.

#[tokio::test]
async fn s5_upsert_updates_one_hit_and_creates_on_none() {
    let emu = seeded(&[lead("a@x.com", "Old")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping(
            "upsert match Email = traits.email",
            &format!("{LEAD_FIELDS}\n    Email = traits.email"),
        ),
        &[
            identify(1, json!({"email": "a@x.com", "last_name": "New"})),
            identify(2, json!({"email": "b@x.com", "last_name": "Bee"})),
        ],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(outcome(&report[1]), ("created", ""));
    assert_eq!(
        calls,
        [
            "GET query",
            "POST composite/sobjects",
            "PATCH composite/sobjects"
        ]
    );
    let leads = records(&emu, "Lead", &["Email", "LastName"], "Email");
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Email": "a@x.com", "LastName": "New"}, {"Email": "b@x.com", "LastName": "Bee"}])
    );
}

#[tokio::test]
async fn s5_upsert_with_several_matches_is_multiple_matches() {
    let emu = seeded(&[lead("a@x.com", "One"), lead("a@x.com", "Two")], "").await;
    let (report, calls) = deliver(
        &emu,
        &mapping(
            "upsert match Email = traits.email",
            &format!("{LEAD_FIELDS}\n    Email = traits.email"),
        ),
        &[identify(1, json!({"email": "a@x.com", "last_name": "New"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "MULTIPLE_MATCHES"));
    assert_eq!(calls, ["GET query"]);
    assert_eq!(records(&emu, "Lead", &["Id"], "LastName").len(), 2);
}

#[tokio::test]
async fn s5_upsert_by_external_id_is_one_native_call() {
    // Segment spends a query and a write; an external-id matcher needs neither lookup nor a
    // second call.
    let emu = seeded(
        &[json!({"attributes": {"type": "Lead"}, "Segment_User_Id__c": "u1", "LastName": "Old", "Company": "C"})],
        "",
    )
    .await;
    let (report, calls) = deliver(
        &emu,
        &mapping("upsert match Segment_User_Id__c = userId", LEAD_FIELDS),
        &[
            identify(1, json!({"last_name": "New"})),
            identify(2, json!({"last_name": "Two"})),
        ],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(outcome(&report[1]), ("created", ""));
    assert_eq!(calls, ["PATCH composite/sobjects/Lead/Segment_User_Id__c"]);
    let leads = records(
        &emu,
        "Lead",
        &["Segment_User_Id__c", "LastName"],
        "LastName",
    );
    assert_eq!(
        serde_json::to_value(leads).unwrap(),
        json!([{"Segment_User_Id__c": "u1", "LastName": "New"}, {"Segment_User_Id__c": "u2", "LastName": "Two"}])
    );
}

// §5 row "delete": by Id directly, else query then DELETE.

#[tokio::test]
async fn s5_delete_by_id_and_by_query() {
    let emu = seeded(&[lead("a@x.com", "A"), lead("b@x.com", "B")], "").await;
    let id = emu
        .query("SELECT Id FROM Lead WHERE Email = 'a@x.com'")
        .unwrap()[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let (report, calls) = deliver(
        &emu,
        &mapping("delete match Id = traits.Id", ""),
        &[identify(1, json!({"Id": id}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("deleted", ""));
    assert_eq!(calls, ["DELETE composite/sobjects"]);
    let (report, calls) = deliver(
        &emu,
        &mapping("delete match Email = traits.email", ""),
        &[identify(2, json!({"email": "b@x.com"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("deleted", ""));
    assert_eq!(calls, ["GET query", "DELETE composite/sobjects"]);
    assert!(records(&emu, "Lead", &["Id"], "Email").is_empty());
}

// §7: errors and retry semantics, row by row. "0 matches" and ">1 matches" are the §5 tests
// above (`NOT_FOUND` and `MULTIPLE_MATCHES`, one query, never written, never retried).

/// Runs a mapping that must compile, on a fresh org with `faults`.
async fn deliver_on(faults: &str, mapping: &str, events: &[Value]) -> (Vec<Value>, Vec<String>) {
    let emu = seeded(&[lead("a@x.com", "Old")], faults).await;
    deliver(&emu, mapping, events).await
}

#[tokio::test]
async fn s7_a_value_of_the_wrong_type_fails_the_event_before_any_call() {
    let (report, calls) = deliver_on(
        "",
        &mapping(
            "update match Email = traits.email",
            "NumberOfEmployees = traits.employees",
        ),
        &[identify(
            1,
            json!({"email": "a@x.com", "employees": "many"}),
        )],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "TYPE_MISMATCH"));
    assert!(
        field(&report[0], "error_message")
            .as_str()
            .unwrap()
            .contains("NumberOfEmployees"),
        "{report:?}"
    );
    assert!(calls.is_empty(), "{calls:?}");
}

#[tokio::test]
async fn s7_a_missing_required_value_fails_only_a_create() {
    let (report, calls) = deliver_on(
        "",
        &mapping(
            "upsert match Email = traits.email",
            "LastName = traits.last_name\n    Company = \"C\"\n    Email = traits.email",
        ),
        &[
            identify(1, json!({"email": "a@x.com", "title": "x"})),
            identify(2, json!({"email": "new@x.com"})),
        ],
    )
    .await;
    // The existing Lead needs no LastName from the event; creating one does.
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(outcome(&report[1]), ("failed", "MISSING_REQUIRED"));
    assert!(
        field(&report[1], "error_message")
            .as_str()
            .unwrap()
            .contains("LastName")
    );
    assert_eq!(calls, ["GET query", "PATCH composite/sobjects"]);
}

/// Errors Segment finds per event at run time that `check` finds before anything is sent:
/// no record matchers, an operator other than OR/AND, a required field never mapped.
#[test]
fn s7_configuration_errors_are_check_errors() {
    let schema = sfmap::schema::Schema::builtin_with_file(&crate::support::schema_path()).unwrap();
    for (src, code) in [
        (mapping("update", "Title = traits.title"), "E0101"),
        (
            mapping(
                "update match Email = traits.email xor Phone = traits.phone",
                "Title = traits.title",
            ),
            "E0101",
        ),
        (mapping("create", "Title = traits.title"), "E0402"),
    ] {
        let loaded = sfmap::load::load_text("t.sfmap", src.clone(), &schema);
        let codes: Vec<&str> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect();
        assert!(codes.contains(&code), "{src}: {codes:?}");
    }
}

#[tokio::test]
async fn s7_an_absent_matcher_value_is_undefined_matcher_naming_the_path() {
    let (report, calls) = deliver_on(
        "",
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "UNDEFINED_MATCHER"));
    assert!(
        field(&report[0], "error_message")
            .as_str()
            .unwrap()
            .contains("traits.email"),
        "{report:?}"
    );
    assert!(calls.is_empty());
}

#[tokio::test]
async fn s7_an_object_or_array_matcher_value_is_unsupported() {
    let (report, calls) = deliver_on(
        "",
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[
            identify(1, json!({"email": {"work": "a@x.com"}})),
            identify(2, json!({"email": ["a@x.com"]})),
        ],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "UNSUPPORTED_MATCHER_TYPE"));
    assert_eq!(outcome(&report[1]), ("failed", "UNSUPPORTED_MATCHER_TYPE"));
    assert!(calls.is_empty());
}

#[tokio::test]
async fn s7_a_salesforce_validation_error_is_not_retried() {
    // DUPLICATE_VALUE on an external id: Salesforce rejects the record; one call, no retry.
    let emu = seeded(
        &[json!({"attributes": {"type": "Lead"}, "Segment_User_Id__c": "u1", "LastName": "Old", "Company": "C"})],
        "",
    )
    .await;
    let (report, calls) = deliver(
        &emu,
        &mapping(
            "create",
            &format!("{LEAD_FIELDS}\n    Segment_User_Id__c = userId"),
        ),
        &[identify(1, json!({"last_name": "Dup"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "DUPLICATE_VALUE"));
    assert_eq!(calls, ["POST composite/sobjects"]);
}

#[tokio::test]
async fn s7_an_expired_session_is_renewed_and_only_the_request_repeated() {
    // Segment refreshes and re-runs the whole action, lookup included; sfmap renews the token
    // once and repeats only the request that met the 401.
    let emu = seeded(&[lead("a@x.com", "Old")], "expire@2").await;
    let before = emu.requests().len();
    let (report, calls) = deliver(
        &emu,
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"email": "a@x.com", "title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(
        calls,
        [
            "GET query",
            "PATCH composite/sobjects",
            "PATCH composite/sobjects"
        ]
    );
    let statuses: Vec<(u16, bool)> = emu.requests()[before..]
        .iter()
        .map(|r| (r.status, r.path.ends_with("/oauth2/token")))
        .collect();
    assert!(
        statuses
            .windows(2)
            .any(|w| w[0].0 == 401 && w[1] == (200, true)),
        "a 401, then one token request: {statuses:?}"
    );
    assert_eq!(
        emu.query("SELECT Title FROM Lead").unwrap()[0]["Title"],
        "CEO"
    );
}

#[tokio::test]
async fn s7_server_errors_are_retried_with_backoff() {
    let (report, calls) = deliver_on(
        "503@1,500@2",
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"email": "a@x.com", "title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
    assert_eq!(
        calls,
        [
            "GET query",
            "GET query",
            "GET query",
            "PATCH composite/sobjects"
        ]
    );
}

#[tokio::test]
async fn s7_request_limit_exceeded_fails_without_waits_and_waits_when_asked() {
    // Segment does not retry REQUEST_LIMIT_EXCEEDED; sfmap waits --limit-wait, --limit-retries
    // times (0 here: the event fails with the code and goes to the dead letter file).
    let (report, calls) = deliver_on(
        "limit@1",
        &mapping("update match Email = traits.email", "Title = traits.title"),
        &[identify(1, json!({"email": "a@x.com", "title": "CEO"}))],
    )
    .await;
    assert_eq!(outcome(&report[0]), ("failed", "REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(calls, ["GET query"]);

    let emu = seeded(&[lead("a@x.com", "Old")], "limit@1+2").await;
    let mut options = sfmap::salesforce::ClientOptions::default();
    options.retry.limit_wait = std::time::Duration::from_millis(20);
    options.retry.limit_retries = 2;
    let client = crate::support::client_with(&emu, options).await;
    let (_, report) = crate::support::run_with(
        client,
        &plan(&mapping(
            "update match Email = traits.email",
            "Title = traits.title",
        )),
        &[identify(1, json!({"email": "a@x.com", "title": "CEO"}))],
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(outcome(&report[0]), ("updated", ""));
}

#[tokio::test]
async fn s7_a_query_answer_without_records_fails_the_events_and_writes_nothing() {
    // Segment: "Response missing expected fields" (400). A Salesforce-shaped org never answers
    // so; a proxy or an outage page can. The lookup fails as BAD_RESPONSE: never read as "no
    // match" (which would create duplicates) nor retried.
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = log.clone();
        async move {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri().path()));
            axum::Json(json!({"totalSize": 1, "done": true}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let connection = sfmap::salesforce::Connection {
        instance_url: url.parse().unwrap(),
        api_version: "62.0".into(),
        auth: sfmap::salesforce::Auth::AccessToken("00Dx!token".into()),
        allow_loopback: true,
    };
    let client = sfmap::salesforce::Client::connect(connection)
        .await
        .unwrap();
    let (summary, report) = crate::support::run_with(
        client,
        &plan(&mapping(
            "upsert match Email = traits.email",
            &format!("{LEAD_FIELDS}\n    Email = traits.email"),
        )),
        &[
            identify(1, json!({"email": "a@x.com"})),
            identify(2, json!({"email": "b@x.com"})),
        ],
        Options::default(),
        Ledger::open(None).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Failed),
        Some(&2)
    );
    assert_eq!(outcome(&report[0]), ("failed", "BAD_RESPONSE"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, ["GET /services/data/v62.0/query"], "{seen:?}");
}

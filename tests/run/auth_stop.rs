//! A session the org refuses stops the run: nothing is dead-lettered or recorded as failed,
//! and a run with good credentials and the same ledger delivers every event.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::{Executor, Options, RunError};
use sfmap::run::ledger::Ledger;
use sfmap::salesforce::{Auth, Client, Connection};

use super::support::{identify, org, plan, run};

const LEAD: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields { LastName = "Smith" Company = "Acme" }
}
"#;

#[tokio::test]
async fn an_unrenewable_401_stops_the_run_and_leaves_the_events_for_the_next() {
    let emu = org(EmulatorConfig::default()).await;
    let p = plan(LEAD);
    let events: Vec<_> = (0..30)
        .map(|n| identify(n, &format!("u{n}@acme.example"), json!({})))
        .collect();
    let dir = std::env::temp_dir().join(format!("sfmap-auth-stop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let bad = Client::connect(Connection {
        instance_url: url::Url::parse(emu.base_url()).unwrap(),
        api_version: "62.0".into(),
        auth: Auth::AccessToken("00D000000000001!not-a-token".into()),
        allow_loopback: true,
    })
    .await
    .unwrap();
    let mut dead = Vec::new();
    let mut report = Vec::new();
    let err = {
        let mut exec = Executor::new(
            &p,
            bad,
            Ledger::open(Some(&ledger)).unwrap(),
            Options {
                flush_size: 10,
                ..Options::default()
            },
        )
        .with_report(&mut report)
        .with_dead_letter(&mut dead);
        let mut err = None;
        for (n, e) in events.iter().enumerate() {
            if let Err(e) = exec.push(n + 1, &e.to_string()).await {
                err = Some(e);
                break;
            }
        }
        match err {
            Some(e) => e,
            None => exec.finish().await.unwrap_err(),
        }
    };
    assert!(matches!(err, RunError::Authentication(_)), "{err}");
    assert!(dead.is_empty(), "{}", String::from_utf8_lossy(&dead));
    assert!(
        !String::from_utf8_lossy(&report).contains("\"failed\""),
        "{}",
        String::from_utf8_lossy(&report)
    );
    let (summary, lines) = run(
        &emu,
        &p,
        &events,
        Options::default(),
        Ledger::open(Some(&ledger)).unwrap(),
    )
    .await;
    assert_eq!(
        summary.outcomes.get(&sfmap::outcome::Outcome::Created),
        Some(&30),
        "{lines:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

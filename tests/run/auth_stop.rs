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

/// Through the binary: a wrong SFMAP_ACCESS_TOKEN exits 2 before any event, and dead-letters
/// nothing (a rerun with a good token delivers everything).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_access_token_exits_2_and_dead_letters_nothing() {
    let emu = org(EmulatorConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("sfmap-bad-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dl = dir.join("dl.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sfmap"))
        .current_dir(&dir)
        .args(["run", root.join("examples/lead.sfmap").to_str().unwrap()])
        .args([
            "--events",
            root.join("examples/events.jsonl").to_str().unwrap(),
        ])
        .args([
            "--schema",
            root.join("examples/schema/acme-org.json").to_str().unwrap(),
        ])
        .args(["--dead-letter", dl.to_str().unwrap()])
        .args(["--ledger", dir.join("l.sqlite").to_str().unwrap()])
        .env("SFMAP_ACCESS_TOKEN", "00D000000000001!wrong")
        .env("SFMAP_INSTANCE_URL", emu.base_url())
        .env("SFMAP_EMULATOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        std::fs::read_to_string(&dl).unwrap_or_default().is_empty(),
        "dead-lettered"
    );
    std::fs::remove_dir_all(&dir).ok();
    emu.shutdown().await;
}

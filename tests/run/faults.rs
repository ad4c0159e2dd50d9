//! Under injected faults every event ends delivered or failed with a reason: none lost, none
//! duplicated.

use serde_json::json;
use sfmap::emulate::EmulatorConfig;
use sfmap::run::executor::Options;
use sfmap::run::ledger::Ledger;

use sfmap::salesforce::ClientOptions;

use crate::support::{identify, org, plan, records, run_with};

#[tokio::test]
async fn faults_lose_and_duplicate_nothing() {
    // 5% 503, 1% dropped connections, a token expiry every 500 API requests and a burst of
    // three REQUEST_LIMIT_EXCEEDED.
    let faults = "503=5%,drop=1%,expire/500,limit@300+301+302,seed=7"
        .parse()
        .expect("fault spec");
    let emu = org(EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    })
    .await;
    let p = plan(
        r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName = "L"
    Company  = "C"
  }
}
"#,
    );
    let events: Vec<_> = (0..2000)
        .map(|i| identify(i, &format!("f{i}@x.com"), json!({})))
        .collect();
    // Small flushes, so the run spends over 1,000 requests and every kind of fault fires.
    let opts = Options {
        flush_size: 4,
        ..Options::default()
    };
    let mut options = ClientOptions::default();
    options.retry.base_delay = std::time::Duration::from_millis(5);
    options.retry.limit_wait = std::time::Duration::from_millis(50);
    options.retry.limit_retries = 5;
    let client = crate::support::client_with(&emu, options).await;
    let (summary, report) = run_with(client, &p, &events, opts, Ledger::open(None).unwrap()).await;
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert!(statuses.len() > 1000, "{} requests", statuses.len());
    for (status, what) in [(503, "503"), (401, "token expiry"), (403, "limit burst")] {
        assert!(statuses.contains(&status), "no {what} was injected");
    }
    assert_eq!(
        report
            .iter()
            .filter(|r| r["error_code"] == "REQUEST_LIMIT_EXCEEDED")
            .count(),
        0,
        "the limit burst is waited out"
    );
    assert_eq!(report.len(), 2000, "every event has an outcome");
    let created = summary
        .outcomes
        .get(&sfmap::outcome::Outcome::Created)
        .copied()
        .unwrap_or(0);
    let failed = summary
        .outcomes
        .get(&sfmap::outcome::Outcome::Failed)
        .copied()
        .unwrap_or(0);
    assert_eq!(created + failed, 2000, "{:?}", summary.outcomes);
    for r in &report {
        if r["outcome"] == "failed" {
            assert!(r["error_code"].is_string(), "a failure has a reason: {r}");
        }
    }
    let leads = records(&emu, "Lead", &["Email"], "Email");
    let mut emails: Vec<&str> = leads.iter().map(|r| r["Email"].as_str().unwrap()).collect();
    let before = emails.len();
    emails.dedup();
    assert_eq!(before, emails.len(), "no duplicate records");
    assert_eq!(
        emails.len() as u64,
        created,
        "every created event has its record"
    );
}

/// `--max-api-calls`: the run stops cleanly before a flush would pass the budget (a number of
/// calls, or a share of the daily allocation), and a second run with the same ledger delivers
/// the rest: nothing lost, nothing twice.
#[tokio::test]
async fn an_api_budget_stops_cleanly_and_the_next_run_finishes() {
    use sfmap::run::budget::ApiBudget;
    use sfmap::run::executor::{Executor, RunError};

    for budget in [ApiBudget::Calls(3), ApiBudget::DailyPercent(3.0)] {
        let emu = org(EmulatorConfig {
            daily_api_limit: 100,
            ..EmulatorConfig::default()
        })
        .await;
        let p = plan(
            r#"
mapping lead {
  on identify
  object Lead
  upsert match Email = traits.email
  fields { LastName = "L"  Company = "C" }
}
"#,
        );
        let events: Vec<String> = (0..40)
            .map(|i| identify(i, &format!("b{i}@x.com"), json!({})).to_string())
            .collect();
        let dir = std::env::temp_dir().join(format!("sfmap-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ledger = dir.join("ledger.sqlite");
        let _ = std::fs::remove_file(&ledger);
        let opts = Options {
            flush_size: 10,
            max_api_calls: Some(budget),
            ..Options::default()
        };
        let client = crate::support::client(&emu).await;
        let mut exec = Executor::new(&p, client, Ledger::open(Some(&ledger)).unwrap(), opts);
        let mut stopped = None;
        for (n, e) in events.iter().enumerate() {
            if let Err(err) = exec.push(n + 1, e).await {
                stopped = Some(err);
                break;
            }
        }
        let stopped = match stopped {
            Some(e) => e,
            None => exec.finish().await.unwrap_err(),
        };
        assert!(
            matches!(stopped, RunError::Budget(3)),
            "{budget:?}: {stopped}"
        );
        let delivered = records(&emu, "Lead", &["Email"], "Email").len();
        assert!(delivered > 0 && delivered < 40, "{budget:?}: {delivered}");

        let (summary, _) = crate::support::run(
            &emu,
            &p,
            &events
                .iter()
                .map(|e| serde_json::from_str(e).unwrap())
                .collect::<Vec<_>>(),
            Options::default(),
            Ledger::open(Some(&ledger)).unwrap(),
        )
        .await;
        assert_eq!(summary.already_done as usize, delivered, "{budget:?}");
        let leads = records(&emu, "Lead", &["Email"], "Email");
        assert_eq!(leads.len(), 40, "{budget:?}: every event once");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

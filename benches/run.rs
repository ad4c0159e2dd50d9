//! The delivery benchmark (issue 4): the standard identify events upserted as Leads matched by
//! Email, half of them already in the org, against the emulator with 20 ms of latency per
//! request. Reports API calls per 1,000 events, events/s and peak memory.
//!
//! `cargo bench --bench run` (`SFMAP_BENCH_EVENTS`, default 100000; `SFMAP_BENCH_LATENCY`,
//! default 20ms). The emulator runs in the same process, with its records in a SQLite file so
//! its memory does not grow with the org.

#[path = "support/events.rs"]
mod events;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use sfmap::emulate::{Emulator, EmulatorConfig};
use sfmap::run::executor::{Executor, Options};
use sfmap::run::ledger::Ledger;
use sfmap::salesforce::Client;

/// `SFMAP_BENCH_MODE=bulk` measures the Bulk API 2.0 path: an upsert by external id (the
/// Segment user id), in jobs of 10,000 rows, results fetched for every row.
const MAPPING: &str = r#"
mapping lead {
  on identify where traits.email exists
  object Lead
  upsert match Email = traits.email
  fields {
    LastName  = coalesce(traits.last_name, traits.lastName, "Unknown")
    FirstName = coalesce(traits.first_name, traits.firstName)
    Company   = coalesce(traits.company.name, traits.company_name, "Unknown")
    Phone     = coalesce(traits.phone, traits.phoneNumber)
    Title     = traits.title
    City      = coalesce(traits.address.city, traits.city)
    Country   = coalesce(traits.address.country, traits.country)
  }
}
"#;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("SFMAP_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let latency = std::env::var("SFMAP_BENCH_LATENCY").unwrap_or_else(|_| "20ms".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let events_file = match events::standard_events(n) {
        Ok(f) => f,
        Err(why) => {
            eprintln!("skipping: {why}");
            return;
        }
    };
    // Events are streamed from the file, as `sfmap run` does, so peak memory is the runner's
    // (and the in-process emulator's), not the input's.
    let lines = || {
        use std::io::BufRead;
        std::io::BufReader::new(std::fs::File::open(&events_file).unwrap())
            .lines()
            .map(Result::unwrap)
    };
    let bulk = std::env::var("SFMAP_BENCH_MODE").is_ok_and(|m| m == "bulk");
    let mapping = if bulk {
        MAPPING
            .replace("upsert match Email = traits.email", "upsert match Segment_User_Id__c = userId")
            .replace("on identify where traits.email exists", "on identify where userId exists")
            .replace("    Country   = coalesce(traits.address.country, traits.country)\n  }", "    Country   = coalesce(traits.address.country, traits.country)\n  }\n  bulk { batch_size = 10000 }")
    } else {
        MAPPING.to_string()
    };
    let work = std::env::temp_dir().join(format!("sfmap-run-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    // Half the events' Leads already exist.
    let seed = work.join("seed.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&seed).unwrap());
        let mut seeded = std::collections::HashSet::new();
        for (i, line) in lines().enumerate() {
            if i % 2 == 1 {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let key = if bulk {
                v["userId"].as_str()
            } else {
                v["traits"]["email"].as_str()
            };
            if let Some(key) = key {
                if seeded.insert(key.to_lowercase()) {
                    let mut record = serde_json::json!({"attributes": {"type": "Lead"}, "LastName": "Seeded", "Company": "Seeded"});
                    record[if bulk { "Segment_User_Id__c" } else { "Email" }] =
                        serde_json::json!(key);
                    writeln!(f, "{record}").unwrap();
                }
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emu = Emulator::start(EmulatorConfig {
            seed: Some(seed.clone()),
            state: Some(work.join("org.sqlite")),
            latency: Some(latency.parse().expect("latency spec")),
            daily_api_limit: 10_000_000,
            schema: Some(root.join("examples/schema/acme-org.json")),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let connection = sfmap::cli::connect::local_connection(&emu, "62.0").unwrap();
        let client = Client::connect(connection).await.unwrap();
        let schema =
            sfmap::schema::Schema::builtin_with_file(&root.join("examples/schema/acme-org.json"))
                .unwrap();
        let loaded = sfmap::load::load_text("bench.sfmap", mapping.clone(), &schema);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let plan = &loaded.compiled.plan;
        let ledger = Ledger::open(Some(&work.join("ledger.sqlite"))).unwrap();
        let start = Instant::now();
        let mut exec = Executor::new(plan, client, ledger, Options::default());
        let mut rss_half = 0.0;
        for (i, line) in lines().enumerate() {
            exec.push(i + 1, &line).await.unwrap();
            if i + 1 == n / 2 {
                rss_half = peak_rss_mb();
            }
        }
        let summary = exec.finish().await.unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "events: {n}, latency {latency} per request, {} path",
            if bulk { "Bulk API 2.0" } else { "REST/Collections" }
        );
        println!("outcomes: {:?}", summary.outcomes);
        println!(
            "API calls: {} = {:.2} per 1,000 events (Segment: 2,000)",
            summary.api_calls,
            summary.api_calls as f64 * 1000.0 / n as f64
        );
        println!("throughput: {:.0} events/s ({secs:.1} s)", n as f64 / secs);
        println!(
            "peak RSS: {rss_half:.0} MB after half the events, {:.0} MB at the end (emulator included)",
            peak_rss_mb()
        );
        emu.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(&work);
}

//! Emulator throughput: single-record REST writes per second and Bulk API 2.0 rows ingested per
//! second, each measured over several rounds; the median is printed. `run`'s benchmarks must
//! never be limited by the emulator (targets: ≥ 5,000 writes/s, ≥ 200,000 bulk rows/s).
//!
//! `cargo bench --bench emulator` (set `EMU_BENCH_ROUNDS` / `EMU_BENCH_WRITES` /
//! `EMU_BENCH_ROWS` to change the sizes).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sfmap::emulate::{Emulator, EmulatorConfig};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `writes` POSTs of one Account each, from `concurrency` clients; returns writes/s.
async fn rest_writes(emu: &Emulator, writes: usize, concurrency: usize) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let url = Arc::new(format!(
        "{}/services/data/v60.0/sobjects/Account",
        emu.base_url()
    ));
    let token = Arc::new(emu.credentials().access_token.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for i in (c..writes).step_by(concurrency) {
                let resp = client
                    .post(url.as_str())
                    .bearer_auth(token.as_str())
                    .json(&json!({"Name": format!("Bench {i}"), "Phone": "555-0100", "NumberOfEmployees": i}))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status().as_u16(), 201);
                let _ = resp.bytes().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    writes as f64 / started.elapsed().as_secs_f64()
}

/// One Bulk API 2.0 insert of `rows` rows, from upload to JobComplete; returns rows/s.
async fn bulk_rows(emu: &Emulator, rows: usize, round: usize) -> f64 {
    let client = reqwest::Client::new();
    let base = format!("{}/services/data/v60.0/jobs/ingest", emu.base_url());
    let token = emu.credentials().access_token.clone();
    let mut csv = String::with_capacity(rows * 40);
    csv.push_str("Name,Phone,NumberOfEmployees,Industry\n");
    for i in 0..rows {
        csv.push_str(&format!("Bulk {round}-{i},555-0100,{i},Banking\n"));
    }
    let job: Value = client
        .post(&base)
        .bearer_auth(&token)
        .json(&json!({"object": "Account", "operation": "insert"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("job");
    let id = job["id"].as_str().expect("id").to_string();
    let started = Instant::now();
    let put = client
        .put(format!("{base}/{id}/batches"))
        .bearer_auth(&token)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status().as_u16(), 201);
    client
        .patch(format!("{base}/{id}"))
        .bearer_auth(&token)
        .json(&json!({"state": "UploadComplete"}))
        .send()
        .await
        .expect("close");
    loop {
        let info: Value = client
            .get(format!("{base}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("poll")
            .json()
            .await
            .expect("info");
        match info["state"].as_str() {
            Some("JobComplete") => {
                assert_eq!(info["numberRecordsFailed"], 0);
                assert_eq!(info["numberRecordsProcessed"], rows);
                break;
            }
            Some("Failed") | Some("Aborted") => panic!("bulk job ended {info}"),
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
    rows as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let rounds = env("EMU_BENCH_ROUNDS", 5);
    let writes = env("EMU_BENCH_WRITES", 20_000);
    let rows = env("EMU_BENCH_ROWS", 200_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let emu = Emulator::start(EmulatorConfig {
            daily_api_limit: u64::MAX,
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator");
        let mut w = Vec::new();
        for r in 0..rounds {
            let v = rest_writes(&emu, writes, 32).await;
            println!("round {r}: {v:.0} single-record REST writes/s ({writes} writes, 32 clients)");
            w.push(v);
        }
        let mut b = Vec::new();
        for r in 0..rounds {
            let v = bulk_rows(&emu, rows, r).await;
            println!("round {r}: {v:.0} bulk rows ingested/s ({rows} rows)");
            b.push(v);
        }
        println!(
            "median: {:.0} single-record REST writes/s (target 5,000)",
            median(w)
        );
        println!(
            "median: {:.0} bulk rows ingested/s (target 200,000)",
            median(b)
        );
        emu.shutdown().await;
    });
}

//! The evaluation benchmark (issue 2): one core, the standard seeded events.
//!
//! (a) eval over events already in memory (read + evaluate, no output), events/s;
//! (b) JSONL in → record-operation JSONL out, events/s and MB/s;
//! (c) the hand-written serde_json program doing the same extraction, side by side;
//! plus (b) on two threads (`eval --jobs 2`: workers take chunks of the input as they become
//! free) against one, and two references for what this machine's two cores give: (c) on two
//! threads (each half of the input), and (d) a loop on registers only, which shares nothing
//! and touches no memory; and compiling a 50-mapping file.
//!
//! `cargo bench --bench eval` (set `SFMAP_BENCH_EVENTS` to change the count, default 100000).
//! Each figure is the median of 21 rounds. The variants run round-robin, each one-thread variant
//! just before its two-thread one, so that load from other work on the machine affects them
//! alike; ratios are medians of per-run ratios, printed with their middle half. On the shared
//! virtual machine this was built on, one core at a time can run markedly slower for a while
//! (seen in a trace of `eval --jobs 2`: one worker did 239 chunks to the other's 415 in the same
//! time), which is what spreads the two-thread ratios.

#[path = "support/baseline.rs"]
mod baseline;
#[path = "support/events.rs"]
mod events;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sfmap::eval::eval_stream;
use sfmap::eval::{Evaluator, EventResult, Scratch};
use sfmap::event::chunks::Chunks;
use sfmap::schema::Schema;

const RUNS: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs the variants round-robin, `RUNS` times after one warm-up each, so that a change in
/// machine load affects them alike; returns each variant's times in run order.
fn time_interleaved(variants: &mut [&mut dyn FnMut()]) -> Vec<Vec<Duration>> {
    for f in variants.iter_mut() {
        f(); // warm up
    }
    let mut times = vec![Vec::with_capacity(RUNS); variants.len()];
    for _ in 0..RUNS {
        for (f, t) in variants.iter_mut().zip(&mut times) {
            let start = Instant::now();
            f();
            t.push(start.elapsed());
        }
    }
    times
}

/// Iterations of [`spin`] that take about as long as (b) on one thread.
const SPIN: u64 = 250_000_000;

/// Integer work on registers only: no memory, no allocation, nothing shared. Two threads can
/// only fall short of twice one thread's speed here through the machine itself.
fn spin(n: u64) -> u64 {
    let (mut x, mut y) = (std::hint::black_box(1u64), std::hint::black_box(2u64));
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        y = y.rotate_left(7) ^ x;
    }
    std::hint::black_box(x ^ y)
}

/// The per-run ratios `slow[i] / fast[i]` (each taken within one round), sorted.
fn ratios(slow: &[Duration], fast: &[Duration]) -> Vec<f64> {
    let mut r: Vec<f64> = slow
        .iter()
        .zip(fast)
        .map(|(s, f)| s.as_secs_f64() / f.as_secs_f64())
        .collect();
    r.sort_by(f64::total_cmp);
    r
}

/// The median of the per-run ratios.
fn median_ratio(slow: &[Duration], fast: &[Duration]) -> f64 {
    let r = ratios(slow, fast);
    r[r.len() / 2]
}

/// The middle half of the per-run ratios, as "low–high": how much the machine moved them.
fn middle_half(slow: &[Duration], fast: &[Duration]) -> String {
    let r = ratios(slow, fast);
    format!("{:.2}–{:.2}", r[r.len() / 4], r[r.len() * 3 / 4])
}

fn events(n: usize) -> Option<String> {
    match events::standard_events(n) {
        Ok(file) => std::fs::read_to_string(&file).ok(),
        Err(why) => {
            eprintln!("skipping: {why}");
            None
        }
    }
}

fn main() {
    // `cargo test --all-targets` runs benches once as tests: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("SFMAP_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let Some(input) = events(n) else { return };
    let mb = input.len() as f64 / 1e6;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("benches/lead_bench.sfmap")).unwrap();
    let schema = Schema::builtin();
    let loaded = sfmap::load::load_text("lead_bench.sfmap", source.clone(), &schema);
    assert!(
        loaded.diagnostics.is_empty(),
        "bench mapping must check clean"
    );
    let plan = &loaded.compiled.plan;
    let lines: Vec<&str> = input.lines().collect();
    println!(
        "events: {n} ({:.1} MB, {:.0} bytes/event)",
        mb,
        input.len() as f64 / n as f64
    );

    let evaluator = Evaluator::new(plan);
    let mid = input[..input.len() / 2].rfind('\n').map_or(0, |i| i + 1);
    let halves = [&input[..mid], &input[mid..]];
    let mut ops = 0usize;
    let mut out_len = 0;
    let mut c_ops = 0;
    // (a) eval, events in memory.
    let mut a = || {
        ops = 0;
        for line in &lines {
            let mut scratch = Scratch::default();
            let mut result = EventResult::default();
            evaluator
                .eval_json(line, &mut scratch, false, &mut result)
                .unwrap();
            ops += result.outcomes.len();
        }
    };
    // Output buffers are allocated once and reused (cleared) by every round, as a pipe or a
    // file's page cache would be: a fresh 170 MB buffer per round measured page faults, not
    // the program (about 55 ms a round, for (b) and (c) alike).
    let mut out_b = Vec::with_capacity(input.len());
    let mut out_c = Vec::with_capacity(input.len());
    let mut out_b2 = Vec::with_capacity(input.len());
    // (b) JSONL in → JSONL out.
    let mut b = || {
        out_b.clear();
        eval_stream(
            plan,
            Chunks::from_bytes(input.as_bytes()),
            &mut out_b,
            false,
            1,
        )
        .unwrap();
        out_len = out_b.len();
    };
    // (c) the hand-written serde_json program.
    let mut c = || {
        out_c.clear();
        c_ops = baseline::run(&input, &mut out_c).0;
    };
    // (b) on two threads: the same output, byte for byte.
    let mut b2 = || {
        out_b2.clear();
        eval_stream(
            plan,
            Chunks::from_bytes(input.as_bytes()),
            &mut out_b2,
            false,
            2,
        )
        .unwrap();
    };
    // (c) on two threads: how far this machine lets the same work scale, for reference.
    let mut outs_c2: Vec<Vec<u8>> = halves.iter().map(|h| Vec::with_capacity(h.len())).collect();
    let mut c2 = || {
        std::thread::scope(|s| {
            for (half, out) in halves.iter().zip(outs_c2.iter_mut()) {
                s.spawn(move || {
                    out.clear();
                    baseline::run(half, out);
                });
            }
        });
    };
    // (d) work that touches no memory at all, split in two: what the two cores give when
    // nothing but the cores themselves counts.
    let mut d = || {
        spin(SPIN);
    };
    let mut d2 = || {
        std::thread::scope(|s| {
            s.spawn(|| spin(SPIN / 2));
            spin(SPIN / 2);
        });
    };
    // Each one-thread variant is followed by its two-thread one, so a pair sees the machine
    // alike.
    let times = time_interleaved(&mut [&mut a, &mut b, &mut b2, &mut c, &mut c2, &mut d, &mut d2]);
    let [a, b, b2, c, c2] = [0, 1, 2, 3, 4].map(|i| median(times[i].clone()));
    assert_eq!(out_b, out_b2, "one thread and two give the same output");
    let b_over_c = median_ratio(&times[3], &times[1]);
    let two_threads = median_ratio(&times[1], &times[2]);
    let two_threads_c = median_ratio(&times[3], &times[4]);
    let two_threads_d = median_ratio(&times[5], &times[6]);
    let spread = middle_half(&times[1], &times[2]);
    let spread_c = middle_half(&times[3], &times[4]);
    let spread_d = middle_half(&times[5], &times[6]);
    // Compiling a 50-mapping file.
    let body = source.split_once("mapping lead_bench").unwrap().1;
    let fifty: String = (0..50)
        .map(|i| format!("mapping lead_{i}{body}\n"))
        .collect();
    let compile = median(
        (0..21)
            .map(|_| {
                let t = Instant::now();
                let parsed = sfmap::syntax::parse(&fifty);
                let compiled = sfmap::compile::compile(&parsed.file, &schema, "fifty");
                assert_eq!(compiled.plan.mappings.len(), 50);
                t.elapsed()
            })
            .collect(),
    );

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "operations: {ops} (baseline {c_ops}); output {:.1} MB",
        out_len as f64 / 1e6
    );
    println!(
        "(a) eval, in memory        {:>9.0} events/s  (median {:?})",
        rate(a),
        a
    );
    println!(
        "(b) JSONL in -> JSONL out  {:>9.0} events/s  {:>6.0} MB/s  (median {:?})",
        rate(b),
        mb / b.as_secs_f64(),
        b
    );
    println!(
        "(c) hand-written serde     {:>9.0} events/s  {:>6.0} MB/s  (median {:?})",
        rate(c),
        mb / c.as_secs_f64(),
        c
    );
    println!("    ratio (b)/(c)          {b_over_c:>9.2}  (median of the per-run ratios)");
    println!(
        "(b) two threads            {:>9.0} events/s  = {two_threads:.2}x one thread (per-run ratios; middle half {spread})",
        rate(b2),
    );
    println!(
        "(c) two threads            {:>9.0} events/s  = {two_threads_c:.2}x one thread (halves; middle half {spread_c})",
        rate(c2),
    );
    println!(
        "(d) register-only loop     two threads = {two_threads_d:.2}x one thread (no memory touched; middle half {spread_d})",
    );
    println!(
        "compile 50 mappings        {:>9.2} ms (median of 21)",
        compile.as_secs_f64() * 1e3
    );
}

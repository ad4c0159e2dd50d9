//! Reader benchmark: the selective reader against a full serde_json DOM and a hand-written
//! serde_json program, on the standard benchmark events, on one thread.
//!
//! Run with `cargo bench --bench reader`. It generates 20,000 events with
//! `node <gen-events.js> 20000 target/bench-events-20000.jsonl` (300 events and one run under
//! `cargo test`; see `support/events.rs` for where the script is looked up). Set
//! `SFMAP_READER_BENCH_FILE=<file.jsonl>` to use existing events instead,
//! `SFMAP_READER_BENCH_RUNS` to change the number of timed runs (default 9),
//! `SFMAP_READER_BENCH_ONLY=reader,baseline` to time only some variants and
//! `SFMAP_READER_BENCH_PATHS=a.b,c` to time the reader with other paths (for profiling).
//! Figures are medians (and bests) of the runs.
//!
//! Measured, each over the same lines held in memory:
//! 1. `reader`: `ReadPlan::read` with the ~30 paths of the 16-field Lead mapping;
//! 2. `serde_json DOM`: `serde_json::from_str::<Value>` per line, then the same lookups;
//! 3. `baseline`: the hand-written program (`support/baseline.rs`), JSONL in → JSONL out;
//! 4. `reader + mapping`: the reader plus the same mapping coded by hand over its slots,
//!    JSONL in → JSONL out, checked to produce the same records as the baseline.

use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

use sfmap::event::jsonl;
use sfmap::event::{EventPath, ReadOut, ReadPlan, Segment, Value};

#[path = "support/baseline.rs"]
mod baseline;
#[path = "support/events.rs"]
mod events;

/// The paths the Lead mapping reads, in slot order (see `Slot`).
const PATHS: [&str; 31] = [
    "type",
    "messageId",
    "traits.email",
    "context.traits.email",
    "traits.first_name",
    "traits.firstName",
    "traits.name",
    "traits.last_name",
    "traits.lastName",
    "traits.company.name",
    "traits.company_name",
    "traits.phone",
    "traits.phoneNumber",
    "traits.title",
    "traits.address.street",
    "traits.street",
    "traits.address.city",
    "traits.city",
    "traits.address.state",
    "traits.state",
    "traits.address.postal_code",
    "traits.postalCode",
    "traits.zip",
    "traits.address.country",
    "traits.country",
    "traits.website",
    "traits.company.industry",
    "traits.industry",
    "traits.company.employee_count",
    "traits.description",
    "traits.utm_source",
];

/// The benchmark input, or a reason to skip.
fn load_events(count: usize) -> Result<String, String> {
    if let Some(file) = std::env::var_os("SFMAP_READER_BENCH_FILE") {
        return std::fs::read_to_string(&file).map_err(|e| format!("reading {file:?}: {e}"));
    }
    let file = events::standard_events(count)?;
    std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))
}

/// Whether a slot holds a value that is neither absent nor null.
fn present<'v, 'a>(v: Option<&'v Value<'a>>) -> Option<&'v Value<'a>> {
    v.filter(|v| !v.is_null())
}

/// `coalesce(...)` over slots: first present value; `null` if only nulls; absent if all absent.
fn coalesce<'v, 'a>(out: &'v ReadOut<'a>, slots: &[usize]) -> Option<&'v Value<'a>> {
    slots
        .iter()
        .find_map(|&i| present(out.slot(i)))
        .or_else(|| slots.iter().find_map(|&i| out.slot(i)))
}

/// The benchmark's Lead mapping over the reader's slots, written as the evaluator would run it.
fn reader_map_event(plan: &ReadPlan, line: &str, out: &mut ReadOut<'_>, buf: &mut Vec<u8>) -> bool {
    // Re-typed per line because each line has its own lifetime; the allocation is kept.
    let mut slots = std::mem::take(out).recycle();
    let written = plan.read(line, &mut slots).is_ok() && write_lead(&slots, buf);
    *out = slots.recycle();
    written
}

/// A present value, or the literal fallback.
fn or<'a>(v: Option<&Value<'a>>, fallback: Value<'a>) -> Value<'a> {
    present(v).cloned().unwrap_or(fallback)
}

fn write_lead(r: &ReadOut<'_>, buf: &mut Vec<u8>) -> bool {
    if r.slot(0).and_then(Value::as_str) != Some("identify") {
        return false;
    }
    let Some(email) = present(coalesce(r, &[2, 3])) else {
        return false;
    };
    let first_word = present(r.slot(6))
        .and_then(Value::as_str)
        .and_then(|n| n.split_whitespace().next())
        .map(|w| Value::String(w.into()));
    let unknown = Value::String("Unknown".into());
    let web = Value::String("Web".into());
    let fields: [(&str, Option<Value<'_>>); 16] = [
        ("Email", Some(email.clone())),
        (
            "FirstName",
            present(coalesce(r, &[4, 5]))
                .cloned()
                .or(first_word)
                .or_else(|| coalesce(r, &[4, 5]).cloned()),
        ),
        ("LastName", Some(or(coalesce(r, &[7, 8]), unknown.clone()))),
        ("Company", Some(or(coalesce(r, &[9, 10]), unknown))),
        ("Phone", coalesce(r, &[11, 12]).cloned()),
        ("Title", coalesce(r, &[13]).cloned()),
        ("Street", coalesce(r, &[14, 15]).cloned()),
        ("City", coalesce(r, &[16, 17]).cloned()),
        ("State", coalesce(r, &[18, 19]).cloned()),
        ("PostalCode", coalesce(r, &[20, 21, 22]).cloned()),
        ("Country", coalesce(r, &[23, 24]).cloned()),
        ("Website", coalesce(r, &[25]).cloned()),
        ("Industry", coalesce(r, &[26, 27]).cloned()),
        ("NumberOfEmployees", coalesce(r, &[28]).cloned()),
        ("Description", coalesce(r, &[29]).cloned()),
        ("LeadSource", Some(or(coalesce(r, &[30]), web))),
    ];
    buf.extend_from_slice(b"{\"event\":");
    serde_json::to_writer(&mut *buf, &r.slot(1).cloned().unwrap_or(Value::Null)).unwrap();
    buf.extend_from_slice(
        b",\"mapping\":\"lead_bench\",\"object\":\"Lead\",\"operation\":\"upsert\",\"match\":{\"Email\":",
    );
    serde_json::to_writer(&mut *buf, email).unwrap();
    buf.extend_from_slice(b"},\"fields\":{");
    let mut first = true;
    for (name, value) in &fields {
        let Some(value) = value else { continue };
        if !first {
            buf.push(b',');
        }
        first = false;
        write!(buf, "\"{name}\":").unwrap();
        serde_json::to_writer(&mut *buf, value).unwrap();
    }
    buf.extend_from_slice(b"}}\n");
    true
}

/// One measured variant: its name and one pass over the input.
type Variant<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn main() {
    // Under `cargo test --all-targets` (no `--bench`): a quick smoke run on 300 events, which
    // still checks that the reader-based mapping and the baseline agree.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let text = match load_events(if smoke { 300 } else { 20_000 }) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("reader bench skipped: {why}");
            return;
        }
    };
    let only = std::env::var("SFMAP_READER_BENCH_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    let runs: usize = std::env::var("SFMAP_READER_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if smoke { 1 } else { 9 });
    let lines: Vec<&str> = jsonl::lines(&text).map(|(_, l)| l).collect();
    let n = lines.len() as f64;
    let mb = text.len() as f64 / 1e6;
    println!(
        "{} events, {:.1} MB ({:.0} bytes/event), one thread; median (best) of {runs} runs,",
        lines.len(),
        mb,
        text.len() as f64 / n
    );
    println!("variants interleaved run by run so that machine load affects them alike");
    if smoke {
        println!("(smoke run without --bench: likely unoptimised, the figures mean nothing)");
    }

    let paths: Vec<EventPath> = PATHS.iter().map(|p| EventPath::parse(p).unwrap()).collect();
    let plan = ReadPlan::new(&paths, false);
    // For profiling: `SFMAP_READER_BENCH_PATHS=a.b,c` times the reader alone with other paths.
    let reader_plan = match std::env::var("SFMAP_READER_BENCH_PATHS") {
        Ok(list) => ReadPlan::new(
            &list
                .split(',')
                .map(|p| EventPath::parse(p).unwrap())
                .collect::<Vec<_>>(),
            false,
        ),
        Err(_) => plan.clone(),
    };
    let empty_plan = ReadPlan::new(&[], false);

    let mut out = ReadOut::new();
    let mut base_out = Vec::with_capacity(text.len());
    let mut mine_out = Vec::with_capacity(text.len());
    let mut slots = ReadOut::new();
    let mut variants: Vec<Variant<'_>> = Vec::new();
    // 1. The reader alone.
    variants.push((
        "reader",
        Box::new(|| {
            let mut found = 0usize;
            for line in &lines {
                let mut o = std::mem::take(&mut out).recycle();
                reader_plan.read(line, &mut o).unwrap();
                found += o.slots.iter().filter(|s| s.is_some()).count();
                out = o.recycle();
            }
            black_box(found);
        }),
    ));
    // For reference: the floor (validation only) for the reader and for serde_json.
    variants.push((
        "reader (no paths)",
        Box::new(|| {
            let mut out = ReadOut::new();
            for line in &lines {
                black_box(empty_plan.read(line, &mut out).is_ok());
            }
        }),
    ));
    variants.push((
        "serde (IgnoredAny)",
        Box::new(|| {
            for line in &lines {
                black_box(serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok());
            }
        }),
    ));
    // 2. Full DOM, then the same lookups.
    variants.push((
        "serde_json DOM",
        Box::new(|| {
            let mut found = 0usize;
            for line in &lines {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                for p in &paths {
                    let hit = p.segments.iter().try_fold(&v, |v, s| match s {
                        Segment::Key(k) => v.get(&**k),
                        Segment::Index(i) => v.get(*i),
                    });
                    found += usize::from(hit.is_some());
                }
            }
            black_box(found);
        }),
    ));
    // 3. The hand-written program, JSONL in -> JSONL out.
    variants.push((
        "baseline",
        Box::new(|| {
            base_out.clear();
            black_box(baseline::run(&text, &mut base_out));
        }),
    ));
    // 4. Reader + the mapping by hand, JSONL in -> JSONL out.
    variants.push((
        "reader + mapping",
        Box::new(|| {
            mine_out.clear();
            for (_, line) in jsonl::lines(&text) {
                reader_map_event(&plan, line, &mut slots, &mut mine_out);
            }
            black_box(mine_out.len());
        }),
    ));
    variants.retain(|(name, _)| wanted(name));

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for (_, f) in &mut variants {
        f(); // warm-up
    }
    for _ in 0..runs {
        for ((_, f), t) in variants.iter_mut().zip(&mut times) {
            let start = Instant::now();
            f();
            t.push(start.elapsed().as_secs_f64());
        }
    }
    let mut rates = std::collections::HashMap::new();
    for ((name, _), t) in variants.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let (median, best) = (t[t.len() / 2], t[0]);
        println!(
            "{name:<18} {:>9.0} events/s ({:>7.0}) {:>7.1} MB/s ({:>6.1}) {:>6.0} ns/event",
            n / median,
            n / best,
            mb / median,
            mb / best,
            median / n * 1e9
        );
        rates.insert(*name, n / median);
    }
    drop(variants);

    if !only.is_empty() {
        return;
    }
    let parse = |b: &[u8]| -> Vec<serde_json::Value> {
        std::str::from_utf8(b)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (a, b) = (parse(&base_out), parse(&mine_out));
    assert_eq!(a.len(), b.len(), "record counts differ");
    assert!(a == b, "reader + mapping and baseline disagree");
    println!(
        "({} records; reader + mapping output equals the baseline's)",
        a.len()
    );
    println!(
        "ratios of medians: reader/DOM {:.2}x, reader/baseline {:.2}x, reader+mapping/baseline {:.2}x",
        rates["reader"] / rates["serde_json DOM"],
        rates["reader"] / rates["baseline"],
        rates["reader + mapping"] / rates["baseline"]
    );
}

//! Starting an emulated org and running events through a mapping with the library API.

use serde_json::{Map, Value};
use sfmap::emulate::{Emulator, EmulatorConfig};
use sfmap::run::executor::{Executor, Options, Summary};
use sfmap::run::ledger::Ledger;
use sfmap::salesforce::Client;

pub fn schema_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/schema/acme-org.json")
}

pub async fn org(config: EmulatorConfig) -> Emulator {
    Emulator::start(EmulatorConfig {
        schema: Some(schema_path()),
        ..config
    })
    .await
    .expect("emulator starts")
}

pub async fn client(emu: &Emulator) -> Client {
    client_with(emu, sfmap::salesforce::ClientOptions::default()).await
}

/// A client of the emulated org with its own retry settings.
pub async fn client_with(emu: &Emulator, options: sfmap::salesforce::ClientOptions) -> Client {
    let connection = sfmap::cli::connect::local_connection(emu, "62.0").unwrap();
    Client::connect_with(connection, options)
        .await
        .expect("client connects")
}

/// An emulator configuration seeded with `records` (JSON objects with `attributes.type`),
/// each call with a seed file of its own.
pub fn seeded(records: &[Value]) -> EmulatorConfig {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sfmap-seed-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed.jsonl");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&file, text).unwrap();
    EmulatorConfig {
        seed: Some(file),
        ..EmulatorConfig::default()
    }
}

/// Compiles a mapping against the Acme schema.
pub fn plan(src: &str) -> sfmap::plan::Plan {
    let schema = sfmap::schema::Schema::builtin_with_file(&schema_path()).unwrap();
    let loaded = sfmap::load::load_text("test.sfmap", src.to_string(), &schema);
    assert!(
        !loaded
            .diagnostics
            .iter()
            .any(sfmap::diag::Diagnostic::is_error),
        "{:?}",
        loaded.diagnostics
    );
    loaded.compiled.plan
}

/// Runs events; returns the summary and the report lines.
pub async fn run(
    emu: &Emulator,
    plan: &sfmap::plan::Plan,
    events: &[Value],
    opts: Options,
    ledger: Ledger,
) -> (Summary, Vec<Value>) {
    run_with(client(emu).await, plan, events, opts, ledger).await
}

/// [`run`] through a given client (its retry settings, say).
pub async fn run_with(
    client: Client,
    plan: &sfmap::plan::Plan,
    events: &[Value],
    opts: Options,
    ledger: Ledger,
) -> (Summary, Vec<Value>) {
    let mut report = Vec::new();
    let summary = {
        let mut exec = Executor::new(plan, client, ledger, opts).with_report(&mut report);
        for (n, e) in events.iter().enumerate() {
            exec.push(n + 1, &e.to_string()).await.unwrap();
        }
        exec.finish().await.unwrap()
    };
    let lines = String::from_utf8(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (summary, lines)
}

/// Records of an object, sorted by the given field, with only the named fields.
pub fn records(
    emu: &Emulator,
    object: &str,
    fields: &[&str],
    order: &str,
) -> Vec<Map<String, Value>> {
    let soql = format!(
        "SELECT {} FROM {object} ORDER BY {order}",
        fields.join(", ")
    );
    emu.query(&soql)
        .unwrap()
        .into_iter()
        .map(|mut r| {
            r.remove("attributes");
            r
        })
        .collect()
}

pub fn identify(n: usize, email: &str, traits: Value) -> Value {
    let mut t = traits.as_object().cloned().unwrap_or_default();
    t.insert("email".into(), Value::String(email.into()));
    serde_json::json!({"type": "identify", "messageId": format!("m{n}"), "userId": format!("u{n}"), "traits": t})
}

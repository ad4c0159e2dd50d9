//! Helpers: run a migration over fixtures, compile its files, evaluate events.

use std::path::PathBuf;

use sfmap::diag::Diagnostic;
use sfmap::eval::eval_stream;
use sfmap::event::chunks::Chunks;
use sfmap::load;
use sfmap::migrate::{self, InputError, InputFile, Migration, Options};
use sfmap::schema::Schema;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_dir() -> PathBuf {
    root().join("tests/fixtures/migrate")
}

/// The fixture org schema: the built-in objects plus the custom fields and objects the worked
/// examples need.
pub fn org_schema() -> Schema {
    Schema::builtin_with_file(&fixture_dir().join("org-schema.json")).expect("fixture schema")
}

/// Inputs named by their path under tests/fixtures/migrate (no machine paths in snapshots).
pub fn inputs(names: &[&str]) -> Vec<InputFile> {
    names
        .iter()
        .map(|n| InputFile {
            name: (*n).to_string(),
            text: std::fs::read_to_string(fixture_dir().join(n)).expect("fixture"),
        })
        .collect()
}

pub fn try_migrate(
    names: &[&str],
    schema: &Schema,
    options: &Options,
) -> Result<Migration, InputError> {
    migrate::migrate(&inputs(names), schema, options)
}

pub fn run(names: &[&str], schema: &Schema, options: &Options) -> Migration {
    let m = try_migrate(names, schema, options).expect("migration succeeds");
    assert_compiles(&m, schema);
    m
}

pub fn run_builtin(names: &[&str]) -> Migration {
    run(names, &Schema::builtin(), &Options::default())
}

pub fn run_org(names: &[&str]) -> Migration {
    run(
        names,
        &org_schema(),
        &Options {
            schema_file: Some("org-schema.json".into()),
            ..Options::default()
        },
    )
}

/// Every `.sfmap` file compiles without errors against `schema`; the toml is a valid config.
pub fn assert_compiles(m: &Migration, schema: &Schema) {
    for f in &m.files {
        if f.name.ends_with(".sfmap") {
            let loaded = load::load_text(&f.name, f.text.clone(), schema);
            let errors: Vec<&Diagnostic> =
                loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(
                errors.is_empty(),
                "{} has errors: {errors:#?}\n{}",
                f.name,
                f.text
            );
            // Formatting is canonical: printing again changes nothing.
            let parsed = sfmap::syntax::parse(&f.text);
            assert_eq!(sfmap::syntax::print::print(&parsed.file, &f.text), f.text);
        }
        if f.name == "sfmap.toml" {
            let c: Result<sfmap::config::Config, _> = toml::from_str(&f.text);
            assert!(c.is_ok(), "sfmap.toml does not parse: {c:?}\n{}", f.text);
        }
        if f.name == "migration-report.json" {
            let v: serde_json::Value = serde_json::from_str(&f.text).expect("report is JSON");
            assert!(v["destinations"].is_array());
        }
    }
}

/// All output files and the human report, for a snapshot.
pub fn dump(m: &Migration) -> String {
    let mut out = String::new();
    for f in &m.files {
        out.push_str(&format!("===== {} =====\n{}", f.name, f.text));
        if !f.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str("===== report (human) =====\n");
    out.push_str(&m.report.to_human());
    out
}

pub fn file<'m>(m: &'m Migration, name: &str) -> &'m str {
    &m.files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no file {name}"))
        .text
}

/// Evaluates JSONL events through a generated file; one JSON value per output line.
pub fn eval(text: &str, schema: &Schema, events: &str) -> Vec<serde_json::Value> {
    let loaded = load::load_text("migrated.sfmap", text.to_string(), schema);
    assert!(!loaded.diagnostics.iter().any(Diagnostic::is_error));
    let mut out = Vec::new();
    eval_stream(
        &loaded.compiled.plan,
        Chunks::from_bytes(events.as_bytes()),
        &mut out,
        false,
        1,
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The operations a mapping produced for an event line.
pub fn ops<'v>(
    out: &'v [serde_json::Value],
    line: u64,
    mapping: &str,
) -> Vec<&'v serde_json::Value> {
    out.iter()
        .filter(|v| v["line"] == line && v["mapping"] == mapping && v.get("fields").is_some())
        .collect()
}
